// windowssmoke PIPE ADMIN_TOKEN_FILE GATEWAY_TOKEN_FILE: a tour of the client over a Windows named pipe; prints one JSON
// line of what each step gave and exits 0, or prints {"ok":false,"error":...} and exits 1.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using GatewayApiKeys.Client;

Console.SetOut(new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = true });
var (pipe, adminTokenFile, gatewayTokenFile) = (args[0], args[1], args[2]);
var steps = new Dictionary<string, object?>();
try
{
    await using var admin = new GatewayApiKeysClient(new GatewayApiKeysClientOptions { Pipe = pipe, TokenPath = adminTokenFile, Role = GatewayApiKeysRole.Admin });
    var created = await admin.CreateKeyAsync(new NewApiKey { Name = "windows-smoke", ValidFor = "P30D" });
    steps["create"] = created.Name;
    await using var gateway = new GatewayApiKeysClient(new GatewayApiKeysClientOptions { Pipe = pipe, TokenPath = gatewayTokenFile });
    var result = await gateway.AuthenticateAsync(created.Key, "wine");
    steps["authenticate"] = $"{result.Authenticated} {result.Name} {result.Status}";
    var many = await Task.WhenAll(Enumerable.Range(0, 400).Select(i => gateway.AuthenticateAsync(created.Key, $"wine-{i % 8}")));
    steps["pipelined"] = many.Count(r => r.Authenticated && r.Name == created.Name);
    steps["status"] = (await gateway.GetStatusAsync()).Keys.Total;
    try
    {
        await gateway.ListKeysAsync();
        steps["forbidden"] = "allowed";
    }
    catch (GatewayApiKeysException error)
    {
        steps["forbidden"] = error.Code;
    }
    await using var wrong = new GatewayApiKeysClient(new GatewayApiKeysClientOptions { Pipe = pipe, Token = "gwt_wrong" });
    try
    {
        await wrong.AuthenticateAsync(created.Key);
        steps["wrongToken"] = "accepted";
    }
    catch (GatewayApiKeysException error)
    {
        steps["wrongToken"] = error.Code;
    }
    await using var nobody = new GatewayApiKeysClient(new GatewayApiKeysClientOptions { Pipe = pipe + "-nobody", Token = "gwt_x", ConnectTimeout = TimeSpan.FromMilliseconds(300) });
    try
    {
        await nobody.GetStatusAsync();
        steps["noPipe"] = "answered";
    }
    catch (GatewayApiKeysException error)
    {
        steps["noPipe"] = error.Code;
    }
    steps["ok"] = true;
    Console.WriteLine(JsonSerializer.Serialize(steps));
    return 0;
}
catch (Exception error)
{
    steps["ok"] = false;
    steps["error"] = $"{error.GetType().Name}: {error.Message}";
    Console.WriteLine(JsonSerializer.Serialize(steps));
    return 1;
}
