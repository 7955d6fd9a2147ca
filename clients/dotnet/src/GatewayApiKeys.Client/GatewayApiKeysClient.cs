using System;
using System.Threading;
using System.Threading.Tasks;
using GatewayApiKeys.Client.Internal;
using Microsoft.Extensions.Logging;

namespace GatewayApiKeys.Client
{
    /// <summary>
    /// The gateway-apikeys daemon's client for a gateway's own code (docs/architecture.md, "The .NET client"): thread-safe, one per process.
    /// Calls share a small pool of pipelined connections, each opened with protocol 3 (docs/protocol.md, "Sessions"),
    /// so nothing secret reaches a process that is not the daemon. A daemon restart is ridden out: a call that can
    /// safely be repeated is retried once on a new connection, which is waited for with backoff up to
    /// <see cref="GatewayApiKeysClientOptions.ConnectTimeout"/>. Each call ends with its answer or exactly one exception.
    /// </summary>
    public sealed class GatewayApiKeysClient : IAsyncDisposable, IDisposable
    {
        private readonly GatewayApiKeysClientOptions options;
        private readonly ConnectionPool pool;

        /// <summary>Makes a client; it connects at its first call.</summary>
        /// <param name="options">Where the daemon is and how to prove the role; the defaults when <c>null</c>.</param>
        public GatewayApiKeysClient(GatewayApiKeysClientOptions? options = null)
        {
            this.options = options ?? new GatewayApiKeysClientOptions();
            this.options.Validate();
            pool = new ConnectionPool(this.options);
        }

        /// <summary>The pipe this client connects to (a socket path on Unix).</summary>
        public string Pipe => pool.Pipe;

        /// <summary>
        /// Asks the daemon whether a presented key is valid now (<c>connector.authenticate</c>); a success records its use.
        /// A refusal is an answer (<see cref="AuthenticationResult.Reason"/>), not an exception.
        /// </summary>
        /// <param name="key">The key value the connector presented. Never logged, never put in an exception.</param>
        /// <param name="connectorId">Who presented it (at most 256 characters), counted in the key's usage.</param>
        /// <param name="cancellationToken">Gives up waiting for the answer.</param>
        /// <returns>The daemon's answer.</returns>
        public Task<AuthenticationResult> AuthenticateAsync(string key, string? connectorId = null, CancellationToken cancellationToken = default)
        {
            if (key == null) throw new ArgumentNullException(nameof(key));
            // Retried once after a lost connection: the worst a repeat does is count one use twice.
            return CallAsync<AuthenticationResult>("connector.authenticate", new AuthenticateParams { Key = key, ConnectorId = connectorId }, idempotent: true, cancellationToken);
        }

        /// <summary>The daemon's version, uptime and key counts (<c>daemon.status</c>).</summary>
        /// <param name="cancellationToken">Gives up waiting for the answer.</param>
        /// <returns>The daemon's status.</returns>
        public Task<DaemonStatus> GetStatusAsync(CancellationToken cancellationToken = default) =>
            CallAsync<DaemonStatus>("daemon.status", null, idempotent: true, cancellationToken);

        /// <summary>Lists keys (<c>apiKey.list</c>; admin).</summary>
        /// <param name="query">Filters, sort and page; every key by name when <c>null</c>.</param>
        /// <param name="cancellationToken">Gives up waiting for the answer.</param>
        /// <returns>The matching keys and their count.</returns>
        public Task<ApiKeyList> ListKeysAsync(ApiKeyQuery? query = null, CancellationToken cancellationToken = default) =>
            CallAsync<ApiKeyList>("apiKey.list", query, idempotent: true, cancellationToken);

        /// <summary>One key (<c>apiKey.get</c>; admin); <c>KeyNotFound</c> when none has that name.</summary>
        /// <param name="name">The key's name, whatever its case.</param>
        /// <param name="cancellationToken">Gives up waiting for the answer.</param>
        /// <returns>The key.</returns>
        public Task<ApiKeyInfo> GetKeyAsync(string name, CancellationToken cancellationToken = default) =>
            CallAsync<ApiKeyInfo>("apiKey.get", new NameParams { Name = Required(name, nameof(name)) }, idempotent: true, cancellationToken);

        /// <summary>Creates a key (<c>apiKey.create</c>; admin). Not repeated after a lost connection.</summary>
        /// <param name="key">Its name, and optionally description and expiry.</param>
        /// <param name="cancellationToken">Gives up waiting for the answer.</param>
        /// <returns>The key with its value, shown this once.</returns>
        public Task<ApiKeyWithValue> CreateKeyAsync(NewApiKey key, CancellationToken cancellationToken = default) =>
            CallAsync<ApiKeyWithValue>("apiKey.create", key ?? throw new ArgumentNullException(nameof(key)), idempotent: false, cancellationToken);

