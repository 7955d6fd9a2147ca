using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace GatewayApiKeys.Client.Tests
{
    /// <summary>A daemon killed and started again under load: the client rides it out.</summary>
    public class RestartTests
    {
        [Fact]
        public async Task SixtyFourCallersRideOutADaemonKilledAndRestarted()
        {
            using var daemon = new DaemonProcess();
            daemon.Start();
            string key;
            await using (var admin = daemon.Client(GatewayApiKeysRole.Admin)) key = (await admin.CreateKeyAsync(new NewApiKey { Name = "restart" })).Key;

            await using var gateway = daemon.Client(GatewayApiKeysRole.Gateway, o => o.ConnectTimeout = TimeSpan.FromSeconds(20));
            var answers = 0;
            var afterRestart = 0;
            var restarted = false;
            var errors = new ConcurrentBag<Exception>();
            using var stop = new CancellationTokenSource();
            var callers = Enumerable.Range(0, 64).Select(i => Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        var result = await gateway.AuthenticateAsync(key, $"caller-{i}");
                        Assert.True(result.Authenticated);
                        Interlocked.Increment(ref answers);
                        if (Volatile.Read(ref restarted)) Interlocked.Increment(ref afterRestart);
                    }
                    catch (Exception error)
                    {
                        errors.Add(error);
                    }
                }
            })).ToArray();

            await WaitUntil(() => Volatile.Read(ref answers) > 2000);
            daemon.Kill();
            daemon.Start();
            Volatile.Write(ref restarted, true);
            await WaitUntil(() => Volatile.Read(ref afterRestart) > 2000);
            stop.Cancel();
            await Task.WhenAll(callers).WaitAsync(TimeSpan.FromSeconds(60));

            // Every call ended with its answer: the ones in flight at the kill were sent again once the daemon was back.
            Assert.Empty(errors.Select(e => $"{e.GetType().Name}: {e.Message}"));
        }

        private static async Task WaitUntil(Func<bool> condition)
        {
            for (var waited = 0; !condition(); waited += 20)
            {
                if (waited > 60000) throw new TimeoutException("the callers made no progress in 60 s");
                await Task.Delay(20);
            }
        }
    }
}
