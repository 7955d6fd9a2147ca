using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;

namespace GatewayApiKeys.Client.Internal
{
    /// <summary>
    /// A small pool of pipelined connections: a call takes the least busy one, and a new one is opened (up to
    /// MaxConnections) while every open one has calls in flight. When none is open (at start, or after the daemon
    /// restarted), callers share one attempt to connect, retried with backoff for up to ConnectTimeout.
    /// </summary>
    internal sealed class ConnectionPool : IDisposable
    {
        private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(20);
        private static readonly TimeSpan LongestBackoff = TimeSpan.FromMilliseconds(500);

        private readonly GatewayApiKeysClientOptions options;
        private readonly string pipe;
        private readonly object gate = new object();
        private readonly CancellationTokenSource disposed = new CancellationTokenSource();
        private DaemonConnection[] open = new DaemonConnection[0];
        private Task<DaemonConnection>? opening;
        /// <summary>How many connections the daemon's end broke, read and counted under <see cref="gate"/>: a connection opened across a loss may be to the daemon that stopped.</summary>
        private int losses;

        internal ConnectionPool(GatewayApiKeysClientOptions options)
        {
            this.options = options;
            pipe = options.ResolvePipe();
        }

        internal string Pipe => pipe;

        /// <summary>An open connection, without a Task when there is one (every call but the first asks).</summary>
        internal ValueTask<DaemonConnection> AcquireAsync(CancellationToken cancellationToken)
        {
            if (disposed.IsCancellationRequested) throw new ObjectDisposedException(nameof(GatewayApiKeysClient));
            var best = LeastBusy(out var count);
            if (best != null)
            {
                if (best.InFlight > 0 && count < options.MaxConnections) StartOpening(background: true);
                return new ValueTask<DaemonConnection>(best);
            }
            return new ValueTask<DaemonConnection>(AcquireOpenedAsync(cancellationToken));
        }

