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

    Every parameter but -AsPlainText also comes from the pipeline by property name, so each row of
    Import-Csv makes one key; an empty cell is a value not given. A mistake in a row (a name too
    long, a -ValidFor that is not a validity) is reported with the daemon's code as its ErrorId
    (NameTooLong, ExpiryInvalid, ...), before anything is sent, and the next row goes on.

    .PARAMETER Name
    The key's name: 3 to 100 characters, no control characters, no leading or trailing white space.
    Accepts pipeline input, by value and by property name.

    .PARAMETER Description
    What the key is for: at most 4000 characters. Accepts pipeline input by property name.

    .PARAMETER ExpiresOn
    The last day the key is valid (its date part counts, in the daemon's time zone). Not with
    -ValidFor. Accepts pipeline input by property name; an empty value is none.

    .PARAMETER ValidFor
    How long the key is valid from today: 7d, 30d, 60d, 90d, 180d or 1y, or an ISO 8601 date
    duration such as P6M or P2W. Not with -ExpiresOn. Accepts pipeline input by property name; an
    empty value is none.

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

    Shows which keys a CSV with columns Name, Description, ValidFor and ExpiresOn would create;
    each row leaves ValidFor or ExpiresOn (or both, for the default year) empty.

    .EXAMPLE
    try { $null = New-GatewayApiKey -Name $name -ErrorAction Stop } catch { if ($_.FullyQualifiedErrorId -like 'NameTaken,*') { 'Already there.' } else { throw } }

    Creates a key unless one of that name exists, by the error's ErrorId.

    .INPUTS
    System.String: the name; or any object with a Name property and any of Description, ExpiresOn
    and ValidFor (a row of Import-Csv).

    .OUTPUTS
    GatewayApiKeys.NewApiKey: the properties of GatewayApiKeys.ApiKey, and Key.

    .LINK
    about_GatewayApiKeys
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Low')]
    [OutputType('GatewayApiKeys.NewApiKey')]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipeline, ValueFromPipelineByPropertyName)]
        [AllowEmptyString()]
        [string] $Name,

        [Parameter(ValueFromPipelineByPropertyName)]
        [AllowEmptyString()]
        [AllowNull()]
        [string] $Description,

        [Parameter(ValueFromPipelineByPropertyName)]
        [GatewayOptionalDateAttribute()]
        [Nullable[datetime]] $ExpiresOn,

        [Parameter(ValueFromPipelineByPropertyName)]
        [AllowEmptyString()]
        [AllowNull()]
        [string] $ValidFor,

        [switch] $AsPlainText
    )
    begin {
        $ErrorActionPreference, $WarningPreference, $InformationPreference, $VerbosePreference, $DebugPreference,
            $ConfirmPreference, $WhatIfPreference, $ProgressPreference = $script:GatewayCallerPreference::Of($PSCmdlet, $ExecutionContext.SessionState)   # Private/GatewayPreferences.ps1
    }
    process {
        # Mistakes are refused here, before a round trip, with the daemon's code and message; an empty
        # optional value (a blank CSV cell) is one not given.
        $given = Get-GatewayGivenValue -BoundParameters $PSBoundParameters -Name 'Description', 'ExpiresOn', 'ValidFor'
        $problem = Get-GatewayNameProblem -Name $Name
        if ($null -eq $problem -and $given.ContainsKey('Description')) { $problem = Get-GatewayDescriptionProblem -Description $given['Description'] -TargetObject $Name }
        if ($null -eq $problem) { $problem = Get-GatewayExpiryProblem -Given $given -TargetObject $Name }
        if ($null -ne $problem) {
            Write-GatewayError -Cmdlet $PSCmdlet -ErrorRecord $problem
            return
        }
        if (-not (Confirm-GatewayChange -Cmdlet $PSCmdlet -Target $Name -Action 'Create API key')) { return }
        $params = @{ name = $Name }
        if ($given.ContainsKey('Description')) { $params.description = $given['Description'] }
        Add-GatewayExpiry -Params $params -Given $given
        try {
            $created = Invoke-GatewayRpc -Method 'apiKey.create' -Params $params
        } catch {
            Write-GatewayError -Cmdlet $PSCmdlet -ErrorRecord $_
            return
        }
        ConvertTo-GatewayApiKeyWithValue -Answer $created -TypeName 'GatewayApiKeys.NewApiKey' -AsPlainText:$AsPlainText
    }
}
