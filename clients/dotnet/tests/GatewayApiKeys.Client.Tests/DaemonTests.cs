using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace GatewayApiKeys.Client.Tests
{
    /// <summary>The client against the real daemon.</summary>
    public class DaemonTests : IClassFixture<DaemonFixture>
    {
        private readonly DaemonProcess daemon;

        public DaemonTests(DaemonFixture fixture)
        {
            daemon = fixture.Daemon;
        }

        private static string UniqueName(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N").Substring(0, 8);

        [Fact]
        public async Task AGatewayAuthenticatesAKeyAnAdminCreated()
        {
            await using var admin = daemon.Client(GatewayApiKeysRole.Admin);
            await using var gateway = daemon.Client(GatewayApiKeysRole.Gateway);
            var created = await admin.CreateKeyAsync(new NewApiKey { Name = UniqueName("orders"), Description = "for the test", ValidFor = "P30D" });
            Assert.StartsWith("gwk_", created.Key);

            var result = await gateway.AuthenticateAsync(created.Key, "connector-1");
            Assert.True(result.Authenticated);
            Assert.Equal(created.Name, result.Name);
            Assert.Equal(ApiKeyStatus.Active, result.Status);
            Assert.Equal(created.ExpiresOn, result.ExpiresOn);
            Assert.Null(result.Reason);

            var usage = await admin.GetKeyUsageAsync(created.Name);
            Assert.Equal("connector-1", Assert.Single(usage.Connectors).ConnectorId);
            var status = await gateway.GetStatusAsync();
            Assert.True(status.Keys.Total >= 1);
            Assert.True(status.Keys.Active >= 1);
            // A single host: its data dir alone, in step.
            Assert.Equal("files", status.Store?.Kind);
            Assert.True(status.Store?.Reachable);
            Assert.Null(status.Store?.LastSyncAt);
            Assert.Equal(0, status.Store?.LagSeconds);
            Assert.Equal(1, status.Store?.Hosts);
        }

        [Fact]
        public async Task RefusalsAreAnswersWithTheirReason()
        {
            await using var admin = daemon.Client(GatewayApiKeysRole.Admin);
            await using var gateway = daemon.Client(GatewayApiKeysRole.Gateway);
            var created = await admin.CreateKeyAsync(new NewApiKey { Name = UniqueName("disabled") });
            await admin.DisableKeyAsync(created.Name, "a test");
            Assert.Equal(AuthenticationFailureReason.Disabled, (await gateway.AuthenticateAsync(created.Key)).Reason);
            Assert.Equal(AuthenticationFailureReason.Malformed, (await gateway.AuthenticateAsync("not a key")).Reason);
            var deleted = await admin.CreateKeyAsync(new NewApiKey { Name = UniqueName("deleted") });
            await admin.DeleteKeyAsync(deleted.Name);
            var unknown = await gateway.AuthenticateAsync(deleted.Key);
            Assert.False(unknown.Authenticated);
            Assert.Equal(AuthenticationFailureReason.Unknown, unknown.Reason);
        }

        [Fact]
        public async Task AKeyAndConnectorIdThatJsonMustEscapeArriveAsTheyAre()
        {
            // connector.authenticate's parameters are written by hand (AuthenticateParams): quotes, backslashes, control
            // and non-ASCII characters must be escaped, or the daemon gets no JSON and the call no answer of its own.
            await using var admin = daemon.Client(GatewayApiKeysRole.Admin);
            await using var gateway = daemon.Client(GatewayApiKeysRole.Gateway);
            var result = await gateway.AuthenticateAsync("gwk_\"},\"x\":\\\u0001é", "c\"onnector");
            Assert.False(result.Authenticated);
            Assert.Equal(AuthenticationFailureReason.Malformed, result.Reason);

            var created = await admin.CreateKeyAsync(new NewApiKey { Name = UniqueName("escaped") });
            Assert.True((await gateway.AuthenticateAsync(created.Key, "connector \"ü\"\\")).Authenticated);
            Assert.Equal("connector \"ü\"\\", Assert.Single((await admin.GetKeyUsageAsync(created.Name)).Connectors).ConnectorId);
        }

        [Fact]
        public async Task TheDaemonsCodesComeAsExceptions()
        {
            await using var admin = daemon.Client(GatewayApiKeysRole.Admin);
            await using var gateway = daemon.Client(GatewayApiKeysRole.Gateway);
            var created = await admin.CreateKeyAsync(new NewApiKey { Name = UniqueName("taken") });
            var taken = await Assert.ThrowsAsync<GatewayApiKeysException>(() => admin.CreateKeyAsync(new NewApiKey { Name = created.Name.ToUpperInvariant() }));
            Assert.Equal(GatewayErrorCodes.NameTaken, taken.Code);
            var missing = await Assert.ThrowsAsync<GatewayApiKeysException>(() => admin.GetKeyAsync(UniqueName("missing")));
            Assert.Equal(GatewayErrorCodes.KeyNotFound, missing.Code);
            var forbidden = await Assert.ThrowsAsync<GatewayApiKeysException>(() => gateway.ListKeysAsync());
            Assert.Equal(GatewayErrorCodes.Forbidden, forbidden.Code);
            var tooShort = await Assert.ThrowsAsync<GatewayApiKeysException>(() => admin.CreateKeyAsync(new NewApiKey { Name = "ab" }));
            Assert.Equal(GatewayErrorCodes.NameTooShort, tooShort.Code);
            Assert.Equal("name", tooShort.Field);
            // The connection is still good after errors.
            Assert.Equal(created.Name, (await admin.GetKeyAsync(created.Name)).Name);
        }

        [Fact]
        public async Task AdminMethodsAreTyped()
        {
            await using var admin = daemon.Client(GatewayApiKeysRole.Admin);
            var name = UniqueName("typed");
            var created = await admin.CreateKeyAsync(new NewApiKey { Name = name, ExpiresOn = DateTime.UtcNow.Date.AddDays(10) });
            Assert.Equal(ApiKeyStatus.Expiring, created.Status);
            Assert.Equal(10, created.DaysLeft);
            var updated = await admin.UpdateKeyAsync(new ApiKeyUpdate { Name = name, Description = "changed", ValidFor = "P1Y" });
            Assert.Equal("changed", updated.Description);
            Assert.Equal(created.Key, (await admin.RevealKeyAsync(name)).Key);
            var rotated = await admin.RotateKeyAsync(name, graceHours: 1);
            Assert.NotEqual(created.Key, rotated.Key);
            Assert.True((await admin.VerifyKeyAsync(created.Key)).PreviousValue);
            var listed = await admin.ListKeysAsync(new ApiKeyQuery { Name = name, SortBy = ApiKeySortColumn.ExpiresOn, Descending = true, Status = new[] { ApiKeyStatus.Active } });
            Assert.Equal(1, listed.Total);
            Assert.Equal(name, listed.Items[0].Name);
            Assert.NotNull(listed.Items[0].RotatedAt);
            var audit = await admin.ListAuditAsync(new AuditQuery { KeyName = name });
            Assert.Contains(audit.Items, entry => entry.Event.Contains("rotate", StringComparison.OrdinalIgnoreCase));
            Assert.True((await admin.VerifyAuditAsync()).Intact);
            Assert.True((await admin.EnableKeyAsync(name)).Enabled);
        }

        [Fact]
        public async Task AWrongTokenIsAnImpostorAndNothingIsSent()
        {
            await using var client = daemon.Client(GatewayApiKeysRole.Gateway, o => o.Token = "gwt_" + new string('x', 43));
            var error = await Assert.ThrowsAsync<DaemonImpostorException>(() => client.AuthenticateAsync("gwk_secret-value-never-sent"));
            Assert.Equal(GatewayErrorCodes.DaemonImpostor, error.Code);
            Assert.DoesNotContain("gwk_secret", error.Message);
        }

        [Fact]
        public async Task CancellationEndsTheCallAloneAndTheClientGoesOn()
        {
            await using var admin = daemon.Client(GatewayApiKeysRole.Admin);
            await using var gateway = daemon.Client(GatewayApiKeysRole.Gateway);
            var created = await admin.CreateKeyAsync(new NewApiKey { Name = UniqueName("cancel") });
            using (var cancelled = new CancellationTokenSource())
            {
                cancelled.Cancel();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gateway.AuthenticateAsync(created.Key, null, cancelled.Token));
            }
            // Cancelled while in flight: many at once, so some are surely still waiting; each ends with its answer or a cancellation.
            using (var soon = new CancellationTokenSource())
            {
                var calls = Enumerable.Range(0, 200).Select(_ => gateway.AuthenticateAsync(created.Key, null, soon.Token)).ToArray();
                soon.Cancel();
                foreach (var call in calls)
                {
                    try
                    {
                        Assert.True((await call).Authenticated);
                    }
                    catch (OperationCanceledException)
                    {
                    }
                }
            }
            Assert.True((await gateway.AuthenticateAsync(created.Key)).Authenticated);
        }

        [Fact]
        public async Task TenThousandCallsFromThirtyTwoThreadsEachGetTheirOwnAnswer()
        {
            await using var admin = daemon.Client(GatewayApiKeysRole.Admin);
            var keys = new List<ApiKeyWithValue>();
            for (var i = 0; i < 16; i++) keys.Add(await admin.CreateKeyAsync(new NewApiKey { Name = UniqueName($"many-{i}") }));
            await using var gateway = daemon.Client(GatewayApiKeysRole.Gateway);
            var mismatches = new ConcurrentBag<string>();
            var done = 0;
            var threads = Enumerable.Range(0, 32).Select(t => new Thread(() =>
            {
                var random = new Random(t);
                var inFlight = new List<(Task<AuthenticationResult> Call, string Expected)>();
                for (var i = 0; i < 10000 / 32 + 1; i++)
                {
                    var key = keys[random.Next(keys.Count)];
                    inFlight.Add((gateway.AuthenticateAsync(key.Key, $"thread-{t}"), key.Name));
                    if (inFlight.Count < 8) continue;
                    foreach (var (call, expected) in inFlight)
                    {
                        var result = call.GetAwaiter().GetResult();
                        if (!result.Authenticated || result.Name != expected) mismatches.Add($"{expected} answered as {result.Name}");
                        Interlocked.Increment(ref done);
                    }
                    inFlight.Clear();
                }
                foreach (var (call, expected) in inFlight)
                {
                    var result = call.GetAwaiter().GetResult();
                    if (!result.Authenticated || result.Name != expected) mismatches.Add($"{expected} answered as {result.Name}");
                    Interlocked.Increment(ref done);
                }
            })).ToList();
            threads.ForEach(thread => thread.Start());
            threads.ForEach(thread => thread.Join());
            Assert.Empty(mismatches);
            Assert.True(done >= 10000, $"{done} calls");
        }
    }
}
