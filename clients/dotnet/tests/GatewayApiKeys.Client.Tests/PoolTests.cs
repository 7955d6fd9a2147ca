using System;
using System.Threading;
using System.Threading.Tasks;
using GatewayApiKeys.Client.Internal;
using Xunit;

namespace GatewayApiKeys.Client.Tests
{
    /// <summary>The pool's rules after a lost connection (ConnectionPool, DaemonConnection.Drain).</summary>
    public class PoolTests
    {
        [Fact]
        public async Task ADrainedConnectionRefusesNewCallsAsNeverSent()
        {
            // A drained connection may be to a daemon that stopped, its loss not yet seen: a call that reached it after
            // the drain would be lost once sent, and an idempotent call that was already repeated once would then fail.
            using var silent = new FakeDaemon(FakeDaemon.Mode.ProveThenSilent, "gwt_known");
            using var connection = await DaemonConnection.OpenAsync(silent.Pipe, "gateway", "gwt_known", TimeSpan.FromSeconds(5), CancellationToken.None);
            var inFlight = connection.SendAsync("daemon.status", null, TimeSpan.FromSeconds(30), CancellationToken.None);
            connection.Drain();
            Assert.False(connection.IsClosed);

            var refused = await Assert.ThrowsAsync<ConnectionLostException>(() => connection.SendAsync("daemon.status", null, TimeSpan.FromSeconds(30), CancellationToken.None));
            Assert.False(refused.Sent);
            Assert.False(inFlight.IsCompleted);
        }
    }
}
