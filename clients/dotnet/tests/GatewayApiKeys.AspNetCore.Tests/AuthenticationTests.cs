using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Security.Claims;
using System.Threading.Tasks;
using GatewayApiKeys.Client;
using GatewayApiKeys.Client.Tests;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Xunit;

namespace GatewayApiKeys.AspNetCore.Tests
{
    /// <summary>A daemon holding one key of each kind: valid, expired, disabled, and one deleted (unknown).</summary>
    public sealed class KeysFixture : IDisposable
    {
        public KeysFixture()
        {
            Daemon = new DaemonProcess();
            // Expired: made while the daemon's clock said a month ago, with a last day ten days ago; then the daemon starts again on today.
            var today = DateTime.UtcNow.Date;
            Daemon.Start(now: today.AddDays(-30).ToString("yyyy-MM-dd") + "T12:00:00Z");
            using (var admin = Daemon.Client(GatewayApiKeysRole.Admin))
            {
                Expired = admin.CreateKeyAsync(new NewApiKey { Name = "expired-key", ExpiresOn = today.AddDays(-10) }).GetAwaiter().GetResult().Key;
            }
            Daemon.Kill();
            Daemon.Start();
            using (var admin = Daemon.Client(GatewayApiKeysRole.Admin))
            {
                Valid = admin.CreateKeyAsync(new NewApiKey { Name = "valid-key" }).GetAwaiter().GetResult().Key;
                Disabled = admin.CreateKeyAsync(new NewApiKey { Name = "disabled-key" }).GetAwaiter().GetResult().Key;
                admin.DisableKeyAsync("disabled-key").GetAwaiter().GetResult();
                Unknown = admin.CreateKeyAsync(new NewApiKey { Name = "deleted-key" }).GetAwaiter().GetResult().Key;
                admin.DeleteKeyAsync("deleted-key").GetAwaiter().GetResult();
            }
        }

        public DaemonProcess Daemon { get; }
        public string Valid { get; }
        public string Expired { get; }
        public string Disabled { get; }
        public string Unknown { get; }

        public void Dispose() => Daemon.Dispose();
    }

    public class AuthenticationTests : IClassFixture<KeysFixture>
    {
        private readonly KeysFixture keys;

        public AuthenticationTests(KeysFixture keys)
        {
            this.keys = keys;
        }

        /// <summary>A minimal API as a gateway writes it, on TestServer, logging into <paramref name="log"/>.</summary>
        private static async Task<IHost> StartApp(string pipe, string token, ConcurrentQueue<string> log)
        {
            var host = new HostBuilder().ConfigureWebHost(web => web
                .UseTestServer()
                .ConfigureLogging(logging => logging.AddProvider(new ListLoggerProvider(log)))
                .ConfigureServices(services =>
                {
                    services.AddRouting();
                    services.AddGatewayApiKeysClient(o =>
                    {
                        o.Pipe = pipe;
                        o.Token = token;
                        o.ConnectTimeout = TimeSpan.FromMilliseconds(500);
                    });
                    services.AddAuthentication(GatewayApiKeysDefaults.AuthenticationScheme).AddGatewayApiKeys(o => o.ConnectorIdHeaderName = "X-Connector");
                    services.AddAuthorization();
                    services.AddHealthChecks().AddGatewayApiKeysHealthCheck();
                })
                .Configure(app =>
                {
                    app.UseRouting();
                    app.UseAuthentication();
                    app.UseAuthorization();
                    app.UseEndpoints(endpoints =>
                    {
                        endpoints.MapGet("/hello", [Authorize] (ClaimsPrincipal user) =>
                            $"{user.Identity!.Name}|{user.FindFirst(GatewayApiKeysDefaults.StatusClaimType)!.Value}");
                        endpoints.MapHealthChecks("/health");
                    });
                })).Build();
            await host.StartAsync();
            return host;
        }

