using System;
using System.IO;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace GatewayApiKeys.Client
{
    /// <summary>How a <see cref="GatewayApiKeysClient"/> finds, proves itself to and uses the daemon.</summary>
    public sealed class GatewayApiKeysClientOptions
    {
        /// <summary>
        /// The daemon's pipe: a pipe name or <c>\\.\pipe\NAME</c> on Windows, a socket path elsewhere. When not set:
        /// <c>GATEWAY_APIKEYS_PIPE</c>, else the daemon's default (<c>\\.\pipe\gateway-apikeys</c> on Windows,
        /// <c>gateway-apikeys.sock</c> in the data directory elsewhere).
        /// </summary>
        public string? Pipe { get; set; }

        /// <summary>
        /// The daemon's data directory, where the default token file and (on Unix) socket are. When not set:
        /// <c>GATEWAY_APIKEYS_DATA_DIR</c>, else <c>%ProgramData%\Nintex\Gateway</c> on Windows and
        /// <c>/var/lib/gateway-apikeys</c> elsewhere.
        /// </summary>
        public string? DataDirectory { get; set; }

        /// <summary>The role's token itself. Takes precedence over <see cref="TokenPath"/>; never logged.</summary>
        public string? Token { get; set; }

        /// <summary>
        /// The file holding the role's token. When neither this nor <see cref="Token"/> is set:
        /// <c>GATEWAY_APIKEYS_TOKEN</c>, else the role's token file in the data directory. Read at every new connection,
        /// so a token that changed with a daemon restart is picked up.
        /// </summary>
        public string? TokenPath { get; set; }

        /// <summary>The role to prove: <see cref="GatewayApiKeysRole.Gateway"/> unless set.</summary>
        public GatewayApiKeysRole Role { get; set; } = GatewayApiKeysRole.Gateway;

        /// <summary>How many connections the client keeps at most; calls are pipelined on them. 4 unless set.</summary>
        public int MaxConnections { get; set; } = 4;

        /// <summary>
        /// How long a call may wait for a connection while nothing answers (the daemon restarting): it retries with
        /// backoff for this long, then fails with <see cref="DaemonUnavailableException"/>. 5 s unless set.
        /// </summary>
        public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

        /// <summary>
        /// How long a call may wait for its answer once sent; then it fails with code <c>DaemonTimeout</c> and its
        /// connection is closed. 60 s unless set (a failed authentication may be held back up to 10 s by the daemon).
        /// </summary>
        public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(60);

        /// <summary>Where the client logs connections made and lost (never a key value or a token). None unless set.</summary>
        public ILogger? Logger { get; set; }

        internal static bool IsWindows => RuntimeInformation.IsOSPlatform(OSPlatform.Windows);

        /// <summary>The data directory as the daemon and the Node CLI resolve it (src/locations.ts).</summary>
        internal string ResolveDataDirectory()
        {
            if (!string.IsNullOrEmpty(DataDirectory)) return Path.GetFullPath(DataDirectory);
            var fromEnvironment = Environment.GetEnvironmentVariable(Locations.DataDirVariable);
            if (!string.IsNullOrEmpty(fromEnvironment)) return Path.GetFullPath(fromEnvironment);
            if (!IsWindows) return Locations.UnixDataDir;
            var programData = Environment.GetEnvironmentVariable("ProgramData");
            var parts = new string[Locations.WindowsDataDirUnderProgramData.Length + 1];
            parts[0] = string.IsNullOrEmpty(programData) ? Locations.WindowsProgramDataFallback : programData!;
            Array.Copy(Locations.WindowsDataDirUnderProgramData, 0, parts, 1, Locations.WindowsDataDirUnderProgramData.Length);
            return Path.Combine(parts);
        }

        internal string ResolvePipe()
        {
            if (!string.IsNullOrEmpty(Pipe)) return Pipe!;
            var fromEnvironment = Environment.GetEnvironmentVariable(Locations.PipeVariable);
            if (!string.IsNullOrEmpty(fromEnvironment)) return fromEnvironment!;
            return IsWindows ? Locations.WindowsPipe : Path.Combine(ResolveDataDirectory(), Locations.UnixSocketInDataDir);
        }

        /// <summary>The token: <see cref="Token"/>, else <see cref="TokenPath"/>'s content, else the variable, else the role's file.</summary>
        internal string ReadToken()
        {
            if (!string.IsNullOrEmpty(Token)) return Token!.Trim();
            var file = TokenPath;
            if (string.IsNullOrEmpty(file))
            {
                var fromEnvironment = Environment.GetEnvironmentVariable(Locations.TokenVariable);
                if (!string.IsNullOrEmpty(fromEnvironment)) return fromEnvironment!.Trim();
                file = Path.Combine(ResolveDataDirectory(), Role == GatewayApiKeysRole.Admin ? Locations.AdminTokenFile : Locations.GatewayTokenFile);
            }
            try
            {
                return File.ReadAllText(file).Trim();
            }
            catch (Exception error) when (error is IOException || error is UnauthorizedAccessException)
            {
                throw new GatewayApiKeysException(GatewayErrorCodes.TokenUnavailable,
                    $"Cannot read the {RoleName} token at {file} ({error.GetType().Name}). Run as an account that may read it, or give Token or TokenPath.", error);
            }
        }

        internal string RoleName => Role == GatewayApiKeysRole.Admin ? "admin" : "gateway";

        internal void Validate()
        {
            if (MaxConnections < 1) throw new ArgumentOutOfRangeException(nameof(MaxConnections), MaxConnections, "At least one connection is needed.");
            if (ConnectTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(ConnectTimeout), ConnectTimeout, "The connect timeout must be positive.");
            if (RequestTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(RequestTimeout), RequestTimeout, "The request timeout must be positive.");
        }
    }
}
