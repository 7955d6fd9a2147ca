using System;
using GatewayApiKeys.Client;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GatewayApiKeys.AspNetCore
{
    /// <summary>Registers the daemon's client, the API key authentication scheme and the health check.</summary>
    public static class GatewayApiKeysServiceCollectionExtensions
    {
        /// <summary>
        /// Registers one <see cref="GatewayApiKeysClient"/> for the process (a singleton, disposed with the host), made from
        /// <see cref="GatewayApiKeysClientOptions"/> and logging through the host's loggers. Called by the other methods
        /// with no configuration; call it to configure the client (its pipe, token, role).
        /// </summary>
        /// <param name="services">The services.</param>
        /// <param name="configure">Sets the client's options.</param>
        /// <returns>The services.</returns>
        public static IServiceCollection AddGatewayApiKeysClient(this IServiceCollection services, Action<GatewayApiKeysClientOptions>? configure = null)
        {
            if (configure != null) services.Configure(configure);
            services.TryAddSingleton(provider =>
            {
                var options = provider.GetRequiredService<IOptions<GatewayApiKeysClientOptions>>().Value;
                options.Logger ??= provider.GetService<ILoggerFactory>()?.CreateLogger<GatewayApiKeysClient>();
                return new GatewayApiKeysClient(options);
            });
            return services;
        }

        /// <summary>
        /// Adds the API key scheme (<c>ApiKey</c> unless named): <c>services.AddAuthentication().AddGatewayApiKeys(o => …)</c>.
        /// </summary>
        /// <param name="builder">The authentication builder.</param>
        /// <param name="configure">Where the key and connectorId are read from.</param>
        /// <param name="authenticationScheme">The scheme's name.</param>
        /// <returns>The builder.</returns>
        public static AuthenticationBuilder AddGatewayApiKeys(this AuthenticationBuilder builder, Action<GatewayApiKeysAuthenticationOptions>? configure = null,
            string authenticationScheme = GatewayApiKeysDefaults.AuthenticationScheme)
        {
            builder.Services.AddGatewayApiKeysClient();
            return builder.AddScheme<GatewayApiKeysAuthenticationOptions, GatewayApiKeysAuthenticationHandler>(authenticationScheme, configure);
        }

        /// <summary>Adds the health check of the daemon (<see cref="GatewayApiKeysHealthCheck"/>), named <c>gateway-apikeys</c>.</summary>
        /// <param name="builder">The health checks builder.</param>
        /// <param name="configure">When a farm's host counts as stale.</param>
        /// <param name="failureStatus">What an unreachable or stale daemon reports: Unhealthy unless set.</param>
        /// <returns>The builder.</returns>
        public static IHealthChecksBuilder AddGatewayApiKeysHealthCheck(this IHealthChecksBuilder builder, Action<GatewayApiKeysHealthCheckOptions>? configure = null,
            HealthStatus? failureStatus = null)
        {
            builder.Services.AddGatewayApiKeysClient();
            var options = new GatewayApiKeysHealthCheckOptions();
            configure?.Invoke(options);
            return builder.Add(new HealthCheckRegistration(GatewayApiKeysDefaults.HealthCheckName,
                provider => new GatewayApiKeysHealthCheck(provider.GetRequiredService<GatewayApiKeysClient>(), options), failureStatus, tags: null));
        }
    }
}
