function Set-GatewayApiKey {
    <#
    .SYNOPSIS
    Changes an API key's name, description or expiry; never its value.

    .DESCRIPTION
    Renames a key (-NewName), replaces its description (-Description; '' clears it) or moves its
    expiry (-ExpiresOn a date, or -ValidFor a period counted from today). A new expiry on an
    expired key makes it valid again at once. Nothing is output unless -PassThru is given.

    .PARAMETER Name
    The key to change. Accepts pipeline input, by value and by property name.

    .PARAMETER NewName
    The key's new name: 3 to 100 characters, unique whatever the case.

    .PARAMETER Description
    The new description: at most 4000 characters.

    .PARAMETER ExpiresOn
    The new last day of validity.

    .PARAMETER ValidFor
    The new validity from today: 7d, 30d, 60d, 90d, 180d or 1y, or an ISO 8601 date duration.

    .PARAMETER PassThru
    Outputs the key as changed.

    .EXAMPLE
    Set-GatewayApiKey -Name 'Orders connector' -ValidFor 1y -PassThru

    Extends the key to one year from today and shows it.

    .EXAMPLE
    Get-GatewayApiKey -Status ExpiresSoon | Set-GatewayApiKey -ValidFor 90d

    Gives every key that expires within three days another 90 days.

    .EXAMPLE
    Set-GatewayApiKey -Name 'Orders connector' -NewName 'Orders connector (prod)' -Description 'Orders in NAC, production'

    Renames the key and replaces its description; its value stays the same.

    .OUTPUTS
    None, or GatewayApiKeys.ApiKey with -PassThru.

    .LINK
    about_GatewayApiKeys
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium', DefaultParameterSetName = 'KeepExpiry')]
    [OutputType('GatewayApiKeys.ApiKey')]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipeline, ValueFromPipelineByPropertyName)]
        [ValidateScript({ Assert-GatewayKeyName $_ })]
        [string] $Name,

        [ValidateScript({ Assert-GatewayKeyName $_ })]
        [string] $NewName,

        [ValidateScript({ Assert-GatewayDescription $_ })]
        [string] $Description,

        [Parameter(Mandatory, ParameterSetName = 'ExpiresOn')]
        [datetime] $ExpiresOn,

        [Parameter(Mandatory, ParameterSetName = 'ValidFor')]
        [ValidateScript({ [bool](ConvertTo-GatewayValidFor $_) })]
        [string] $ValidFor,

        [switch] $PassThru
    )
    begin {
        . Use-GatewayCallerPreference $PSCmdlet   # Private/GatewayPreferences.ps1
    }
    process {
        $params = @{ name = $Name }
        if ($PSBoundParameters.ContainsKey('NewName')) { $params.newName = $NewName }
        if ($PSBoundParameters.ContainsKey('Description')) { $params.description = $Description }
        Add-GatewayExpiry -Params $params -BoundParameters $PSBoundParameters
        $changes = @(foreach ($field in 'newName', 'description', 'expiresOn', 'validFor') { if ($params.ContainsKey($field)) { $field } })
        if ($changes.Count -eq 0) {
            $message = 'Nothing to change: give -NewName, -Description, -ExpiresOn or -ValidFor.'
            $PSCmdlet.WriteError((New-GatewayErrorRecord -ErrorId 'InvalidParams' -Message $message -TargetObject $Name))
            return
        }
        if (-not $PSCmdlet.ShouldProcess($Name, "Update API key ($($changes -join ', '))")) { return }
        try {
            $updated = Invoke-GatewayRpc -Method 'apiKey.update' -Params $params
        } catch {
            Write-GatewayError -Cmdlet $PSCmdlet -ErrorRecord $_
            return
        }
        if ($PassThru) { ConvertTo-GatewayApiKeyObject $updated }
    }
}
