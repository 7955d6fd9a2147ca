using System;

namespace GatewayApiKeys.Client
{
    /// <summary>
    /// A call failed: the daemon answered with an error (its <c>data.code</c>, docs/protocol.md "Errors"), or the client
    /// could not get an answer (one of the client's own codes). <see cref="GatewayErrorCodes"/> lists every code.
    /// The message never holds a key value or a token.
    /// </summary>
    public class GatewayApiKeysException : Exception
    {
        /// <summary>Makes an exception with a code and a message.</summary>
        /// <param name="code">One of <see cref="GatewayErrorCodes"/>.</param>
        /// <param name="message">What went wrong, in words an admin understands.</param>
        /// <param name="innerException">What caused it, if anything.</param>
        public GatewayApiKeysException(string code, string message, Exception? innerException = null)
            : base(message, innerException)
        {
            Code = code;
        }

        /// <summary>One of <see cref="GatewayErrorCodes"/>: the daemon's <c>data.code</c>, or the client's own code.</summary>
        public string Code { get; }

        /// <summary>The params field the daemon's error is about, when it names one.</summary>
        public string? Field { get; internal set; }

        /// <summary>The JSON-RPC error number of a daemon's error; <c>null</c> for the client's own codes.</summary>
        public int? RpcCode { get; internal set; }
    }

    /// <summary>
    /// What answers on the pipe could not prove it knows the token (code <c>DaemonImpostor</c>): it is not the daemon,
    /// or the token is not the daemon's. Nothing secret (no proof, no key value) was sent to it.
    /// </summary>
    public sealed class DaemonImpostorException : GatewayApiKeysException
    {
        /// <summary>Makes the exception for a pipe.</summary>
        /// <param name="pipe">The pipe that was answered on.</param>
        /// <param name="problem">What gave it away, when it is not a wrong proof.</param>
        public DaemonImpostorException(string pipe, string? problem = null)
            : base(GatewayErrorCodes.DaemonImpostor, problem == null
                ? $"What answers on {pipe} is not the gateway-apikeys daemon: it does not know the token. Nothing secret was sent to it. " +
                  "If the token itself is wrong or old (a token changes when its file is deleted and the daemon restarts), give the current one."
                : $"What answers on {pipe} is not the gateway-apikeys daemon: {problem}. Nothing secret was sent to it.")
        {
            Pipe = pipe;
        }

        /// <summary>The pipe that was answered on.</summary>
        public string Pipe { get; }
    }

    /// <summary>
    /// The daemon cannot be reached (code <c>DaemonUnreachable</c> or <c>DaemonAccessDenied</c>), or the connection broke
    /// under a call that is not safe to repeat (code <c>DaemonConnectionLost</c>).
    /// </summary>
    public sealed class DaemonUnavailableException : GatewayApiKeysException
    {
        /// <summary>Makes the exception.</summary>
        /// <param name="code"><c>DaemonUnreachable</c>, <c>DaemonAccessDenied</c> or <c>DaemonConnectionLost</c>.</param>
        /// <param name="pipe">The pipe that was tried.</param>
        /// <param name="message">What happened.</param>
        /// <param name="innerException">The system's error, if any.</param>
        public DaemonUnavailableException(string code, string pipe, string message, Exception? innerException = null)
            : base(code, message, innerException)
        {
            Pipe = pipe;
        }

        /// <summary>The pipe that was tried.</summary>
        public string Pipe { get; }
    }
}
