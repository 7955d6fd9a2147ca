using Microsoft.AspNetCore.Authentication;

namespace GatewayApiKeys.AspNetCore
{
    /// <summary>Where the API key handler finds the key and the connectorId in a request.</summary>
    public sealed class GatewayApiKeysAuthenticationOptions : AuthenticationSchemeOptions
    {
        /// <summary>The header holding the key: <c>X-API-Key</c> unless set.</summary>
        public string HeaderName { get; set; } = GatewayApiKeysDefaults.HeaderName;

        /// <summary>Whether <c>Authorization: ApiKey &lt;key&gt;</c> is read too, when the header above is absent. <c>true</c> unless set.</summary>
        public bool AcceptAuthorizationHeader { get; set; } = true;

        /// <summary>The header naming the connector, passed to the daemon as <c>connectorId</c> (its usage per connector); <c>null</c> to send none. <c>X-Connector-Id</c> unless set.</summary>
        public string? ConnectorIdHeaderName { get; set; } = GatewayApiKeysDefaults.ConnectorIdHeaderName;
    }
}
