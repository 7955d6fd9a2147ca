# New-GatewayApiKey, and the one validity grammar it shares with the CLI and the daemon.
# Against a real daemon of its own (TestDaemon.psm1), its clock started at 2026-11-27T12:00:00Z
# (UTC), so that expiry dates and statuses are known in advance.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestDaemon.psm1') -Force
    $script:Daemon = Start-TestSuiteDaemon
}

AfterAll {
    Stop-TestSuiteDaemon $Daemon
}

BeforeDiscovery {
    # The table test/validity-grammar.test.ts runs through the CLI and the daemon: one grammar for all three.
    $validityTable = Get-Content -Raw (Join-Path $PSScriptRoot '../../test/fixtures/validity-cases.json') | ConvertFrom-Json
    $validityCases = @($validityTable.cases | ForEach-Object -Begin { $n = 0 } -Process {
            $n++
            $case = @{ Number = $n; Text = $_.text; Refused = $null; ExpiresOn = $null }
            if ($_.PSObject.Properties['refused']) { $case.Refused = $_.refused } else { $case.ExpiresOn = $_.expiresOn }
            $case
        })
}

Describe 'One validity grammar with the CLI and the daemon' {
    It '-ValidFor <Text>: expires <ExpiresOn>, or refused with <Refused>' -TestCases $validityCases {
        $created = $null
        $failure = $null
        try { $created = New-GatewayApiKey -Name "Grammar case $Number" -ValidFor $Text -ErrorAction Stop } catch { $failure = $_ }
        if ($Refused) {
            $created | Should -BeNullOrEmpty
            # Not a validity is refused before a round trip, too late a date by the daemon: the same ErrorId either way.
            $failure.FullyQualifiedErrorId | Should -Be "$Refused,New-GatewayApiKey"
        } else {
            $failure | Should -BeNullOrEmpty
            $created.ExpiresOn | Should -Be ([datetime]$ExpiresOn)
        }
    }
}