        /// <summary>Changes a key's name, description or expiry (<c>apiKey.update</c>; admin). Not repeated after a lost connection.</summary>
        /// <param name="update">The key and what changes.</param>
        /// <param name="cancellationToken">Gives up waiting for the answer.</param>
        /// <returns>The key as changed.</returns>
        public Task<ApiKeyInfo> UpdateKeyAsync(ApiKeyUpdate update, CancellationToken cancellationToken = default) =>
            CallAsync<ApiKeyInfo>("apiKey.update", update ?? throw new ArgumentNullException(nameof(update)), idempotent: false, cancellationToken);

        /// <summary>A key with its value (<c>apiKey.reveal</c>; admin, audited).</summary>
        /// <param name="name">The key's name.</param>
        /// <param name="cancellationToken">Gives up waiting for the answer.</param>
        /// <returns>The key's name, description, expiry and value.</returns>
        public Task<RevealedApiKey> RevealKeyAsync(string name, CancellationToken cancellationToken = default) =>
            CallAsync<RevealedApiKey>("apiKey.reveal", new NameParams { Name = Required(name, nameof(name)) }, idempotent: true, cancellationToken);

        /// <summary>Deletes a key for good (<c>apiKey.delete</c>; admin). Not repeated after a lost connection.</summary>
        /// <param name="name">The key's name.</param>
        /// <param name="cancellationToken">Gives up waiting for the answer.</param>
        /// <returns>A task that completes once the key is deleted.</returns>
        public Task DeleteKeyAsync(string name, CancellationToken cancellationToken = default) =>
            CallAsync<DeletedResult>("apiKey.delete", new NameParams { Name = Required(name, nameof(name)) }, idempotent: false, cancellationToken);

        /// <summary>Checks a key as <see cref="AuthenticateAsync"/> does, recording no use (<c>apiKey.verify</c>; admin).</summary>
        /// <param name="key">The key value. Never logged, never put in an exception.</param>
        /// <param name="cancellationToken">Gives up waiting for the answer.</param>
        /// <returns>The daemon's answer.</returns>
        public Task<AuthenticationResult> VerifyKeyAsync(string key, CancellationToken cancellationToken = default) =>
            CallAsync<AuthenticationResult>("apiKey.verify", new KeyParams { Key = key ?? throw new ArgumentNullException(nameof(key)) }, idempotent: true, cancellationToken);

        /// <summary>Gives a key a new value (<c>apiKey.rotate</c>; admin); the previous one works for the grace. Not repeated after a lost connection.</summary>
        /// <param name="name">The key's name.</param>
        /// <param name="graceHours">How long the previous value keeps working, 0 to 168 hours (24 when <c>null</c>).</param>
        /// <param name="cancellationToken">Gives up waiting for the answer.</param>
        /// <returns>The key with its new value, shown this once.</returns>
        public Task<ApiKeyWithValue> RotateKeyAsync(string name, int? graceHours = null, CancellationToken cancellationToken = default) =>
            CallAsync<ApiKeyWithValue>("apiKey.rotate", new RotateParams { Name = Required(name, nameof(name)), GraceHours = graceHours }, idempotent: false, cancellationToken);

        /// <summary>Disables a key (<c>apiKey.disable</c>; admin): it fails authentication from the moment this returns.</summary>
        /// <param name="name">The key's name.</param>
        /// <param name="reason">Why, for the audit trail and the key (at most 200 characters).</param>
        /// <param name="cancellationToken">Gives up waiting for the answer.</param>
        /// <returns>The key as disabled.</returns>
        public Task<ApiKeyInfo> DisableKeyAsync(string name, string? reason = null, CancellationToken cancellationToken = default) =>
            CallAsync<ApiKeyInfo>("apiKey.disable", new DisableParams { Name = Required(name, nameof(name)), Reason = reason }, idempotent: true, cancellationToken);

        /// <summary>Enables a disabled key again (<c>apiKey.enable</c>; admin).</summary>
        /// <param name="name">The key's name.</param>
        /// <param name="cancellationToken">Gives up waiting for the answer.</param>
        /// <returns>The key as enabled.</returns>
        public Task<ApiKeyInfo> EnableKeyAsync(string name, CancellationToken cancellationToken = default) =>
            CallAsync<ApiKeyInfo>("apiKey.enable", new NameParams { Name = Required(name, nameof(name)) }, idempotent: true, cancellationToken);

        /// <summary>Which connectors used a key, when and how often (<c>apiKey.usage</c>; admin).</summary>
        /// <param name="name">The key's name.</param>
        /// <param name="cancellationToken">Gives up waiting for the answer.</param>
        /// <returns>The key's usage.</returns>
        public Task<ApiKeyUsage> GetKeyUsageAsync(string name, CancellationToken cancellationToken = default) =>
            CallAsync<ApiKeyUsage>("apiKey.usage", new NameParams { Name = Required(name, nameof(name)) }, idempotent: true, cancellationToken);