        private static HttpRequestMessage Get(string path, string? apiKey = null, string? authorization = null)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, path);
            if (apiKey != null) request.Headers.Add("X-API-Key", apiKey);
            if (authorization != null) request.Headers.TryAddWithoutValidation("Authorization", authorization);
            request.Headers.Add("X-Connector", "aspnet-test");
            return request;
        }

        [Fact]
        public async Task AValidKeyIsLetInWithItsNameAndStatus()
        {
            var log = new ConcurrentQueue<string>();
            using var host = await StartApp(keys.Daemon.Pipe, keys.Daemon.GatewayToken, log);
            var http = host.GetTestClient();
            var response = await http.SendAsync(Get("/hello", apiKey: keys.Valid));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("valid-key|Active", await response.Content.ReadAsStringAsync());
            var viaAuthorization = await http.SendAsync(Get("/hello", authorization: "ApiKey " + keys.Valid));
            Assert.Equal("valid-key|Active", await viaAuthorization.Content.ReadAsStringAsync());
            await using var admin = keys.Daemon.Client(GatewayApiKeysRole.Admin);
            Assert.Contains((await admin.GetKeyUsageAsync("valid-key")).Connectors, c => c.ConnectorId == "aspnet-test");
        }

        [Theory]
        [InlineData("unknown", "Unknown")]
        [InlineData("expired", "Expired")]
        [InlineData("disabled", "Disabled")]
        [InlineData("malformed", "Malformed")]
        public async Task ARefusedKeyIs401WithTheReasonOnlyInTheLog(string kind, string reason)
        {
            var key = kind switch { "unknown" => keys.Unknown, "expired" => keys.Expired, "disabled" => keys.Disabled, _ => "not-a-key" };
            var log = new ConcurrentQueue<string>();
            using var host = await StartApp(keys.Daemon.Pipe, keys.Daemon.GatewayToken, log);
            var response = await host.GetTestClient().SendAsync(Get("/hello", apiKey: key));
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("ApiKey", response.Headers.WwwAuthenticate.ToString());
            var body = await response.Content.ReadAsStringAsync();
            Assert.Equal("", body);
            Assert.Contains(log, line => line.Contains("refused: " + reason));
            Assert.DoesNotContain(log, line => line.Contains(key));
        }

        [Fact]
        public async Task NoKeyIsChallenged()
        {
            using var host = await StartApp(keys.Daemon.Pipe, keys.Daemon.GatewayToken, new ConcurrentQueue<string>());
            var response = await host.GetTestClient().SendAsync(Get("/hello"));
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("ApiKey", response.Headers.WwwAuthenticate.ToString());
        }

        [Fact]
        public async Task TheHealthCheckSaysWhetherTheDaemonAnswers()
        {
            using var up = await StartApp(keys.Daemon.Pipe, keys.Daemon.GatewayToken, new ConcurrentQueue<string>());
            var healthy = await up.GetTestClient().GetAsync("/health");
            Assert.Equal(HttpStatusCode.OK, healthy.StatusCode);
            Assert.Equal("Healthy", await healthy.Content.ReadAsStringAsync());

            var log = new ConcurrentQueue<string>();
            using var down = await StartApp(keys.Daemon.Pipe + ".nobody", keys.Daemon.GatewayToken, log);
            var unhealthy = await down.GetTestClient().GetAsync("/health");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, unhealthy.StatusCode);
            Assert.Equal("Unhealthy", await unhealthy.Content.ReadAsStringAsync());
            // And a key cannot be checked then: 503, not a 401 that would tell the connector its key is bad.
            var request = await down.GetTestClient().SendAsync(Get("/hello", apiKey: keys.Valid));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, request.StatusCode);
            Assert.DoesNotContain(log, line => line.Contains(keys.Valid));
        }
    }

    /// <summary>Every log line, with its exception, into a queue.</summary>
    internal sealed class ListLoggerProvider : ILoggerProvider
    {
        private readonly ConcurrentQueue<string> lines;

        public ListLoggerProvider(ConcurrentQueue<string> lines)
        {
            this.lines = lines;
        }

        public ILogger CreateLogger(string categoryName) => new ListLogger(lines);

        public void Dispose()
        {
        }

        private sealed class ListLogger : ILogger
        {
            private readonly ConcurrentQueue<string> lines;

            public ListLogger(ConcurrentQueue<string> lines)
            {
                this.lines = lines;
            }

            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Enqueue(formatter(state, exception) + (exception == null ? "" : " " + exception));
        }
    }
}
