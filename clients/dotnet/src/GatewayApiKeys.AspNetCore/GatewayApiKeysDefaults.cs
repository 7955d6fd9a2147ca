namespace GatewayApiKeys.AspNetCore
{
    /// <summary>The names the integration uses unless told otherwise.</summary>
    public static class GatewayApiKeysDefaults
    {
        /// <summary>The authentication scheme's name, and the <c>Authorization</c> scheme and <c>WWW-Authenticate</c> challenge: <c>ApiKey</c>.</summary>
        public const string AuthenticationScheme = "ApiKey";

        /// <summary>The header a key is read from: <c>X-API-Key</c>.</summary>
        public const string HeaderName = "X-API-Key";

        /// <summary>The header a connectorId is read from: <c>X-Connector-Id</c>.</summary>
        public const string ConnectorIdHeaderName = "X-Connector-Id";

        /// <summary>The claim type of the key's status (Active, Expiring, ExpiresSoon).</summary>
        public const string StatusClaimType = "gateway-apikeys/status";

        /// <summary>The claim type of the key's last valid day (<c>YYYY-MM-DD</c>).</summary>
        public const string ExpiresOnClaimType = "gateway-apikeys/expires-on";

        /// <summary>The claim type present (<c>true</c>) when the key presented is the value a rotation replaced, in its grace.</summary>
        public const string PreviousValueClaimType = "gateway-apikeys/previous-value";

        /// <summary>The health check's name: <c>gateway-apikeys</c>.</summary>
        public const string HealthCheckName = "gateway-apikeys";
    }
}
