using System;
using System.Security.Cryptography;
using System.Text;

namespace GatewayApiKeys.Client.Internal
{
    /// <summary>
    /// The proofs of the session handshake, protocol 3 (docs/protocol.md, "Sessions"; src/session-proof.ts is the
    /// daemon's side): HMAC-SHA256 keyed by the role's token (trimmed, UTF-8) over a label, the two nonces in
    /// base64url without padding, and the endpoint binding <c>cb</c> ("" on Unix, "serverPid:clientPid" on Windows).
    /// </summary>
    internal static class SessionProof
    {
        internal const int ProtocolVersion = 3;
        private const string ServerLabel = "gateway-apikeys server v3\n";
        private const string ClientLabel = "gateway-apikeys client v3\n";
        private const int NonceBytes = 32;

        internal static string NewNonce()
        {
            var bytes = new byte[NonceBytes];
            using (var random = RandomNumberGenerator.Create()) random.GetBytes(bytes);
            return Base64Url(bytes);
        }

        /// <summary>What the daemon must answer a challenge with: it proves it knows the token.</summary>
        internal static string ServerProof(byte[] token, string clientNonce, string serverNonce, string binding) =>
            Hmac(token, ServerLabel + clientNonce + "\n" + serverNonce + "\n" + binding);

        /// <summary>What the client sends in its hello, once the daemon proved itself.</summary>
        internal static string ClientProof(byte[] token, string serverNonce, string clientNonce, string binding) =>
            Hmac(token, ClientLabel + serverNonce + "\n" + clientNonce + "\n" + binding);

        /// <summary>Whether two proofs are equal, in time that does not depend on where they differ.</summary>
        internal static bool SameProof(string expected, string presented)
        {
            if (expected.Length != presented.Length) return false;
            var difference = 0;
            for (var i = 0; i < expected.Length; i++) difference |= expected[i] ^ presented[i];
            return difference == 0;
        }

        private static string Hmac(byte[] token, string text)
        {
            using (var hmac = new HMACSHA256(token)) return Base64Url(hmac.ComputeHash(Encoding.UTF8.GetBytes(text)));
        }

        internal static string Base64Url(byte[] bytes) =>
            Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
