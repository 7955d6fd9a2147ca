# Part of the root module (build/assemble-module.mjs puts it first into GatewayApiKeys.psm1): the
# module's strict mode and its session state.
Set-StrictMode -Version 3.0

# Where and how to reach the daemon. Connect-GatewayApiKeyService sets these; what is left $null
# comes from the environment (GATEWAY_APIKEYS_PIPE, GATEWAY_APIKEYS_TOKEN, GATEWAY_APIKEYS_DATA_DIR)
# or the platform defaults at connect time.
$script:GatewayDefaultTimeoutMilliseconds = 5000
$script:GatewaySettings = @{
    Pipe                = $null
    Token               = $null
    Role                = $null
    TokenFile           = $null
    DataDirectory       = $null
    TimeoutMilliseconds = $script:GatewayDefaultTimeoutMilliseconds
}
# The one connection every cmdlet of this session shares (see Private/GatewayConnection.ps1).
$script:GatewayConnection = $null
