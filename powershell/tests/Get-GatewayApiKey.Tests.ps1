# Get-GatewayApiKey.
# Against a real daemon of its own (TestDaemon.psm1), its clock started at 2026-11-27T12:00:00Z
# (UTC), so that expiry dates and statuses are known in advance.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestDaemon.psm1') -Force
    $script:Daemon = Start-TestSuiteDaemon
    # Keys besides those the tests make: listing, sorting and paging need company.
    $null = New-GatewayApiKey -Name 'Orders connector' -Description 'Orders in NAC'
    foreach ($number in 1..8) { $null = New-GatewayApiKey -Name "Created in order $number" }
}

AfterAll {
    Stop-TestSuiteDaemon $Daemon
}

Describe 'Get-GatewayApiKey' {
    BeforeAll {
        foreach ($spec in @(
                @{ Name = 'Zeta sorting'; ExpiresOn = '2027-01-10' }
                @{ Name = 'alpha sorting'; ExpiresOn = '2026-11-30' }
                @{ Name = 'Mid sorting'; ExpiresOn = '2026-12-08' })) {
            $null = New-GatewayApiKey @spec
        }
    }

    It 'gets every key, sorted by name whatever the case, as typed objects with [datetime] dates' {
        $all = Get-GatewayApiKey
        $names = @($all.Name)
        $names | Should -Contain 'Orders connector'
        $names | Should -Be ($names | Sort-Object)
        $all[0].PSObject.TypeNames[0] | Should -Be 'GatewayApiKeys.ApiKey'
        # Color is there for display ($key.Color), not among the properties an export lists.
        $all[0].PSObject.Properties.Name | Should -Be 'Name', 'Description', 'ExpiresOn', 'DaysLeft', 'Status', 'LastUsed', 'Created', 'Updated', 'Hint',
            'Enabled', 'RotatedAt', 'PreviousValidUntil', 'DisabledAt', 'DisabledReason'
        $all[0].Color | Should -BeIn 'Green', 'Orange', 'Red'
        $all.ExpiresOn | Should -BeOfType [datetime]
        $all.Created | Should -BeOfType [datetime]
        $all.Hint | Should -MatchExactly '^gwk_[0-9A-Za-z]{4}$'
    }

    It 'matches -Name wildcards whatever the case' {
        (Get-GatewayApiKey -Name '*SORTING').Name | Should -Be 'alpha sorting', 'Mid sorting', 'Zeta sorting'
        (Get-GatewayApiKey -Name '?eta sort*').Name | Should -Be 'Zeta sorting'
        Get-GatewayApiKey -Name 'nothing like it*' | Should -BeNullOrEmpty
    }

    It 'gets one key by its exact name, whatever the case' {
        $key = Get-GatewayApiKey -Name 'mid SORTING'
        $key.Name | Should -Be 'Mid sorting'
        $key.ExpiresOn | Should -Be ([datetime]'2026-12-08')
        $key.DaysLeft | Should -Be 11
        $key.Status | Should -Be 'Expiring'
        $key.Color | Should -Be 'Orange'
    }

    It 'reports a missing exact name as KeyNotFound (ObjectNotFound) and goes on with the next name' {
        $found = 'alpha sorting', 'no such key', 'Zeta sorting' | Get-GatewayApiKey -ErrorVariable failed -ErrorAction SilentlyContinue
        $found.Name | Should -Be 'alpha sorting', 'Zeta sorting'
        $failed[-1].FullyQualifiedErrorId | Should -Be 'KeyNotFound,Get-GatewayApiKey'
        $failed[-1].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $failed[-1].Exception | Should -BeOfType [System.Collections.Generic.KeyNotFoundException]
        $failed[-1].Exception.Message | Should -Match 'no such key'
    }

    It 'filters by -Status' {
        (Get-GatewayApiKey -Name '*sorting' -Status Expiring, ExpiresSoon).Name | Should -Be 'alpha sorting', 'Mid sorting'
        (Get-GatewayApiKey -Name '*sorting' -Status expiressoon).Name | Should -Be 'alpha sorting'
    }

    It 'sorts by -SortBy <SortBy>' -TestCases @(
        @{ SortBy = 'ExpiresOn'; Descending = $false; Expected = 'alpha sorting', 'Mid sorting', 'Zeta sorting' }
        @{ SortBy = 'ExpiresOn'; Descending = $true; Expected = 'Zeta sorting', 'Mid sorting', 'alpha sorting' }
        @{ SortBy = 'Name'; Descending = $true; Expected = 'Zeta sorting', 'Mid sorting', 'alpha sorting' }
        @{ SortBy = 'Status'; Descending = $false; Expected = 'alpha sorting', 'Mid sorting', 'Zeta sorting' }
    ) {
        (Get-GatewayApiKey -Name '*sorting' -SortBy $SortBy -Descending:$Descending).Name | Should -Be $Expected
    }

    It 'sorts by -SortBy Created, oldest first' {
        # Keys made in the same millisecond tie and fall back to name order, so the instants are what is checked.
        $created = @((Get-GatewayApiKey -SortBy Created).Created)
        $created.Count | Should -BeGreaterThan 10
        for ($i = 1; $i -lt $created.Count; $i++) { $created[$i] | Should -BeGreaterOrEqual $created[$i - 1] }
        (Get-GatewayApiKey -SortBy Created -Descending)[0].Created | Should -Be $created[-1]
    }

    It 'sorts by LastUsed, and shows the last use of a key the gateway authenticated as a [datetime]' {
        $result = Invoke-TestAuthenticate -Daemon $Daemon -Key (Get-TestKeyValue 'Mid sorting')
        $result.authenticated | Should -BeTrue
        $used = Get-GatewayApiKey -Name 'Mid sorting'
        $used.LastUsed | Should -BeOfType [datetime]
        $used.LastUsed.ToUniversalTime().Date | Should -Be ([datetime]'2026-11-27')
        (Get-GatewayApiKey -Name '*sorting' -SortBy LastUsed -Descending)[0].Name | Should -Be 'Mid sorting'
    }

    It 'computes status -AsOf a later date, changing nothing' {
        $preview = Get-GatewayApiKey -Name '*sorting' -AsOf '2026-12-05'
        ($preview | Where-Object Name -EQ 'alpha sorting').Status | Should -Be 'Expired'
        ($preview | Where-Object Name -EQ 'alpha sorting').DaysLeft | Should -Be -5
        ($preview | Where-Object Name -EQ 'Mid sorting').Status | Should -Be 'ExpiresSoon'
        (Get-GatewayApiKey -Name 'alpha sorting').Status | Should -Be 'ExpiresSoon'
        (Get-GatewayApiKey -Name 'alpha sorting' -AsOf '2026-12-05').Status | Should -Be 'Expired'
        (Get-GatewayApiKey -Name '*sorting' -AsOf '2026-12-05' -Status Expired).Name | Should -Be 'alpha sorting'
    }

    It 'pages with -Skip and -First, and counts all matches with -IncludeTotalCount' {
        (Get-GatewayApiKey -Name '*sorting' -Skip 1 -First 1).Name | Should -Be 'Mid sorting'
        $page = Get-GatewayApiKey -Name '*sorting' -First 2 -IncludeTotalCount
        $page[0].ToString() | Should -Be 'Total count: 3'
        $page[1..2].Name | Should -Be 'alpha sorting', 'Mid sorting'
    }

    It 'takes -LiteralName as it is: * and ? in a name are not wildcards' {
        $null = New-GatewayApiKey -Name 'Star * key'
        $null = New-GatewayApiKey -Name 'Star x key'
        $null = New-GatewayApiKey -Name 'Which? key'
        (Get-GatewayApiKey -Name 'Star * key').Name | Should -Be 'Star * key', 'Star x key'
        (Get-GatewayApiKey -LiteralName 'star * KEY').Name | Should -Be 'Star * key'
        (Get-GatewayApiKey -LiteralName 'Which? key', 'Star * key').Name | Should -Be 'Which? key', 'Star * key'
        (Get-GatewayApiKey -LiteralName 'Star * key' -Status Active -IncludeTotalCount)[1].Name | Should -Be 'Star * key'
        Get-GatewayApiKey -LiteralName 'Star * key' -Status Expired | Should -BeNullOrEmpty
        { Get-GatewayApiKey -LiteralName 'Star ? key' -ErrorAction Stop } | Should -Throw -ErrorId 'KeyNotFound,Get-GatewayApiKey'
        { Get-GatewayApiKey -LiteralName 'no' -ErrorAction Stop } | Should -Throw -ErrorId 'NameTooShort,Get-GatewayApiKey'
    }

    It 'finds a -LiteralName with -Status, -AsOf or paging as the daemon compares names: folded, like apiKey.get' {
        $null = New-GatewayApiKey -Name 'Straße * key'
        (Get-GatewayApiKey -LiteralName 'STRASSE * KEY').Name | Should -Be 'Straße * key'
        (Get-GatewayApiKey -LiteralName 'STRASSE * KEY' -Status Active).Name | Should -Be 'Straße * key'
        (Get-GatewayApiKey -LiteralName 'strasse * key' -AsOf '2026-12-01').Name | Should -Be 'Straße * key'
        $page = Get-GatewayApiKey -LiteralName 'STRASSE * KEY' -Skip 1 -IncludeTotalCount
        $page.Count | Should -Be 1
        $page[0].ToString() | Should -Be 'Total count: 1'
    }

    It 'rejects a pattern longer than the schema allows before a round trip' {
        { Get-GatewayApiKey -Name ('x' * 401) } | Should -Throw -ErrorId 'ParameterArgumentValidationError,Get-GatewayApiKey'
    }

    It 'checks a pattern that is not plain ASCII in full: code points after NFC, and no unpaired surrogate' {
        # The ValidateScript's shortcut takes printable ASCII only; these must reach the full check.
        { Get-GatewayApiKey -Name ([string][char]0xD800) } | Should -Throw -ErrorId 'ParameterArgumentValidationError,Get-GatewayApiKey'
        # U+0958 becomes two code points under NFC: 300 of them are 600, over the limit of 400.
        { Get-GatewayApiKey -Name ([string][char]0x0958 * 300) } | Should -Throw -ErrorId 'ParameterArgumentValidationError,Get-GatewayApiKey'
        # 400 code points in 800 UTF-16 units: within the limit.
        @(Get-GatewayApiKey -Name ([char]::ConvertFromUtf32(0x1F600) * 400) -Status Active).Count | Should -Be 0
    }
}