Describe 'New-GatewayApiKey' {
    It 'creates a key valid one year by default and returns its value as a SecureString' {
        $key = New-GatewayApiKey -Name 'Orders connector' -Description 'Orders in NAC'
        $key.PSObject.TypeNames | Should -Contain 'GatewayApiKeys.NewApiKey'
        $key.PSObject.TypeNames | Should -Contain 'GatewayApiKeys.ApiKey'
        $key.Name | Should -Be 'Orders connector'
        $key.Description | Should -Be 'Orders in NAC'
        $key.ExpiresOn | Should -Be ([datetime]'2027-11-27')
        $key.DaysLeft | Should -Be 365
        $key.Status | Should -Be 'Active'
        $key.Color | Should -Be 'Green'
        $key.LastUsed | Should -BeNullOrEmpty
        $key.Created | Should -BeOfType [datetime]
        $key.Created.ToUniversalTime().Date | Should -Be ([datetime]'2026-11-27')
        $key.Key | Should -BeOfType [System.Security.SecureString]
        $plain = [System.Net.NetworkCredential]::new('', $key.Key).Password
        $plain | Should -MatchExactly '^gwk_[0-9A-Za-z]{49}$'
        $key.Hint | Should -Be $plain.Substring(0, 8)
        Get-TestKeyValue 'Orders connector' | Should -Be $plain
    }

    It 'returns the value as a string with -AsPlainText' {
        $key = New-GatewayApiKey -Name 'Plain text key' -AsPlainText
        $key.Key | Should -BeOfType [string]
        $key.Key | Should -Be (Get-TestKeyValue 'Plain text key')
    }

    It 'counts -ValidFor <ValidFor> from today: expires <Expected>' -TestCases @(
        @{ ValidFor = '7d'; Expected = '2026-12-04'; Status = 'Expiring' }
        @{ ValidFor = '30d'; Expected = '2026-12-27'; Status = 'Active' }
        @{ ValidFor = '60d'; Expected = '2027-01-26'; Status = 'Active' }
        @{ ValidFor = '90d'; Expected = '2027-02-25'; Status = 'Active' }
        @{ ValidFor = '180d'; Expected = '2027-05-26'; Status = 'Active' }
        @{ ValidFor = '1y'; Expected = '2027-11-27'; Status = 'Active' }
        @{ ValidFor = 'P6M'; Expected = '2027-05-27'; Status = 'Active' }
        @{ ValidFor = 'p2w'; Expected = '2026-12-11'; Status = 'Expiring' }
        @{ ValidFor = 'P2D'; Expected = '2026-11-29'; Status = 'ExpiresSoon' }
    ) {
        $key = New-GatewayApiKey -Name "Valid for $ValidFor" -ValidFor $ValidFor
        $key.ExpiresOn | Should -Be ([datetime]$Expected)
        $key.Status | Should -Be $Status
    }

    It 'takes -ExpiresOn as a [datetime]: its date counts, whatever the culture' {
        $saved = [System.Globalization.CultureInfo]::CurrentCulture
        try {
            [System.Globalization.CultureInfo]::CurrentCulture = 'th-TH'   # a Buddhist-era calendar
            $key = New-GatewayApiKey -Name 'Fixed date key' -ExpiresOn (Get-Date -Year 2027 -Month 3 -Day 31 -Hour 18)
        } finally {
            [System.Globalization.CultureInfo]::CurrentCulture = $saved
        }
        $key.ExpiresOn | Should -Be ([datetime]'2027-03-31')
        $key.DaysLeft | Should -Be 124
    }

    It 'refuses a taken name, whatever its case, with NameTaken (ResourceExists) and the daemon''s message' {
        $created = New-GatewayApiKey -Name 'ORDERS CONNECTOR' -ErrorVariable failed -ErrorAction SilentlyContinue
        $created | Should -BeNullOrEmpty
        $failed[-1].FullyQualifiedErrorId | Should -Be 'NameTaken,New-GatewayApiKey'
        $failed[-1].CategoryInfo.Category | Should -Be 'ResourceExists'
        $failed[-1].Exception.Message | Should -Be "An API key named 'Orders connector' already exists: names are unique, whatever their case."
        $failed[-1].TargetObject | Should -Be 'ORDERS CONNECTOR'
        (Get-GatewayApiKey -Name 'Orders connector').Description | Should -Be 'Orders in NAC'
    }

    It 'passes on the daemon''s <Code> for an expiry <Why>' -TestCases @(
        @{ Code = 'ExpiryInPast'; Why = 'before today'; Splat = @{ ExpiresOn = [datetime]'2026-11-26' } }
        @{ Code = 'ExpiryTooFar'; Why = 'beyond five years'; Splat = @{ ExpiresOn = [datetime]'2031-11-28' } }
        @{ Code = 'ExpiryTooFar'; Why = 'of too long a duration'; Splat = @{ ValidFor = 'P6Y' } }
    ) {
        New-GatewayApiKey -Name 'Bad expiry key' @Splat -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[-1].FullyQualifiedErrorId | Should -Be "$Code,New-GatewayApiKey"
        $failed[-1].CategoryInfo.Category | Should -Be 'InvalidArgument'
        Get-GatewayApiKey -Name 'Bad expiry key' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'accepts expiry on the last day allowed, today + 5 years' {
        (New-GatewayApiKey -Name 'Five years key' -ExpiresOn '2031-11-27').ExpiresOn | Should -Be ([datetime]'2031-11-27')
    }

    It 'creates nothing with -WhatIf' {
        New-GatewayApiKey -Name 'What if key' -WhatIf | Should -BeNullOrEmpty
        { Get-GatewayApiKey -Name 'What if key' -ErrorAction Stop } | Should -Throw -ErrorId 'KeyNotFound,Get-GatewayApiKey'
    }

    It 'refuses a name too long with NameTooLong, an ErrorId a script can catch, and sends nothing' {
        $rules = Get-GeneratedRules
        $caught = $null
        try {
            $null = New-GatewayApiKey -Name ('x' * ($rules.NameMaxLength + 1)) -ErrorAction Stop
        } catch {
            $caught = $_
        }
        $caught.FullyQualifiedErrorId | Should -Be 'NameTooLong,New-GatewayApiKey'
        $caught.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $caught.Exception.Message | Should -BeExactly $rules.Messages.NameTooLong
        Get-GatewayApiKey -Name ('x' * 10 + '*') | Should -BeNullOrEmpty
    }

    It 'imports a CSV: Import-Csv | New-GatewayApiKey, an empty cell being a value not given' {
        $csv = Join-Path $TestDrive 'keys.csv'
        Set-Content -Path $csv -Value @(
            'Name,Description,ValidFor,ExpiresOn'
            'Csv valid for,From the CSV,90d,'
            'Csv expires on,,,2027-03-31'
            'Csv default,Neither expiry,,'
            '" ",A name of white space,,'
            'Csv both,,30d,2027-03-31'
        )
        $made = Import-Csv -Path $csv | New-GatewayApiKey -ErrorVariable failed -ErrorAction SilentlyContinue
        $made.Name | Should -Be 'Csv valid for', 'Csv expires on', 'Csv default'
        $made.ExpiresOn | Should -Be ([datetime]'2027-02-25'), ([datetime]'2027-03-31'), ([datetime]'2027-11-27')
        $made.Description | Should -Be 'From the CSV', '', 'Neither expiry'
        @($failed | ForEach-Object FullyQualifiedErrorId) | Should -Be 'NameInvalid,New-GatewayApiKey', 'InvalidParams,New-GatewayApiKey'
        $failed[1].TargetObject | Should -Be 'Csv both'
        Get-GatewayApiKey -Name 'Csv both' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'creates one key per input object, binding Name, Description and ValidFor by property name' {
        $made = @(
            [pscustomobject]@{ Name = 'Imported one'; Description = 'from CSV'; ValidFor = '90d' }
            [pscustomobject]@{ Name = 'Imported two'; Description = 'from CSV too'; ValidFor = '7d' }
        ) | New-GatewayApiKey
        $made.Name | Should -Be 'Imported one', 'Imported two'
        $made.ExpiresOn | Should -Be ([datetime]'2027-02-25'), ([datetime]'2026-12-04')
        (Get-GatewayApiKey -Name 'Imported two').Description | Should -Be 'from CSV too'
    }

    It 'never writes the key value to the verbose or debug streams' {
        $streams = New-GatewayApiKey -Name 'Quiet key' -AsPlainText -Verbose -Debug 4>&1 5>&1
        $key = $streams | Where-Object { $_ -isnot [System.Management.Automation.InformationalRecord] }
        $messages = ($streams | Where-Object { $_ -is [System.Management.Automation.InformationalRecord] }).Message -join "`n"
        $messages | Should -Match 'apiKey.create'
        $messages | Should -Not -Match ([regex]::Escape($key.Key))
    }
}
