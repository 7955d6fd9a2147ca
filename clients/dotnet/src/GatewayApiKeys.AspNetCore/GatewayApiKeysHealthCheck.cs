using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using GatewayApiKeys.Client;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace GatewayApiKeys.AspNetCore
{
    /// <summary>
    /// Whether the gateway can check keys: unhealthy when the daemon does not answer (or what answers is not it); in a
    /// farm (hosts sharing one vault), unhealthy too when the daemon's shared store is unreachable or its last sync is older than
    /// <see cref="GatewayApiKeysHealthCheckOptions.StaleAfter"/>.
    /// </summary>
    public sealed class GatewayApiKeysHealthCheck : IHealthCheck
    {
        private readonly GatewayApiKeysClient client;
        private readonly GatewayApiKeysHealthCheckOptions options;

        /// <summary>Made by the health check service.</summary>
        /// <param name="client">The process's client of the daemon.</param>
        /// <param name="options">When a farm's host counts as stale.</param>
        public GatewayApiKeysHealthCheck(GatewayApiKeysClient client, GatewayApiKeysHealthCheckOptions options)
        {
            this.client = client;
            this.options = options;
        }

        /// <inheritdoc />
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            DaemonStatus status;
            try
            {
                status = await client.GetStatusAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (GatewayApiKeysException error)
            {
                return new HealthCheckResult(context.Registration.FailureStatus, $"The gateway-apikeys daemon is unreachable ({error.Code}).", error);
            }
            var data = new Dictionary<string, object>
            {
                ["serverVersion"] = status.ServerVersion,
                ["keys"] = status.Keys.Total,
            };
            if (status.Store is StoreStatus store)
            {
                var reachable = store.Reachable;
                var lag = store.LagSeconds;
                data["store"] = store.Kind;
                data["storeReachable"] = reachable;
                data["lagSeconds"] = lag;
                var ago = lag.ToString("0", CultureInfo.InvariantCulture);
                // As `status --health`: stale only past the threshold. A store that stopped answering a moment ago
                // is no reason to leave the load balancer while the host authenticates from its replica (docs/farm.md).
                if (lag > options.StaleAfter.TotalSeconds)
                {
                    return new HealthCheckResult(context.Registration.FailureStatus,
                        $"The gateway-apikeys daemon is stale: its last sync with the shared store was {ago} s ago{(reachable ? "" : ", and it cannot reach the store")}.",
                        data: data);
                }
                if (!reachable)
                {
                    return HealthCheckResult.Degraded($"The gateway-apikeys daemon cannot reach the shared store; it serves its replica, synced {ago} s ago.", data: data);
                }
            }
            return HealthCheckResult.Healthy("The gateway-apikeys daemon answers.", data);
        }
    }

    /// <summary>Options of <see cref="GatewayApiKeysHealthCheck"/>.</summary>
    public sealed class GatewayApiKeysHealthCheckOptions
    {
        /// <summary>How old a farm host's last sync may be before it counts as stale: 60 s unless set (as <c>status --health</c>).</summary>
        public TimeSpan StaleAfter { get; set; } = TimeSpan.FromSeconds(60);
    }
}
