# Test-GatewayApiKey.
# Against a real daemon of its own (TestDaemon.psm1), its clock started at 2026-11-27T12:00:00Z
# (UTC), so that expiry dates and statuses are known in advance.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestDaemon.psm1') -Force
    $script:Daemon = Start-TestSuiteDaemon
}

AfterAll {
    Stop-TestSuiteDaemon $Daemon
}

Describe 'Test-GatewayApiKey' {
    BeforeAll {
        $script:tested = New-GatewayApiKey -Name 'Tested key' -ValidFor 30d -AsPlainText
    }

    It 'is $true for a valid key given as a string' {
        Test-GatewayApiKey -Key $tested.Key | Should -BeTrue
    }

    It 'is $true for a valid key given as a SecureString, also from the pipeline' {
        Test-GatewayApiKey -Key (ConvertTo-TestSecureString $tested.Key) | Should -BeTrue
        (ConvertTo-TestSecureString $tested.Key) | Test-GatewayApiKey | Should -BeTrue
    }

    It 'takes the output of New-GatewayApiKey from the pipeline' {
        New-GatewayApiKey -Name 'Piped test key' | Test-GatewayApiKey | Should -BeTrue
    }

    It 'is $false for a value that is not a key, and -Detailed says Malformed' {
        Test-GatewayApiKey -Key 'not a key' | Should -BeFalse
        $detail = Test-GatewayApiKey -Key 'not a key' -Detailed
        $detail.PSObject.TypeNames[0] | Should -Be 'GatewayApiKeys.KeyTestResult'
        $detail.Authenticated | Should -BeFalse
        $detail.Reason | Should -Be 'Malformed'
        $detail.Name | Should -BeNullOrEmpty
    }

    It 'is $false for a well-formed value of a deleted key: Unknown' {
        $gone = New-GatewayApiKey -Name 'Deleted test key' -AsPlainText
        Remove-GatewayApiKey -Name 'Deleted test key' -Force
        (Test-GatewayApiKey -Key $gone.Key -Detailed).Reason | Should -Be 'Unknown'
    }

    It 'shows -Detailed as a table with the expiry as yyyy-MM-dd' {
        $lines = (Test-GatewayApiKey -Key $tested.Key -Detailed | Out-String -Width 120) -split "`r?`n" | Where-Object { $_ -match '\S' }
        $lines[0] | Should -Match '^Authenticated\s+Name\s+ExpiresOn\s+Status\s+Reason$'
        $lines[2] | Should -Match '^True\s+Tested key\s+2026-12-27 Active\s*$'
        $lines = (Test-GatewayApiKey -Key 'not a key' -Detailed | Out-String -Width 120) -split "`r?`n" | Where-Object { $_ -match '\S' }
        $lines[2] | Should -Match '^False\s+Malformed$'
    }

    It 'gives name, expiry and status with -Detailed, and records no use' {
        $detail = Test-GatewayApiKey -Key $tested.Key -Detailed
        $detail.Authenticated | Should -BeTrue
        $detail.Name | Should -Be 'Tested key'
        $detail.ExpiresOn | Should -Be ([datetime]'2026-12-27')
        $detail.Status | Should -Be 'Active'
        $detail.Reason | Should -BeNullOrEmpty
        (Get-GatewayApiKey -Name 'Tested key').LastUsed | Should -BeNullOrEmpty
    }

    It 'rejects a -Key that is neither a string nor a SecureString' {
        { Test-GatewayApiKey -Key 42 -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidParams,Test-GatewayApiKey'
    }
}
