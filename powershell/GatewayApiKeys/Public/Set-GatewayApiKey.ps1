function Set-GatewayApiKey {
    <#
    .SYNOPSIS
    Changes an API key's name, description or expiry; never its value.

    .DESCRIPTION
    Renames a key (-NewName), replaces its description (-Description; '' clears it) or moves its
    expiry (-ExpiresOn a date, or -ValidFor a period counted from today). A new expiry on an
    expired key makes it valid again at once. Nothing is output unless -PassThru is given.

    The changes can come from the pipeline, by property name: each row of Import-Csv with columns
    Name, NewName, Description, ExpiresOn or ValidFor changes its key, an empty cell changing
    nothing. What the command line gives applies to every key and wins over a row's expiry. Of a
    key piped from Get-GatewayApiKey only the name counts: its description and expiry are what the
    key has, not changes.

    .PARAMETER Name
    The key to change. Accepts pipeline input, by value and by property name.

    .PARAMETER NewName
    The key's new name: 3 to 100 characters, unique whatever the case. Accepts pipeline input by
    property name; an empty value is none.

    .PARAMETER Description
    The new description: at most 4000 characters. '' on the command line clears it. Accepts
    pipeline input by property name, where an empty value is none.

    .PARAMETER ExpiresOn
    The new last day of validity. Not with -ValidFor. Accepts pipeline input by property name; an
    empty value is none.

    .PARAMETER ValidFor
    The new validity from today: 7d, 30d, 60d, 90d, 180d or 1y, or an ISO 8601 date duration. Not
    with -ExpiresOn. Accepts pipeline input by property name; an empty value is none.

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

    .INPUTS
    System.String: the name; or any object with a Name property and any of NewName, Description,
    ExpiresOn and ValidFor (a row of Import-Csv). Of a GatewayApiKeys.ApiKey only its Name counts.

    .OUTPUTS
    None, or GatewayApiKeys.ApiKey with -PassThru.

    .LINK
    about_GatewayApiKeys
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType('GatewayApiKeys.ApiKey')]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipeline, ValueFromPipelineByPropertyName)]
        [AllowEmptyString()]
        [string] $Name,

        [Parameter(ValueFromPipelineByPropertyName)]
        [AllowEmptyString()]
        [AllowNull()]
        [string] $NewName,

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

        [switch] $PassThru
    )
    begin {
        $ErrorActionPreference, $WarningPreference, $InformationPreference, $VerbosePreference, $DebugPreference,
            $ConfirmPreference, $WhatIfPreference, $ProgressPreference = $script:GatewayCallerPreference::Of($PSCmdlet, $ExecutionContext.SessionState)   # Private/GatewayPreferences.ps1
        # What the command line gave applies to every key; what a pipeline object gives, to its key.
        $fromCommandLine = @($PSBoundParameters.Keys)
        $changeNames = 'NewName', 'Description', 'ExpiresOn', 'ValidFor'
    }
    process {
        # -Description '' on the command line clears the description; an empty cell of a CSV row is
        # a value not given.
        $keepEmpty = @()
        if ($fromCommandLine -contains 'Description') { $keepEmpty = @('Description') }
        $given = Get-GatewayGivenValue -BoundParameters $PSBoundParameters -Name $changeNames -KeepEmpty $keepEmpty
        $fromPipeline = @($changeNames | Where-Object { $given.ContainsKey($_) -and $fromCommandLine -notcontains $_ })
        # A key from Get-GatewayApiKey carries its current description and expiry, not changes: of
        # such an object only the name counts. An expiry on the command line replaces a row's.
        $current = $_
        $isKey = $null -ne $current -and $current.PSObject.TypeNames -contains 'GatewayApiKeys.ApiKey'
        $expiryOnCommandLine = $fromCommandLine -contains 'ExpiresOn' -or $fromCommandLine -contains 'ValidFor'
        foreach ($one in $fromPipeline) {
            if ($isKey -or ($expiryOnCommandLine -and $one -in 'ExpiresOn', 'ValidFor')) { $given.Remove($one) }
        }

        $problem = Get-GatewayNameProblem -Name $Name
        if ($null -eq $problem -and $given.ContainsKey('NewName')) { $problem = Get-GatewayNameProblem -Name $given['NewName'] -Field 'newName' -TargetObject $Name }
        if ($null -eq $problem -and $given.ContainsKey('Description')) { $problem = Get-GatewayDescriptionProblem -Description $given['Description'] -TargetObject $Name }
        if ($null -eq $problem) { $problem = Get-GatewayExpiryProblem -Given $given -TargetObject $Name }
        if ($null -eq $problem -and $given.Count -eq 0) {
            $message = 'Nothing to change: give -NewName, -Description, -ExpiresOn or -ValidFor.'
            $problem = New-GatewayErrorRecord -ErrorId 'InvalidParams' -Message $message -TargetObject $Name
        }
        if ($null -ne $problem) {
            Write-GatewayError -Cmdlet $PSCmdlet -ErrorRecord $problem
            return
        }
        $params = @{ name = $Name }
        if ($given.ContainsKey('NewName')) { $params.newName = $given['NewName'] }
        if ($given.ContainsKey('Description')) { $params.description = $given['Description'] }
        Add-GatewayExpiry -Params $params -Given $given
        $changes = @(foreach ($field in 'newName', 'description', 'expiresOn', 'validFor') { if ($params.ContainsKey($field)) { $field } })
        if (-not (Confirm-GatewayChange -Cmdlet $PSCmdlet -Target $Name -Action "Update API key ($($changes -join ', '))")) { return }
        try {
            $updated = Invoke-GatewayRpc -Method 'apiKey.update' -Params $params
        } catch {
            Write-GatewayError -Cmdlet $PSCmdlet -ErrorRecord $_
            return
        }
        if ($PassThru) { ConvertTo-GatewayApiKeyObject $updated }
    }
}
