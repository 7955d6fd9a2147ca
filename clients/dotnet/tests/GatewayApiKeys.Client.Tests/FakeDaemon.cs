using System;
using System.Collections.Generic;
using System.IO;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using GatewayApiKeys.Client.Internal;

namespace GatewayApiKeys.Client.Tests
{
    /// <summary>
    /// A server on a socket of its own that is not the daemon (test/helpers/impostor-server.mjs is the Node tests' one):
    /// it records every byte a client sends and answers by <see cref="Mode"/>.
    /// </summary>
    public sealed class FakeDaemon : IDisposable
    {
        public enum Mode
        {
            /// <summary>Answers the challenge as the daemon would, with a proof made without the token.</summary>
            Unproved,
            /// <summary>Knows the token: proves it, answers hello, then answers nothing more.</summary>
            ProveThenSilent,
        }

        private readonly Socket listener;
        private readonly Mode mode;
        private readonly byte[] token;
        private readonly MemoryStream received = new MemoryStream();
        private readonly List<string> methods = new List<string>();
        private readonly CancellationTokenSource stop = new CancellationTokenSource();
        private readonly TaskCompletionSource<bool> clientClosed = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);

        public FakeDaemon(Mode mode, string token = "")
        {
            this.mode = mode;
            this.token = Encoding.UTF8.GetBytes(token);
            Directory = TestPaths.PrivateDirectory("gwk-");
            Pipe = Path.Combine(Directory, "fake.sock");
            listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(Pipe));
            listener.Listen(16);
            _ = AcceptLoop();
        }

        public string Directory { get; }
        public string Pipe { get; }

        /// <summary>Everything clients sent, as text.</summary>
        public string Received { get { lock (received) return Encoding.UTF8.GetString(received.ToArray()); } }

        public IReadOnlyList<string> Methods { get { lock (methods) return methods.ToArray(); } }

        /// <summary>Completes when a client closes its connection.</summary>
        public Task ClientClosed => clientClosed.Task;

        private async Task AcceptLoop()
        {
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    var socket = await listener.AcceptAsync(stop.Token);
                    _ = Serve(socket);
                }
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
            }
        }

        private async Task Serve(Socket socket)
        {
            using var stream = new NetworkStream(socket, ownsSocket: true);
            var buffer = new byte[65536];
            var pendingBytes = new List<byte>();
            string? clientNonce = null;
            string? serverNonce = null;
            try
            {
                while (true)
                {
                    var read = await stream.ReadAsync(buffer, stop.Token);
                    if (read == 0) break;
                    lock (received) received.Write(buffer, 0, read);
                    pendingBytes.AddRange(new ArraySegment<byte>(buffer, 0, read));
                    while (TryTakeFrame(pendingBytes, out var body))
                    {
                        using var request = JsonDocument.Parse(body);
                        var id = request.RootElement.GetProperty("id").GetInt64();
                        var method = request.RootElement.GetProperty("method").GetString()!;
                        lock (methods) methods.Add(method);
                        object? result = null;
                        if (method == "session.challenge")
                        {
                            clientNonce = request.RootElement.GetProperty("params").GetProperty("clientNonce").GetString()!;
                            serverNonce = SessionProof.NewNonce();
                            var proof = mode == Mode.Unproved ? SessionProof.NewNonce() : SessionProof.ServerProof(token, clientNonce, serverNonce, "");
                            result = new { serverNonce, serverProof = proof };
                        }
                        else if (method == "session.hello" && mode == Mode.ProveThenSilent)
                        {
                            result = new { role = "gateway", serverVersion = "0.0.0-fake", protocolVersion = 3, today = "2026-01-01", timeZone = "UTC" };
                        }
                        if (result == null) continue;
                        var answer = JsonSerializer.SerializeToUtf8Bytes(new { jsonrpc = "2.0", id, result });
                        var header = Encoding.ASCII.GetBytes($"Content-Length: {answer.Length}\r\n\r\n");
                        await stream.WriteAsync(header, stop.Token);
                        await stream.WriteAsync(answer, stop.Token);
                    }
                }
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (IOException)
            {
            }
            clientClosed.TrySetResult(true);
        }

        private static bool TryTakeFrame(List<byte> bytes, out byte[] body)
        {
            body = Array.Empty<byte>();
            var text = Encoding.ASCII.GetString(bytes.ToArray());
            var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end < 0) return false;
            var length = int.Parse(text.Substring(0, end).Split(':')[1].Trim());
            if (bytes.Count < end + 4 + length) return false;
            body = bytes.GetRange(end + 4, length).ToArray();
            bytes.RemoveRange(0, end + 4 + length);
            return true;
        }

        public void Dispose()
        {
            stop.Cancel();
            listener.Dispose();
            try
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
