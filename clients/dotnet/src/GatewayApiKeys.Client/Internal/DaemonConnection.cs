using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace GatewayApiKeys.Client.Internal
{
    /// <summary>
    /// The connection broke under a call (the daemon stopped or restarted). <see cref="Sent"/> says whether the request
    /// may have reached the daemon: a request never sent can be sent again on another connection, whatever it does.
    /// </summary>
    internal sealed class ConnectionLostException : Exception
    {
        internal ConnectionLostException(bool sent, Exception? cause = null)
            : base("The connection to the daemon was lost.", cause)
        {
            Sent = sent;
        }

        internal bool Sent { get; }
    }

    /// <summary>
    /// One connection to the daemon with its session open: requests framed by hand (<c>Content-Length</c>, docs/protocol.md
    /// "Framing"), any number in flight, answers matched to their requests by id. A caller writes its request on its own
    /// thread, with those of callers that queued behind it in the same write; a thread of the connection's own reads. Bounds what the peer may cost as src/client/connect.ts does
    /// (docs/security.md, "What answers the pipe"): 4 KiB answers and 10 s each until hello has answered, then 500 MiB.
    /// </summary>
    internal sealed class DaemonConnection : IDisposable
    {
        internal const int HandshakeAnswerBytes = 4 * 1024;
        internal const int MaxAnswerBytes = 500 * 1024 * 1024;
        internal static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);
        private const int MaxHeaderBytes = 4096;
        private static readonly byte[] HeaderEnd = { (byte)'\r', (byte)'\n', (byte)'\r', (byte)'\n' };

        private readonly Stream stream;
        private readonly string pipe;
        private readonly ConcurrentDictionary<long, PendingCall> pending = new ConcurrentDictionary<long, PendingCall>();
        private readonly object writeGate = new object();
        private readonly List<byte[]> queued = new List<byte[]>();
        private readonly Timer deadlines;
        private bool flushing;
        private long nextId;
        private volatile int maxAnswerBytes = HandshakeAnswerBytes;
        private volatile bool proved;
        private volatile bool draining;
        private Exception? closedBy;

        private DaemonConnection(Stream stream, string pipe)
        {
            this.stream = stream;
            this.pipe = pipe;
            // Request timeouts are checked a few times a second, rather than with a timer per request.
            deadlines = new Timer(_ => ExpireOverdue(), null, 100, 100);
            // A thread of its own that blocks in Read: an answer wakes it directly, where an awaited read goes from
            // the socket engine's thread to the thread pool before it is parsed (docs/architecture.md, "The .NET client").
            new Thread(ReadLoop) { IsBackground = true, Name = "gateway-apikeys reader" }.Start();
        }

        /// <summary>Raised once, when the connection closes: with <c>true</c> when the daemon's end broke it (not this client).</summary>
        internal event Action<DaemonConnection, bool>? Closed;

        /// <summary>Requests sent and not yet answered.</summary>
        internal int InFlight => pending.Count;

        internal bool IsClosed => Volatile.Read(ref closedBy) != null;

        /// <summary>What hello answered: the vault's date and time zone, the daemon's version.</summary>
        internal JsonElement Hello { get; private set; }

        /// <summary>
        /// Connects and opens a session with protocol 3 (docs/protocol.md, "Sessions"): the daemon must prove it knows the
        /// token before anything secret is sent. Throws <see cref="PipeConnectException"/> when nothing answers,
        /// <see cref="DaemonImpostorException"/> when what answers cannot prove it.
        /// </summary>
        internal static async Task<DaemonConnection> OpenAsync(string pipe, string roleName, string token, TimeSpan connectTimeout, CancellationToken cancellationToken)
        {
            var opened = await PipeConnector.OpenAsync(pipe, connectTimeout, cancellationToken).ConfigureAwait(false);
            var connection = new DaemonConnection(opened.Stream, pipe);
            try
            {
                var key = Encoding.UTF8.GetBytes(token);
                var clientNonce = SessionProof.NewNonce();
                var challenge = await connection.HandshakeCallAsync("session.challenge",
                    new ChallengeParams { Role = roleName, ClientNonce = clientNonce, ProtocolVersion = SessionProof.ProtocolVersion }, cancellationToken).ConfigureAwait(false);
                if (challenge.ValueKind != JsonValueKind.Object ||
                    !challenge.TryGetProperty("serverNonce", out var serverNonceElement) || serverNonceElement.ValueKind != JsonValueKind.String ||
                    !challenge.TryGetProperty("serverProof", out var serverProofElement) || serverProofElement.ValueKind != JsonValueKind.String)
                {
                    throw new DaemonImpostorException(pipe, "it answers the challenge with what no daemon sends");
                }
                var serverNonce = serverNonceElement.GetString()!;
                if (!SessionProof.SameProof(SessionProof.ServerProof(key, clientNonce, serverNonce, opened.Binding), serverProofElement.GetString()!))
                {
                    throw new DaemonImpostorException(pipe);
                }
                // The daemon proved itself: from here its errors are its own (Unauthenticated, TooManySessions), not an impostor's.
                connection.proved = true;
                var clientProof = SessionProof.ClientProof(key, serverNonce, clientNonce, opened.Binding);
                connection.Hello = await connection.HandshakeCallAsync("session.hello", new HelloParams { Role = roleName, ClientProof = clientProof }, cancellationToken).ConfigureAwait(false);
                connection.maxAnswerBytes = MaxAnswerBytes;
                return connection;
            }
            catch
            {
                connection.Dispose();
                throw;
            }
        }

        private async Task<JsonElement> HandshakeCallAsync(string method, object parameters, CancellationToken cancellationToken)
        {
            var body = await SendAsync(method, parameters, HandshakeTimeout, cancellationToken).ConfigureAwait(false);
            using (var answer = JsonDocument.Parse(body))
            {
                var root = answer.RootElement;
                if (root.TryGetProperty("error", out var error)) throw ToException(error);
                return root.TryGetProperty("result", out var result) ? result.Clone() : default;
            }
        }

        /// <summary>An answer's result, or its error as an exception: one pass over the body (the hot path's parse).</summary>
        internal T ReadResult<T>(byte[] body)
        {
            try
            {
                var answer = JsonSerializer.Deserialize<Answer<T>>(body, Json.Options);
                if (answer?.Error is JsonElement error) throw ToException(error);
                if (answer == null || answer.Result == null) throw new JsonException("no result");
                return answer.Result;
            }
            catch (Exception error) when (error is JsonException || error is FormatException || error is InvalidOperationException)
            {
                // Names where, never what: the answer may hold a key value.
                var where = error is JsonException json && json.Path != null ? $" (at {json.Path})" : "";
                throw new GatewayApiKeysException(GatewayErrorCodes.DaemonProtocolError,
                    $"What answers on {pipe} does not speak the gateway-apikeys protocol: an answer to {typeof(T).Name} does not have the shape this client knows{where}.");
            }
        }

        private GatewayApiKeysException ToException(JsonElement error)
        {
            var rpcCode = error.TryGetProperty("code", out var codeElement) && codeElement.ValueKind == JsonValueKind.Number && codeElement.TryGetInt32(out var number) ? number : 0;
            var message = error.TryGetProperty("message", out var messageElement) && messageElement.ValueKind == JsonValueKind.String ? messageElement.GetString()! : "The daemon refused the request.";
            string? code = null;
            string? field = null;
            if (error.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object)
            {
                if (data.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String) code = c.GetString();
                if (data.TryGetProperty("field", out var f) && f.ValueKind == JsonValueKind.String) field = f.GetString();
            }
            if (!proved) return new DaemonImpostorException(pipe, $"it refused the handshake ({code ?? rpcCode.ToString(System.Globalization.CultureInfo.InvariantCulture)}: {message})");
            return new GatewayApiKeysException(code ?? rpcCode.ToString(System.Globalization.CultureInfo.InvariantCulture), message) { Field = field, RpcCode = rpcCode };
        }

        /// <summary>Sends one request and waits for its answer's body (<see cref="ReadResult{T}"/> reads it).</summary>
        internal Task<byte[]> SendAsync(string method, object? parameters, TimeSpan timeout, CancellationToken cancellationToken)
        {
            if (cancellationToken.IsCancellationRequested) return Task.FromCanceled<byte[]>(cancellationToken);
            var failure = Volatile.Read(ref closedBy);
            if (failure != null) throw failure is ConnectionLostException ? new ConnectionLostException(sent: false, failure) : failure;
            // A drained connection may be to a daemon that stopped: the call goes to another, as one never sent.
            if (draining) throw new ConnectionLostException(sent: false);
            var id = Interlocked.Increment(ref nextId);
            var call = new PendingCall(Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency), timeout);
            pending[id] = call;
            if (cancellationToken.CanBeCanceled)
            {
                call.Registration = cancellationToken.Register(() =>
                {
                    if (pending.TryRemove(id, out var cancelled)) cancelled.Completion.TrySetCanceled(cancellationToken);
                });
            }
            // Closed between the check above and the registration: this call was not failed by Close, so fail it here.
            if (Volatile.Read(ref closedBy) != null && pending.TryRemove(id, out _)) call.Completion.TrySetException(new ConnectionLostException(sent: false));
            else Enqueue(Frame(id, method, parameters), call);
            return call.Completion.Task;
        }

        private static readonly byte[] ContentLength = Encoding.ASCII.GetBytes("Content-Length: ");

        [ThreadStatic]
        private static FrameBuilder? frameBuilder;

        /// <summary>A request framed: one allocation, its own bytes (the JSON is written into a buffer each thread reuses).</summary>
        private static byte[] Frame(long id, string method, object? parameters)
        {
            var builder = frameBuilder ?? (frameBuilder = new FrameBuilder());
            var writer = builder.Start();
            try
            {
                writer.WriteStartObject();
                writer.WriteString("jsonrpc", "2.0");
                writer.WriteNumber("id", id);
                writer.WriteString("method", method);
                writer.WritePropertyName("params");
                if (parameters is IWireParams wire)
                {
                    wire.WriteTo(writer);
                }
                else if (parameters == null)
                {
                    writer.WriteStartObject();
                    writer.WriteEndObject();
                }
                else
                {
                    JsonSerializer.Serialize(writer, parameters, parameters.GetType(), Json.Options);
                }
                writer.WriteEndObject();
                writer.Flush();
                var body = builder.Written;
                var length = body.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
                var frame = new byte[ContentLength.Length + length.Length + HeaderEnd.Length + body.Count];
                Buffer.BlockCopy(ContentLength, 0, frame, 0, ContentLength.Length);
                var offset = ContentLength.Length;
                foreach (var digit in length) frame[offset++] = (byte)digit;
                Buffer.BlockCopy(HeaderEnd, 0, frame, offset, HeaderEnd.Length);
                Buffer.BlockCopy(body.Array!, body.Offset, frame, offset + HeaderEnd.Length, body.Count);
                return frame;
            }
            finally
            {
                builder.Finish();
            }
        }

        /// <summary>
        /// Queues a frame; the first caller to find no write under way writes, on its own thread, what is queued, in one
        /// write per batch: no hop to another thread before the request leaves.
        /// </summary>
        private void Enqueue(byte[] frame, PendingCall call)
        {
            call.Queued = true;
            lock (writeGate)
            {
                queued.Add(frame);
                if (flushing) return;
                flushing = true;
            }
            Flush();
        }

        private void Flush()
        {
            try
            {
                while (true)
                {
                    byte[] batch;
                    lock (writeGate)
                    {
                        if (queued.Count == 0)
                        {
                            flushing = false;
                            return;
                        }
                        if (queued.Count == 1)
                        {
                            batch = queued[0];
                        }
                        else
                        {
                            var length = 0;
                            foreach (var frame in queued) length += frame.Length;
                            batch = new byte[length];
                            var offset = 0;
                            foreach (var frame in queued)
                            {
                                Buffer.BlockCopy(frame, 0, batch, offset, frame.Length);
                                offset += frame.Length;
                            }
                        }
                        queued.Clear();
                    }
                    stream.Write(batch, 0, batch.Length);
                }
            }
            catch (Exception error)
            {
                lock (writeGate) flushing = false;
                Close(new ConnectionLostException(sent: true, error));
            }
        }

        private void ReadLoop()
        {
            var buffer = new byte[64 * 1024];
            int start = 0, end = 0;
            try
            {
                while (true)
                {
                    var headerEnd = IndexOf(buffer, start, end, HeaderEnd);
                    if (headerEnd < 0)
                    {
                        if (end - start > MaxHeaderBytes) throw new FramingException("The header section is too long.");
                        if (start > 0)
                        {
                            Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                            end -= start;
                            start = 0;
                        }
                        var read = stream.Read(buffer, end, buffer.Length - end);
                        if (read == 0) throw new ConnectionLostException(sent: true);
                        end += read;
                        continue;
                    }
                    var length = ParseHeaders(buffer, start, headerEnd);
                    start = headerEnd + HeaderEnd.Length;
                    var body = new byte[length];
                    var available = Math.Min(length, end - start);
                    Buffer.BlockCopy(buffer, start, body, 0, available);
                    start += available;
                    for (var filled = available; filled < length;)
                    {
                        var read = stream.Read(body, filled, length - filled);
                        if (read == 0) throw new ConnectionLostException(sent: true);
                        filled += read;
                    }
                    if (start == end) start = end = 0;
                    Dispatch(body);
                }
            }
            catch (FramingException error)
            {
                Close(Unmasked(error.Message));
            }
            catch (JsonException)
            {
                Close(Unmasked("An answer is not JSON."));
            }
            catch (ConnectionLostException lost)
            {
                Close(lost);
            }
            catch (Exception error)
            {
                Close(IsClosed ? error : new ConnectionLostException(sent: true, error));
            }
        }

        /// <summary>A frame that breaks the protocol: before hello it unmasks an impostor, after it the connection is unusable.</summary>
        private Exception Unmasked(string problem) => proved
            ? new GatewayApiKeysException(GatewayErrorCodes.DaemonProtocolError, $"What answers on {pipe} does not speak the gateway-apikeys protocol: {problem} The connection was closed.")
            : new DaemonImpostorException(pipe, $"it answers with what no daemon sends ({char.ToLowerInvariant(problem[0])}{problem.Substring(1).TrimEnd('.')})");

        private int ParseHeaders(byte[] buffer, int start, int end)
        {
            int? length = null;
            // Messages never quote what the peer sent: a header could carry a secret pasted in the wrong place.
            foreach (var line in Encoding.ASCII.GetString(buffer, start, end - start).Split(new[] { "\r\n" }, StringSplitOptions.None))
            {
                var colon = line.IndexOf(':');
                if (colon <= 0) throw new FramingException("A header line has no name.");
                var name = line.Substring(0, colon).Trim();
                var value = line.Substring(colon + 1).Trim();
                if (!string.Equals(name, "Content-Length", StringComparison.OrdinalIgnoreCase)) continue;
                if (value.Length == 0 || value.Length > 10 || !int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var parsed))
                {
                    throw new FramingException("Content-Length must be a byte count.");
                }
                length = parsed;
            }
            if (length == null) throw new FramingException("A frame must start with a Content-Length header.");
            if (length.Value > maxAnswerBytes) throw new FramingException($"A frame of {length.Value} bytes is over the limit of {maxAnswerBytes}.");
            return length.Value;
        }

        private static int IndexOf(byte[] buffer, int start, int end, byte[] pattern)
        {
            for (var i = start; i <= end - pattern.Length; i++)
            {
                if (buffer[i] == pattern[0] && buffer[i + 1] == pattern[1] && buffer[i + 2] == pattern[2] && buffer[i + 3] == pattern[3]) return i;
            }
            return -1;
        }

        /// <summary>Hands an answer to the call it answers; only its id is read here, the caller parses the rest.</summary>
        private void Dispatch(byte[] body)
        {
            var reader = new Utf8JsonReader(body);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) throw new FramingException("An answer is not a JSON-RPC response object.");
            long? id = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isId = reader.ValueTextEquals("id");
                reader.Read();
                if (isId && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var value)) id = value;
                else reader.Skip();
            }
            if (id != null && pending.TryRemove(id.Value, out var call))
            {
                call.Registration.Dispose();
                call.Completion.TrySetResult(body);
                if (draining && pending.IsEmpty) Dispose();
                return;
            }
            // An answer to a call that was cancelled or timed out is dropped; one to no request ever sent breaks the protocol.
            if (id == null || id.Value < 1 || id.Value > Interlocked.Read(ref nextId)) throw new FramingException("An answer is not to any request that was sent.");
        }

        private void ExpireOverdue()
        {
            var now = Stopwatch.GetTimestamp();
            foreach (var entry in pending)
            {
                if (entry.Value.Deadline > now || !pending.TryRemove(entry.Key, out var call)) continue;
                call.Completion.TrySetException(proved
                    ? new GatewayApiKeysException(GatewayErrorCodes.DaemonTimeout, $"The gateway-apikeys daemon at {pipe} did not answer within {call.Timeout.TotalSeconds} s. The connection was closed.")
                    : new GatewayApiKeysException(GatewayErrorCodes.DaemonTimeout, $"What answers on {pipe} did not answer the handshake within {call.Timeout.TotalSeconds} s: it is not the gateway-apikeys daemon, or the daemon is stuck. Nothing secret was sent to it."));
                // The daemon is stuck or the peer is not one: the calls still on this connection go elsewhere (src/rpc/client.ts closes it too).
                Close(new ConnectionLostException(sent: true));
            }
        }

        /// <summary>
        /// Takes no more calls (the pool gives it none) and closes once those in flight are answered: when one connection
        /// was lost, the others may be to the same stopped daemon, their loss not yet seen (ConnectionPool).
        /// </summary>
        internal void Drain()
        {
            draining = true;
            if (pending.IsEmpty) Dispose();
        }

        /// <summary>Ends the connection: every call still waiting fails with <paramref name="reason"/> (a lost connection says, per call, whether it was sent).</summary>
        private void Close(Exception reason, bool byPeer = true)
        {
            if (Interlocked.CompareExchange(ref closedBy, reason, null) != null) return;
            deadlines.Dispose();
            try
            {
                stream.Dispose();
            }
            catch (IOException)
            {
                // Closing a broken pipe may fail: it is closed either way.
            }
            foreach (var id in pending.Keys)
            {
                if (!pending.TryRemove(id, out var call)) continue;
                call.Registration.Dispose();
                call.Completion.TrySetException(reason is ConnectionLostException ? new ConnectionLostException(call.Queued, reason.InnerException) : reason);
            }
            Closed?.Invoke(this, byPeer);
        }

        public void Dispose() => Close(new ConnectionLostException(sent: false, new ObjectDisposedException(nameof(DaemonConnection))), byPeer: false);

        /// <summary>A call waiting for its answer; its continuations never run on the reading thread (nor a caller's code with them).</summary>
        private sealed class PendingCall : TaskCompletionSource<byte[]>
        {
            internal PendingCall(long deadline, TimeSpan timeout)
                : base(TaskCreationOptions.RunContinuationsAsynchronously)
            {
                Deadline = deadline;
                Timeout = timeout;
            }

            /// <summary>Itself: one object per call, not two.</summary>
            internal TaskCompletionSource<byte[]> Completion => this;
            internal readonly long Deadline;
            internal readonly TimeSpan Timeout;
            internal CancellationTokenRegistration Registration;
            /// <summary>Handed to the writer: it may have reached the daemon.</summary>
            internal volatile bool Queued;
        }

        private sealed class FramingException : Exception
        {
            internal FramingException(string message) : base(message) { }
        }

        private sealed class Answer<T>
        {
            public T? Result { get; set; }
            public JsonElement? Error { get; set; }
        }

        private sealed class ChallengeParams
        {
            public string Role { get; set; } = "";
            public string ClientNonce { get; set; } = "";
            public int ProtocolVersion { get; set; }
        }

        private sealed class HelloParams
        {
            public string Role { get; set; } = "";
            public string ClientProof { get; set; } = "";
        }
    }
}
