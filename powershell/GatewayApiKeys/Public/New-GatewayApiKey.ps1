function New-GatewayApiKey {
    <#
    .SYNOPSIS
    Creates an API key; the daemon generates its value.

    .DESCRIPTION
    Creates a key with a unique name (3-100 characters, unique whatever the case), an optional
    description, and an expiry: -ExpiresOn a date, or -ValidFor a period from today, or by default
    one year from today. The expiry may not be in the past nor more than five years ahead.

    The output is the new key with its value in the Key property, as a SecureString unless
    -AsPlainText is given. The value can be seen again later with Show-GatewayApiKey.

    .PARAMETER Name
    The key's name: 3 to 100 characters, no control characters, no leading or trailing white space.

    .PARAMETER Description
    What the key is for: at most 4000 characters.

    .PARAMETER ExpiresOn
    The last day the key is valid (its date part counts, in the daemon's time zone).

    .PARAMETER ValidFor
    How long the key is valid from today: 7d, 30d, 60d, 90d, 180d or 1y, or an ISO 8601 date
    duration such as P6M or P2W.

    .PARAMETER AsPlainText
    Returns the value as a plain string instead of a SecureString.

    .EXAMPLE
    $key = New-GatewayApiKey -Name 'Orders connector' -Description 'Orders in NAC' -ValidFor 90d

    Creates a key valid for 90 days; $key.Key holds its value as a SecureString.

    .EXAMPLE
    (New-GatewayApiKey -Name 'Billing sandbox' -ExpiresOn 2027-06-30 -AsPlainText).Key | Set-Content -Path .\billing.key

    Creates a key valid through 30 June 2027 and writes its value to a file.

    .EXAMPLE
    Import-Csv .\keys.csv | New-GatewayApiKey -WhatIf

    Shows which keys a CSV with Name, Description and ValidFor columns would create.

    .OUTPUTS
    GatewayApiKeys.NewApiKey: the properties of GatewayApiKeys.ApiKey, and Key.

    .LINK
    about_GatewayApiKeys
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Low', DefaultParameterSetName = 'DefaultExpiry')]
    [OutputType('GatewayApiKeys.NewApiKey')]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipeline, ValueFromPipelineByPropertyName)]
        [ValidateScript({ Assert-GatewayKeyName $_ })]
        [string] $Name,

        [Parameter(ValueFromPipelineByPropertyName)]
        [ValidateScript({ Assert-GatewayDescription $_ })]
        [string] $Description,

        [Parameter(Mandatory, ParameterSetName = 'ExpiresOn', ValueFromPipelineByPropertyName)]
        [datetime] $ExpiresOn,

        [Parameter(Mandatory, ParameterSetName = 'ValidFor', ValueFromPipelineByPropertyName)]
        [ValidateScript({ [bool](ConvertTo-GatewayValidFor $_) })]
        [string] $ValidFor,

        [switch] $AsPlainText
    )
    begin {
        . Use-GatewayCallerPreference $PSCmdlet   # Private/GatewayPreferences.ps1
    }
    process {
        if (-not $PSCmdlet.ShouldProcess($Name, 'Create API key')) { return }
        $params = @{ name = $Name }
        if ($PSBoundParameters.ContainsKey('Description')) { $params.description = $Description }
        Add-GatewayExpiry -Params $params -BoundParameters $PSBoundParameters
        try {
            $created = Invoke-GatewayRpc -Method 'apiKey.create' -Params $params
        } catch {
            Write-GatewayError -Cmdlet $PSCmdlet -ErrorRecord $_
            return
        }
        $key = ConvertTo-GatewayApiKeyObject $created
        $key.PSObject.TypeNames.Insert(0, 'GatewayApiKeys.NewApiKey')
        $value = $created.key
        if (-not $AsPlainText) { $value = ConvertTo-SecureString -String $value -AsPlainText -Force }
        Add-Member -InputObject $key -NotePropertyName 'Key' -NotePropertyValue $value
        $key
    }
}
