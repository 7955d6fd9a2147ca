function Show-GatewayApiKey {
    <#
    .SYNOPSIS
    Shows an API key's View screen: its name, description, expiry and value, in clear.

    .DESCRIPTION
    The one cmdlet whose purpose is to display a key's value (Copy-GatewayApiKey puts it on the
    clipboard instead). Use it where nobody can look over your shoulder; the value also stays in
    the console's history and in any transcript.

    .PARAMETER Name
    The key to show. Accepts pipeline input, by value and by property name.

    .EXAMPLE
    Show-GatewayApiKey -Name 'Orders connector'

    Name        : Orders connector
    Description : Orders in NAC
    ExpiresOn   : 2027-02-25
    Key         : gwk_6OvE... (the whole 53-character value)

    .EXAMPLE
    (Show-GatewayApiKey -Name 'Orders connector').Key

    Only the value, for a script that passes it on.

    .INPUTS
    System.String: names; or any object with a Name property (GatewayApiKeys.ApiKey).

    .OUTPUTS
    GatewayApiKeys.ApiKeyView: Name, Description, ExpiresOn, Key.

    .LINK
    about_GatewayApiKeys
    #>
    [CmdletBinding()]
    [OutputType('GatewayApiKeys.ApiKeyView')]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipeline, ValueFromPipelineByPropertyName)]
        [AllowEmptyString()]
        [string[]] $Name
    )
    begin {
        $ErrorActionPreference, $WarningPreference, $InformationPreference, $VerbosePreference, $DebugPreference,
            $ConfirmPreference, $WhatIfPreference, $ProgressPreference = $script:GatewayCallerPreference::Of($PSCmdlet, $ExecutionContext.SessionState)   # Private/GatewayPreferences.ps1
    }
    process {
        foreach ($one in $Name) {
            $problem = Get-GatewayNameProblem -Name $one
            if ($null -ne $problem) {
                Write-GatewayError -Cmdlet $PSCmdlet -ErrorRecord $problem
                continue
            }
            try {
                $revealed = Invoke-GatewayRpc -Method 'apiKey.reveal' -Params @{ name = $one }
            } catch {
                Write-GatewayError -Cmdlet $PSCmdlet -ErrorRecord $_
                continue
            }
            [pscustomobject]@{
                PSTypeName  = 'GatewayApiKeys.ApiKeyView'
                Name        = $revealed.name
                Description = $revealed.description
                ExpiresOn   = [datetime]$revealed.expiresOn
                Key         = $revealed.key
            }
        }
    }
}
