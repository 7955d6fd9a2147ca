function Get-GatewayApiKey {
    <#
    .SYNOPSIS
    Gets API keys: their name, description, expiry, status, last use and hint, never their value.

    .DESCRIPTION
    Without -Name, gets every key. -Name takes names or wildcard patterns (* any run of characters,
    ? one character), matched whatever their case. A name without wildcards that no key has is an
    error (KeyNotFound), unless -Status, -AsOf or paging narrow a list, where it just matches nothing.

    Keys come sorted by name unless -SortBy says otherwise; -First and -Skip page through them and
    -IncludeTotalCount tells how many match in all. ExpiresOn, LastUsed and Created are [datetime]
    values (LastUsed is $null for a key never used), so Sort-Object and Where-Object work on them.

    .PARAMETER Name
    Names or wildcard patterns. Accepts pipeline input, by value and by property name.

    .PARAMETER LiteralName
    Names taken as they are, for names that contain * or ?: no character is a wildcard. Combines
    with -Status, -AsOf and paging like -Name.

    .PARAMETER Status
    Only keys in these statuses: Active (15 days or more left), Expiring (4-14), ExpiresSoon (0-3),
    Expired, Disabled (whatever its days left: see Disable-GatewayApiKey).

    .PARAMETER SortBy
    The column to sort by: Name (the default), ExpiresOn, LastUsed, Status or Created.

    .PARAMETER Descending
    Sorts in descending order.

    .PARAMETER AsOf
    Computes Status and DaysLeft as of this date instead of today: a preview that changes nothing.

    .EXAMPLE
    Get-GatewayApiKey

    Name             ExpiresOn  DaysLeft LastUsed         Hint     Status
    ----             ---------  -------- --------         ----     ------
    Orders connector 2027-02-25       90 2026-11-27 09:14 gwk_6OvE Active

    .EXAMPLE
    Get-GatewayApiKey -Name 'Orders*' -Status Expiring, ExpiresSoon -SortBy ExpiresOn

    The keys whose name starts with Orders that expire within 14 days, soonest first.

    .EXAMPLE
    Get-GatewayApiKey -AsOf (Get-Date).AddDays(30) -Status Expired, ExpiresSoon

    The keys that will have expired, or be about to, in 30 days.

    .EXAMPLE
    Get-GatewayApiKey -LiteralName 'Orders * (all regions)'

    The one key of that name, whose * is part of it, not a wildcard.

    .EXAMPLE
    Get-GatewayApiKey -Status Expired | Remove-GatewayApiKey

    Deletes every expired key, asking for each.

    .INPUTS
    System.String: names or patterns for -Name; or any object with a Name property.

    .OUTPUTS
    GatewayApiKeys.ApiKey: Name, Description, ExpiresOn [datetime], DaysLeft, Status, LastUsed
    [Nullable[datetime]], Created and Updated [datetime], Hint, Enabled, RotatedAt and
    PreviousValidUntil [Nullable[datetime]]; and Color, for display (hidden, and left out of
    Export-Csv and ConvertTo-Json).

    .LINK
    about_GatewayApiKeys
    #>
    [CmdletBinding(SupportsPaging, DefaultParameterSetName = 'Pattern')]
    [OutputType('GatewayApiKeys.ApiKey')]
    param(
        [Parameter(Position = 0, ValueFromPipeline, ValueFromPipelineByPropertyName, ParameterSetName = 'Pattern')]
        [ValidateNotNullOrEmpty()]
        # Printable ASCII within the limit is a valid pattern (one code point a character, NFC as it
        # is): the common case skips Assert-GatewayNamePattern, an advanced function whose call cost
        # 0.1-0.3 ms a call against a round trip of about 1 ms (bench/powershell-overhead.ps1).
        [ValidateScript({ ($_.Length -le $script:GatewayRules.NamePatternMaxLength -and -not [regex]::IsMatch($_, '[^\x20-\x7e]')) -or (Assert-GatewayNamePattern $_) })]
        [SupportsWildcards()]
        [string[]] $Name,

        [Parameter(Mandatory, ParameterSetName = 'Literal')]
        [AllowEmptyString()]
        [string[]] $LiteralName,

        # A ValidateSet must be literal: the manifest tests hold it equal to $script:GatewayRules.Statuses.
        [ValidateSet('Active', 'Expiring', 'ExpiresSoon', 'Expired', 'Disabled')]
        [string[]] $Status,

        [ValidateSet('Name', 'ExpiresOn', 'LastUsed', 'Status', 'Created')]
        [string] $SortBy,

        [switch] $Descending,

        [datetime] $AsOf
    )
    begin {
        $ErrorActionPreference, $WarningPreference, $InformationPreference, $VerbosePreference, $DebugPreference,
            $ConfirmPreference, $WhatIfPreference, $ProgressPreference = $script:GatewayCallerPreference::Of($PSCmdlet, $ExecutionContext.SessionState)   # Private/GatewayPreferences.ps1
        # The list request's filters, the same for every -Name.
        $filter = @{}
        if ($PSBoundParameters.ContainsKey('Status')) {
            # ValidateSet lets any case through; the daemon wants its own spelling, once each.
            $filter.status = @(foreach ($wanted in $script:GatewayRules.Statuses) { if ($Status -contains $wanted) { $wanted } })
        }
        if ($PSBoundParameters.ContainsKey('SortBy')) { $filter.sortBy = $script:GatewaySortColumns[$SortBy] }
        if ($Descending) { $filter.descending = $true }
        if ($PSBoundParameters.ContainsKey('AsOf')) { $filter.asOf = ConvertTo-GatewayDate $AsOf }
        $paging = $PSCmdlet.PagingParameters
        if ($paging.Skip -gt 0) { $filter.offset = $paging.Skip }
        if ($paging.First -lt [uint64]::MaxValue) { $filter.limit = $paging.First }
        # One exact name alone is one apiKey.get; anything that filters or pages is a list.
        $narrowed = $filter.ContainsKey('status') -or $filter.ContainsKey('asOf') -or
            $filter.ContainsKey('offset') -or $filter.ContainsKey('limit') -or $paging.IncludeTotalCount
        $literal = $PSCmdlet.ParameterSetName -eq 'Literal'
    }
    process {
        if ($literal) { $names = $LiteralName } else { $names = $Name }
        if ($null -eq $names) { $names = @($null) }
        foreach ($one in $names) {
            if ($literal) {
                $problem = Get-GatewayNameProblem -Name $one
                if ($null -ne $problem) {
                    Write-GatewayError -Cmdlet $PSCmdlet -ErrorRecord $problem
                    continue
                }
            }
            # -As: the answer's keys come as output objects, read at once (Invoke-GatewayExchange): a
            # function call per key is dear in a list of thousands.
            try {
                if ($null -ne $one -and -not $narrowed -and ($literal -or $one -notmatch '[*?]')) {
                    Invoke-GatewayRpc -Method 'apiKey.get' -Params @{ name = $one } -As 'Key'
                    continue
                }
                $params = $filter.Clone()
                # literalName: the daemon matches the name as it is, * and ? included.
                if ($literal) { $params.literalName = $one } elseif ($null -ne $one) { $params.name = $one }
                $found = Invoke-GatewayRpc -Method 'apiKey.list' -Params $params -As 'KeyPage'
            } catch {
                Write-GatewayError -Cmdlet $PSCmdlet -ErrorRecord $_
                continue
            }
            if ($paging.IncludeTotalCount) { $paging.NewTotalCount([uint64]$found.total, 1.0) }
            $found.items
        }
    }
}

# -SortBy takes the output's property names; the daemon its own column names.
$script:GatewaySortColumns = @{
    Name      = 'name'
    ExpiresOn = 'expiresOn'
    LastUsed  = 'lastUsedAt'
    Status    = 'status'
    Created   = 'createdAt'
}
