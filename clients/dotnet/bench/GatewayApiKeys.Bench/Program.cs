// One measurement of connector.authenticate against a running daemon, printed as one JSON line
// {perSecond, p50Ms, p99Ms}; bench/run.mjs alternates it with the Node client's.
//
//   GatewayApiKeys.Bench lean|streamjsonrpc IN_FLIGHT COUNT PIPE TOKEN_FILE KEY
//
// lean: GatewayApiKeysClient on one connection (as the Node client it is compared with). streamjsonrpc: the same
// handshake and calls through StreamJsonRpc (HeaderDelimitedMessageHandler, System.Text.Json), the library
// docs/architecture.md ("The .NET client") says why it was measured against the lean client.
using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using GatewayApiKeys.Client;
using GatewayApiKeys.Client.Internal;
using StreamJsonRpc;

var (mode, inFlight, count, pipe, token, key) = (args[0], int.Parse(args[1]), int.Parse(args[2]), args[3], File.ReadAllText(args[4]).Trim(), args[5]);
Func<Task<bool>> authenticate;
IDisposable connection;
if (mode == "lean")
{
    var client = new GatewayApiKeysClient(new GatewayApiKeysClientOptions { Pipe = pipe, Token = token, MaxConnections = 1 });
    authenticate = async () => (await client.AuthenticateAsync(key)).Authenticated;
    connection = client;
}
else
{
    var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    await socket.ConnectAsync(new UnixDomainSocketEndPoint(pipe));
    var stream = new NetworkStream(socket, ownsSocket: true);
    var rpc = new JsonRpc(new HeaderDelimitedMessageHandler(stream, stream, new SystemTextJsonFormatter()));
    rpc.StartListening();
    var secret = Encoding.UTF8.GetBytes(token);
    var clientNonce = SessionProof.NewNonce();
    var challenge = await rpc.InvokeWithParameterObjectAsync<JsonElement>("session.challenge", new { protocolVersion = 3, role = "gateway", clientNonce });
    var serverNonce = challenge.GetProperty("serverNonce").GetString()!;
    if (!SessionProof.SameProof(SessionProof.ServerProof(secret, clientNonce, serverNonce, ""), challenge.GetProperty("serverProof").GetString()!)) throw new InvalidOperationException("impostor");
    await rpc.InvokeWithParameterObjectAsync<JsonElement>("session.hello", new { role = "gateway", clientProof = SessionProof.ClientProof(secret, serverNonce, clientNonce, "") });
    authenticate = async () => (await rpc.InvokeWithParameterObjectAsync<JsonElement>("connector.authenticate", new { key })).GetProperty("authenticated").GetBoolean();
    connection = rpc;
}

async Task<(double Seconds, double[] Latencies)> Drive(int calls)
{
    var latencies = new double[calls];
    var next = -1;
    var clock = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, inFlight).Select(async _ =>
    {
        for (var i = Interlocked.Increment(ref next); i < calls; i = Interlocked.Increment(ref next))
        {
            var started = Stopwatch.GetTimestamp();
            if (!await authenticate()) throw new InvalidOperationException("the key was refused");
            latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }
    }));
    Array.Sort(latencies);
    return (clock.Elapsed.TotalSeconds, latencies);
}

// Warm-up for at least 2 s, as bench/run.mjs warms its Node client, and then until the JIT has compiled nothing for
// a second (at most 30 s): a fresh process promotes methods to tier 1 (and through TieredPGO's instrumented tier) only
// after they run for a while, on a background thread that a loaded 2-core machine gives little time; measured,
// it was still compiling 3 s into a run. A long-running gateway is past that, so the measured run must be too.
var warming = Stopwatch.StartNew();
var quietSince = TimeSpan.Zero;
var compiled = System.Runtime.JitInfo.GetCompiledMethodCount();
while (warming.Elapsed < TimeSpan.FromSeconds(2) || (warming.Elapsed - quietSince < TimeSpan.FromSeconds(1) && warming.Elapsed < TimeSpan.FromSeconds(30)))
{
    await Drive(Math.Min(count, 3000));
    var now = System.Runtime.JitInfo.GetCompiledMethodCount();
    if (now != compiled) (compiled, quietSince) = (now, warming.Elapsed);
}
var (seconds, sorted) = await Drive(count);
double Percentile(double p) => sorted[Math.Min(sorted.Length - 1, (int)(p / 100 * sorted.Length))];
Console.WriteLine(JsonSerializer.Serialize(new { perSecond = count / seconds, p50Ms = Percentile(50), p99Ms = Percentile(99) }));
connection.Dispose();
