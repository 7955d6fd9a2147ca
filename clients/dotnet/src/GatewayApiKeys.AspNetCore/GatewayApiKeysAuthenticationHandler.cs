using System;
using System.Globalization;
using System.Security.Claims;
using System.Text.Encodings.Web;
using System.Threading.Tasks;
using GatewayApiKeys.Client;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace GatewayApiKeys.AspNetCore
{
    /// <summary>
    /// Authenticates a request by the API key it carries, asking the gateway-apikeys daemon (<c>connector.authenticate</c>).
    /// A refused key is answered 401 with <c>WWW-Authenticate: ApiKey</c>; why it was refused goes to the log, never into
    /// the response. When the daemon cannot be asked, the answer is 503: the key may well be good.
    /// </summary>
    public sealed class GatewayApiKeysAuthenticationHandler : AuthenticationHandler<GatewayApiKeysAuthenticationOptions>
    {
        private static readonly object DaemonUnavailableItem = new object();
        private readonly GatewayApiKeysClient client;

        /// <summary>Made by ASP.NET Core for each request.</summary>
        /// <param name="options">The scheme's options.</param>
        /// <param name="logger">The log.</param>
        /// <param name="encoder">The URL encoder.</param>
        /// <param name="client">The process's client of the daemon.</param>
        public GatewayApiKeysAuthenticationHandler(IOptionsMonitor<GatewayApiKeysAuthenticationOptions> options, ILoggerFactory logger, UrlEncoder encoder, GatewayApiKeysClient client)
            : base(options, logger, encoder)
        {
            this.client = client;
        }

        /// <inheritdoc />
        protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            var key = ReadKey();
            if (key == null) return AuthenticateResult.NoResult();
            string? connectorId = null;
            if (Options.ConnectorIdHeaderName != null && Request.Headers.TryGetValue(Options.ConnectorIdHeaderName, out var connector) && !StringValues.IsNullOrEmpty(connector))
            {
                connectorId = connector.ToString();
            }
            AuthenticationResult result;
            try
            {
                result = await client.AuthenticateAsync(key, connectorId, Context.RequestAborted).ConfigureAwait(false);
            }
            catch (GatewayApiKeysException error) when (error is DaemonUnavailableException || error is DaemonImpostorException || error.Code == GatewayErrorCodes.DaemonTimeout)
            {
                Logger.LogError(error, "The API key could not be checked: the gateway-apikeys daemon did not answer ({Code}).", error.Code);
                Context.Items[DaemonUnavailableItem] = true;
                return AuthenticateResult.Fail("The API key could not be checked.");
            }
            if (!result.Authenticated)
            {
                // The reason is for the log only: telling a caller that a key exists but expired helps an attacker.
                Logger.LogInformation("An API key was refused: {Reason} (connector {ConnectorId}).", result.Reason, connectorId ?? "(none)");
                return AuthenticateResult.Fail("The API key was not accepted.");
            }
            if (result.PreviousValue) Logger.LogWarning("The API key {Name} was presented with the value a rotation replaced (connector {ConnectorId}).", result.Name, connectorId ?? "(none)");
            var claims = new System.Collections.Generic.List<Claim>
            {
                new Claim(ClaimTypes.Name, result.Name!, ClaimValueTypes.String, ClaimsIssuer),
                new Claim(GatewayApiKeysDefaults.StatusClaimType, result.Status?.ToString() ?? "", ClaimValueTypes.String, ClaimsIssuer),
            };
            if (result.ExpiresOn != null) claims.Add(new Claim(GatewayApiKeysDefaults.ExpiresOnClaimType, result.ExpiresOn.Value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), ClaimValueTypes.Date, ClaimsIssuer));
            if (result.PreviousValue) claims.Add(new Claim(GatewayApiKeysDefaults.PreviousValueClaimType, "true", ClaimValueTypes.Boolean, ClaimsIssuer));
            var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, Scheme.Name));
            return AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name));
        }

        /// <summary>The key from the configured header, else from <c>Authorization: ApiKey …</c>; <c>null</c> when the request carries none.</summary>
        private string? ReadKey()
        {
            if (Request.Headers.TryGetValue(Options.HeaderName, out var header) && !StringValues.IsNullOrEmpty(header)) return header.ToString().Trim();
            if (!Options.AcceptAuthorizationHeader) return null;
            var authorization = Request.Headers.Authorization.ToString();
            var prefix = GatewayApiKeysDefaults.AuthenticationScheme + " ";
            return authorization.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) ? authorization.Substring(prefix.Length).Trim() : null;
        }

        /// <inheritdoc />
        protected override Task HandleChallengeAsync(AuthenticationProperties properties)
        {
            if (Context.Items.ContainsKey(DaemonUnavailableItem))
            {
                Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                Response.Headers.RetryAfter = "5";
                return Task.CompletedTask;
            }
            Response.StatusCode = StatusCodes.Status401Unauthorized;
            Response.Headers.WWWAuthenticate = GatewayApiKeysDefaults.AuthenticationScheme;
            return Task.CompletedTask;
        }
    }
}
