using System;
using System.Diagnostics;
using System.IO;
using System.Threading.Tasks;
using Xunit;

namespace GatewayApiKeys.Client.Tests
{
    /// <summary>What the client does when what answers is not the daemon, or nothing answers.</summary>
    public class ImpostorAndTimeoutTests
    {
        // Key-shaped, made at run time so that no key-shaped literal is committed (the repository's leak check looks for them).
        private static readonly string Key = "gwk_ThisValueMustNeverReachAnImpostor" + new string('0', 19);

        [Fact]
        public async Task AnImpostorGetsNoProofAndNoKey()
        {
            using var impostor = new FakeDaemon(FakeDaemon.Mode.Unproved);
            await using var client = new GatewayApiKeysClient(new GatewayApiKeysClientOptions { Pipe = impostor.Pipe, Token = "gwt_the-real-token" });
            var error = await Assert.ThrowsAsync<DaemonImpostorException>(() => client.AuthenticateAsync(Key, "connector"));
            Assert.Equal(GatewayErrorCodes.DaemonImpostor, error.Code);
            Assert.Equal(impostor.Pipe, error.Pipe);
            await impostor.ClientClosed.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(new[] { "session.challenge" }, impostor.Methods);
            Assert.DoesNotContain("session.hello", impostor.Received);
            Assert.DoesNotContain("clientProof", impostor.Received);
            Assert.DoesNotContain(Key, impostor.Received);
            Assert.DoesNotContain("gwt_the-real-token", impostor.Received);
            Assert.DoesNotContain(Key, error.Message);
        }

        [Fact]
        public async Task NothingAnsweringIsDaemonUnavailableOnceTheConnectTimeoutPassed()
        {
            var directory = TestPaths.PrivateDirectory("gwk-");
            try
            {
                await using var client = new GatewayApiKeysClient(new GatewayApiKeysClientOptions
                {
                    Pipe = Path.Combine(directory, "nobody.sock"), Token = "gwt_x", ConnectTimeout = TimeSpan.FromMilliseconds(400),
                });
                var clock = Stopwatch.StartNew();
                var error = await Assert.ThrowsAsync<DaemonUnavailableException>(() => client.AuthenticateAsync(Key));
                Assert.Equal(GatewayErrorCodes.DaemonUnreachable, error.Code);
                Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(350), $"gave up after {clock.ElapsedMilliseconds} ms");
                Assert.DoesNotContain(Key, error.Message);
            }
            finally
            {
                Directory.Delete(directory, recursive: true);
            }
        }

        [Fact]
        public async Task ADaemonThatStopsAnsweringTimesOutWithDaemonTimeout()
        {
            using var stuck = new FakeDaemon(FakeDaemon.Mode.ProveThenSilent, "gwt_known");
            await using var client = new GatewayApiKeysClient(new GatewayApiKeysClientOptions
            {
                Pipe = stuck.Pipe, Token = "gwt_known", RequestTimeout = TimeSpan.FromMilliseconds(300),
            });
            var clock = Stopwatch.StartNew();
            var error = await Assert.ThrowsAsync<GatewayApiKeysException>(() => client.GetStatusAsync());
            Assert.Equal(GatewayErrorCodes.DaemonTimeout, error.Code);
            Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(250), $"timed out after {clock.ElapsedMilliseconds} ms");
            Assert.Contains("session.hello", stuck.Methods);
        }
    }
}
