function Reset-GatewayApiKey {
    <#
    .SYNOPSIS
    Gives API keys a new value, while the old one keeps working for a grace period.

    .DESCRIPTION
    The way to change a key's value without downtime. The daemon makes a new value, which works
    at once; the previous value keeps authenticating until PreviousValidUntil (24 hours from now
    by default, -GracePeriod from 0 to 7 days), so each connector can be given the new value
    before the old one stops. Connectors that still present the old value are logged by the daemon
    with their connectorId; Get-GatewayApiKeyUsage lists every connector that uses the key.

    A key keeps one previous value at most: resetting it again ends the first grace at once. The
    key's name, description, expiry and usage stay as they are. A disabled key cannot be reset
    (KeyDisabled): enable it first.

    Asks for confirmation of each key (ConfirmImpact High), saying what uses it ("used by 3
    connectors, last 2 hours ago"), unless -Force or -Confirm:$false is given. The new value is
    returned in the Key property, as a SecureString unless -AsPlainText is given.

    .PARAMETER Name
    The keys to give a new value. Accepts pipeline input, by value and by property name.

    .PARAMETER GracePeriod
    How long the previous value keeps working: whole hours from 0 (it stops at once) to 168 (one
    week); 24 hours when not given. A [TimeSpan] (New-TimeSpan -Hours 48, '2.00:00:00'), a number
    of hours (48), or the text the CLI's --grace takes ('48h', '2d'). A fraction of an hour is
    refused with GraceInvalid, not rounded.

    .PARAMETER AsPlainText
    Returns the new value as a plain string instead of a SecureString.

    .PARAMETER Force
    Resets without asking.

    .EXAMPLE
    $new = Reset-GatewayApiKey -Name 'Orders connector' -GracePeriod (New-TimeSpan -Hours 48)

    Gives the key a new value; the old one keeps working for two days. $new.Key holds the new
    value as a SecureString, $new.PreviousValidUntil when the old one stops.

    .EXAMPLE
    Reset-GatewayApiKey -Name 'Orders connector' -GracePeriod 24h -AsPlainText -Force | Select-Object Name, Key, PreviousValidUntil

    Without a prompt, and the new value as text, for a script that hands it to the connector.

    .EXAMPLE
    Reset-GatewayApiKey -Name 'Leaked key' -GracePeriod 0

    A value that leaked stops working at once, after the confirmation said who used it.

    .INPUTS
    System.String: names; or any object with a Name property (GatewayApiKeys.ApiKey).

    .OUTPUTS
    GatewayApiKeys.RotatedApiKey: the properties of GatewayApiKeys.ApiKey, and Key.

    .LINK
    Get-GatewayApiKeyUsage

    .LINK
    about_GatewayApiKeys
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')]
    [OutputType('GatewayApiKeys.RotatedApiKey')]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipeline, ValueFromPipelineByPropertyName)]
        [AllowEmptyString()]
        [string[]] $Name,

        [GatewayGracePeriodAttribute()]
        [timespan] $GracePeriod,

        [switch] $AsPlainText,

        [switch] $Force
    )
    begin {
        $ErrorActionPreference, $WarningPreference, $InformationPreference, $VerbosePreference, $DebugPreference,
            $ConfirmPreference, $WhatIfPreference, $ProgressPreference = $script:GatewayCallerPreference::Of($PSCmdlet, $ExecutionContext.SessionState)   # Private/GatewayPreferences.ps1
        if ($Force -and -not $PSBoundParameters.ContainsKey('Confirm')) { $ConfirmPreference = 'None' }
        $graceHours = $null
        $grace = "$($script:GatewayRules.DefaultGraceHours) hours"
        if ($PSBoundParameters.ContainsKey('GracePeriod')) {
            $graceHours = ConvertTo-GatewayGraceHours -GracePeriod $GracePeriod
            if ($graceHours -is [System.Management.Automation.ErrorRecord]) { $PSCmdlet.ThrowTerminatingError($graceHours) }
            $grace = Format-GatewayCount $graceHours 'hour' 'hours'
        }
        $action = "Give API key a new value (the old one keeps working for $grace"
        if ($graceHours -eq 0) { $action = 'Give API key a new value (the old one stops working at once' }
        $showImpact = Test-GatewayConfirmationShown -Impact High -ConfirmPreference $ConfirmPreference -WhatIfPreference $WhatIfPreference
    }
    process {
        foreach ($one in $Name) {
            $problem = Get-GatewayNameProblem -Name $one
            if ($null -ne $problem) {
                Write-GatewayError -Cmdlet $PSCmdlet -ErrorRecord $problem
                continue
            }
            if (-not (Confirm-GatewayChange -Cmdlet $PSCmdlet -Target $one -Action (Get-GatewayChangeDescription -Action $action -Name $one -WithImpact $showImpact))) { continue }
            $params = @{ name = $one }
            if ($null -ne $graceHours) { $params.graceHours = $graceHours }
            try {
                $rotated = Invoke-GatewayRpc -Method 'apiKey.rotate' -Params $params
            } catch {
                Write-GatewayError -Cmdlet $PSCmdlet -ErrorRecord $_
                continue
            }
            ConvertTo-GatewayApiKeyWithValue -Answer $rotated -TypeName 'GatewayApiKeys.RotatedApiKey' -AsPlainText:$AsPlainText
        }
    }
}
