namespace GatewayApiKeys.Client
{
    /// <summary>The role a client proves to the daemon (docs/security.md, "Roles and tokens"): each has its own token.</summary>
    public enum GatewayApiKeysRole
    {
        /// <summary>The gateway: <c>connector.authenticate</c> and <c>daemon.status</c> only. Its token is <c>gateway.token</c>.</summary>
        Gateway,

        /// <summary>An administrator: every method. Its token is <c>admin.token</c>.</summary>
        Admin,
    }
}