        /// <summary>Entries of the audit trail (<c>audit.list</c>; admin).</summary>
        /// <param name="query">Filters; every entry when <c>null</c>.</param>
        /// <param name="cancellationToken">Gives up waiting for the answer.</param>
        /// <returns>The matching entries, oldest first.</returns>
        public Task<AuditList> ListAuditAsync(AuditQuery? query = null, CancellationToken cancellationToken = default) =>
            CallAsync<AuditList>("audit.list", query, idempotent: true, cancellationToken);

        /// <summary>Checks the audit trail's hash chain (<c>audit.verify</c>; admin).</summary>
        /// <param name="cancellationToken">Gives up waiting for the answer.</param>
        /// <returns>Whether it is intact, and where not.</returns>
        public Task<AuditVerification> VerifyAuditAsync(CancellationToken cancellationToken = default) =>
            CallAsync<AuditVerification>("audit.verify", null, idempotent: true, cancellationToken);

        /// <summary>Stops the daemon cleanly (<c>daemon.shutdown</c>; admin). Not repeated after a lost connection.</summary>
        /// <param name="cancellationToken">Gives up waiting for the answer.</param>
        /// <returns>A task that completes once the daemon has said it is stopping.</returns>
        public Task ShutdownDaemonAsync(CancellationToken cancellationToken = default) =>
            CallAsync<StoppingResult>("daemon.shutdown", null, idempotent: false, cancellationToken);

        /// <summary>
        /// One call: on a pooled connection; after a lost connection, once more on another when it is safe (the request
        /// was never sent, or the method can be repeated). So a caller sees its answer or one exception.
        /// </summary>
        private async Task<T> CallAsync<T>(string method, object? parameters, bool idempotent, CancellationToken cancellationToken)
        {
            var repeated = false;
            // A request never sent may go again whatever it does; the bound only guards against a pool that keeps failing.
            for (var attempt = 1; ; attempt++)
            {
                var connection = await pool.AcquireAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    var answer = await connection.SendAsync(method, parameters, options.RequestTimeout, cancellationToken).ConfigureAwait(false);
                    return connection.ReadResult<T>(answer);
                }
                catch (ConnectionLostException lost) when (attempt < MaxAttempts && (lost.Sent ? idempotent && !repeated : true))
                {
                    repeated |= lost.Sent;
                    options.Logger?.LogDebug("The connection was lost under {Method}; trying it on another.", method);
                }
                catch (ConnectionLostException lost)
                {
                    throw new DaemonUnavailableException(GatewayErrorCodes.DaemonConnectionLost, pool.Pipe,
                        $"The connection to the gateway-apikeys daemon at {pool.Pipe} broke during {method}" +
                        (lost.Sent && !idempotent ? "; it is not repeated, since it may have been carried out. Check before trying again." : "."), lost);
                }
            }
        }

        private const int MaxAttempts = 4;

        private static string Required(string value, string name) => value ?? throw new ArgumentNullException(name);

        /// <summary>Closes every connection; calls still waiting fail, and later calls throw <see cref="ObjectDisposedException"/>.</summary>
        public void Dispose() => pool.Dispose();

        /// <summary>Closes every connection, as <see cref="Dispose"/> does.</summary>
        /// <returns>A completed task: closing does not wait for the daemon.</returns>
        public ValueTask DisposeAsync()
        {
            pool.Dispose();
            return default;
        }

        /// <summary>The hot path's parameters, written by hand (as the serializer would: camelCase, no null connectorId).</summary>
        private sealed class AuthenticateParams : IWireParams
        {
            public string Key { get; set; } = "";
            public string? ConnectorId { get; set; }

            public void WriteTo(System.Text.Json.Utf8JsonWriter writer)
            {
                writer.WriteStartObject();
                writer.WriteString("key", Key);
                if (ConnectorId != null) writer.WriteString("connectorId", ConnectorId);
                writer.WriteEndObject();
            }
        }

        private sealed class KeyParams
        {
            public string Key { get; set; } = "";
        }

        private sealed class NameParams
        {
            public string Name { get; set; } = "";
        }

        private sealed class RotateParams
        {
            public string Name { get; set; } = "";
            public int? GraceHours { get; set; }
        }

        private sealed class DisableParams
        {
            public string Name { get; set; } = "";
            public string? Reason { get; set; }
        }

        private sealed class DeletedResult
        {
            public bool Deleted { get; set; }
        }

        private sealed class StoppingResult
        {
            public bool Stopping { get; set; }
        }
    }
}