        /// <summary>
        /// Waits for the shared attempt to connect, then takes from the pool rather than the attempt's own result: a loss
        /// seen meanwhile may have drained that connection.
        /// </summary>
        private async Task<DaemonConnection> AcquireOpenedAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                var opened = await WaitFor(StartOpening(background: false), cancellationToken).ConfigureAwait(false);
                if (disposed.IsCancellationRequested) throw new ObjectDisposedException(nameof(GatewayApiKeysClient));
                var best = LeastBusy(out _);
                if (best != null) return best;
                // Already drained by a loss; its calls fail as never sent and go again.
                if (!opened.IsClosed) return opened;
            }
        }

        private DaemonConnection? LeastBusy(out int count)
        {
            var connections = Volatile.Read(ref open);
            count = connections.Length;
            DaemonConnection? best = null;
            foreach (var connection in connections)
            {
                if (connection.IsClosed) continue;
                if (best == null || connection.InFlight < best.InFlight) best = connection;
            }
            return best;
        }

        /// <summary>The attempt under way, or a new one: one at a time, shared by every caller that needs it.</summary>
        private Task<DaemonConnection> StartOpening(bool background)
        {
            lock (gate)
            {
                if (opening != null) return opening;
                // Not on the caller's thread, nor under the lock: the Unix socket connects, and the handshake writes, with blocking calls.
                var task = Task.Run(OpenAsync);
                opening = task;
                _ = task.ContinueWith(done =>
                {
                    lock (gate) opening = null;
                    if (done.Status != TaskStatus.RanToCompletion && background) options.Logger?.LogDebug("Could not open another connection to {Pipe}: {Error}", pipe, done.Exception?.InnerException?.Message);
                }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                return task;
            }
        }

        private async Task<DaemonConnection> OpenAsync()
        {
            var started = Stopwatch.StartNew();
            var backoff = FirstBackoff;
            while (true)
            {
                try
                {
                    int lossesBefore;
                    lock (gate) lossesBefore = losses;
                    // The token is read for every connection: a daemon that restarted may have made a new one.
                    var connection = await DaemonConnection.OpenAsync(pipe, options.RoleName, options.ReadToken(), options.ConnectTimeout, disposed.Token).ConfigureAwait(false);
                    // Opened while another connection was lost: it may be to the daemon that just stopped, so open another.
                    if (!TryAdd(connection, lossesBefore)) continue;
                    if (started.Elapsed > FirstBackoff) options.Logger?.LogInformation("Connected to the gateway-apikeys daemon at {Pipe} after {Milliseconds} ms.", pipe, (long)started.Elapsed.TotalMilliseconds);
                    return connection;
                }
                catch (Exception error) when (error is PipeConnectException || error is ConnectionLostException)
                {
                    var accessDenied = error is PipeConnectException connect && connect.AccessDenied;
                    var left = options.ConnectTimeout - started.Elapsed;
                    if (accessDenied || left <= TimeSpan.Zero || disposed.IsCancellationRequested)
                    {
                        throw accessDenied
                            ? new DaemonUnavailableException(GatewayErrorCodes.DaemonAccessDenied, pipe, $"The system refuses this account the pipe {pipe}: {error.Message}", error)
                            : new DaemonUnavailableException(GatewayErrorCodes.DaemonUnreachable, pipe,
                                $"No gateway-apikeys daemon answers at {pipe} (tried for {options.ConnectTimeout.TotalSeconds} s): it is not running, or its pipe is elsewhere.", error);
                    }
                    options.Logger?.LogDebug("No daemon answers at {Pipe} yet ({Error}); retrying in {Milliseconds} ms.", pipe, error.Message, (long)backoff.TotalMilliseconds);
                    await Task.Delay(backoff < left ? backoff : left).ConfigureAwait(false);
                    backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, LongestBackoff.Ticks));
                }
            }
        }

        /// <summary>
        /// Adds a new connection unless a loss was seen since it began to connect. The check and the add share the lock
        /// that a loss takes, so a connection is either refused here or in the pool when the loss drains it.
        /// </summary>
        private bool TryAdd(DaemonConnection connection, int lossesBefore)
        {
            lock (gate)
            {
                if (losses != lossesBefore)
                {
                    connection.Dispose();
                    return false;
                }
                if (!disposed.IsCancellationRequested && open.Length < options.MaxConnections)
                {
                    var grown = new DaemonConnection[open.Length + 1];
                    Array.Copy(open, grown, open.Length);
                    grown[open.Length] = connection;
                    Volatile.Write(ref open, grown);
                    connection.Closed += Remove;
                }
                else
                {
                    // Not needed (the pool filled up) or too late (the client is disposed): callers take from the pool.
                    connection.Dispose();
                    return true;
                }
            }
            if (connection.IsClosed) Remove(connection, byPeer: true);
            return true;
        }

        /// <summary>
        /// A connection closed. When the daemon's end broke it, the daemon has likely stopped, and the other connections
        /// may not have seen it yet: they are drained (no new calls; closed once answered), so that a call retried after
        /// the loss goes to a new connection, not to another one to the stopped daemon.
        /// </summary>
        private void Remove(DaemonConnection connection, bool byPeer)
        {
            DaemonConnection[] drained;
            lock (gate)
            {
                if (byPeer) losses++;
                var index = Array.IndexOf(open, connection);
                if (index < 0) return;
                var shrunk = new DaemonConnection[open.Length - 1];
                Array.Copy(open, 0, shrunk, 0, index);
                Array.Copy(open, index + 1, shrunk, index, open.Length - index - 1);
                drained = byPeer ? shrunk : new DaemonConnection[0];
                Volatile.Write(ref open, byPeer ? new DaemonConnection[0] : shrunk);
            }
            foreach (var other in drained) other.Drain();
            if (byPeer && !disposed.IsCancellationRequested) options.Logger?.LogInformation("The connection to the gateway-apikeys daemon at {Pipe} was lost.", pipe);
        }

        /// <summary>Waits for a shared task, but lets this caller give up on it alone.</summary>
        private static async Task<T> WaitFor<T>(Task<T> task, CancellationToken cancellationToken)
        {
            if (!cancellationToken.CanBeCanceled || task.IsCompleted) return await task.ConfigureAwait(false);
            var cancelled = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            using (cancellationToken.Register(() => cancelled.TrySetResult(true)))
            {
                if (await Task.WhenAny(task, cancelled.Task).ConfigureAwait(false) != task) cancellationToken.ThrowIfCancellationRequested();
            }
            return await task.ConfigureAwait(false);
        }

        public void Dispose()
        {
            DaemonConnection[] closing;
            lock (gate)
            {
                if (disposed.IsCancellationRequested) return;
                disposed.Cancel();
                closing = open;
                open = new DaemonConnection[0];
            }
            foreach (var connection in closing) connection.Dispose();
        }
    }
}
