# Every cmdlet against a real daemon on a temp data dir, its clock started at 2026-11-27T12:00:00Z
# (UTC), so that expiry dates and statuses are known in advance.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestDaemon.psm1') -Force
    Import-TestedModule
    $script:Daemon = Start-TestDaemon
    $null = Connect-GatewayApiKeyService -Pipe $Daemon.Pipe -DataDirectory $Daemon.DataDirectory

    # The value of a key, as the View screen shows it.
    function Get-KeyValue([string] $Name) { (Show-GatewayApiKey -Name $Name).Key }
}

AfterAll {
    Remove-Module GatewayApiKeys -ErrorAction Ignore
    Stop-TestDaemon $Daemon
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

Describe 'Connect-GatewayApiKeyService' {
    It 'connects with the admin token file of -DataDirectory and tells whom it reached' {
        $connection = Connect-GatewayApiKeyService -Pipe $Daemon.Pipe -DataDirectory $Daemon.DataDirectory
        $connection.PSObject.TypeNames[0] | Should -Be 'GatewayApiKeys.Connection'
        $connection.Pipe | Should -Be $Daemon.Pipe
        $connection.Role | Should -Be 'admin'
        $connection.ServerVersion | Should -Be '0.1.0'
        $connection.ProtocolVersion | Should -Be 2
        $connection.Today | Should -Be ([datetime]'2026-11-27')
        $connection.TimeZone | Should -Be 'UTC'
    }

    It 'takes -Token as a SecureString: the gateway token gives the gateway role, which may not list keys' {
        $connection = Connect-GatewayApiKeyService -Pipe $Daemon.Pipe -Token (ConvertTo-TestSecureString $Daemon.GatewayToken)
        $connection.Role | Should -Be 'gateway'
        $denied = { Get-GatewayApiKey } | Should -Throw -ErrorId 'Forbidden,Get-GatewayApiKey' -PassThru
        $denied.CategoryInfo.Category | Should -Be 'PermissionDenied'
        $denied.Exception.Message | Should -Be 'The gateway role cannot call apiKey.list.'
    }

    It 'with a wrong token, cannot tell the daemon from an impostor: DaemonImpostor, a terminating SecurityError, nothing secret sent' {
        $refused = { Connect-GatewayApiKeyService -Pipe $Daemon.Pipe -Token (ConvertTo-TestSecureString 'not-the-token') } |
            Should -Throw -ErrorId 'DaemonImpostor,Connect-GatewayApiKeyService' -PassThru
        $refused.CategoryInfo.Category | Should -Be 'SecurityError'
        $refused.Exception.Message | Should -Match 'is not the gateway-apikeys daemon: it does not know the token'
    }

    It 'a -Role the token cannot prove is DaemonImpostor too' {
        { Connect-GatewayApiKeyService -Pipe $Daemon.Pipe -Role admin -Token (ConvertTo-TestSecureString $Daemon.GatewayToken) } |
            Should -Throw -ErrorId 'DaemonImpostor,Connect-GatewayApiKeyService'
        (Connect-GatewayApiKeyService -Pipe $Daemon.Pipe -Role gateway -Token (ConvertTo-TestSecureString $Daemon.GatewayToken)).Role | Should -Be 'gateway'
    }

    It 'says that there is no socket at a path where there is none, within the timeout, as a sentence' {
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        $unreachable = { Connect-GatewayApiKeyService -Pipe '/tmp/gwk-nobody-here.sock' -TimeoutSec 2 } |
            Should -Throw -ErrorId 'DaemonUnreachable,Connect-GatewayApiKeyService' -PassThru
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 3
        $unreachable.CategoryInfo.Category | Should -Be 'ConnectionError'
        $unreachable.Exception.Message | Should -BeLike "Cannot connect to the gateway-apikeys daemon at '/tmp/gwk-nobody-here.sock': there is no socket at that path, so the daemon is not running or its pipe is elsewhere. *"
        $unreachable.Exception.Message | Should -Not -Match 'Cannot assign requested address'
        $unreachable.Exception.Message | Should -Match "Start it with 'gateway-apikeys serve'"
        $unreachable.Exception.Message | Should -Match '\.$'
    }

    It 'says that nothing listens on a socket file a stopped daemon left behind' -Skip:$IsWindows {
        $left = "/tmp/gwk-left-$PID.sock"
        $socket = [System.Net.Sockets.Socket]::new([System.Net.Sockets.AddressFamily]::Unix, [System.Net.Sockets.SocketType]::Stream, [System.Net.Sockets.ProtocolType]::Unspecified)
        try {
            $socket.Bind([System.Net.Sockets.UnixDomainSocketEndPoint]::new($left))   # bound, never listening
            $refused = { Connect-GatewayApiKeyService -Pipe $left -TimeoutSec 2 } | Should -Throw -ErrorId 'DaemonUnreachable,Connect-GatewayApiKeyService' -PassThru
            $refused.Exception.Message | Should -Match 'nothing listens on that socket \(a daemon that stopped left it behind\), so the daemon is not running\.'
        } finally {
            $socket.Dispose()
            Remove-Item -LiteralPath $left -ErrorAction Ignore
        }
    }

    It 'says DaemonAccessDenied (PermissionDenied), not "not running", to a user who may not open the socket, naming what grants access' -Skip:$IsWindows {
        # The daemon's socket is 0660 (owner and group). As root, the module runs as 'nobody' (no group
        # of the socket's) in a pwsh of its own; as any other user, the socket is made 0000 for the test.
        $probe = {
            param($Pipe)
            $ErrorActionPreference = 'Stop'
            try {
                $null = Connect-GatewayApiKeyService -Pipe $Pipe -Token (ConvertTo-SecureString 'gwt_any' -AsPlainText -Force) -TimeoutSec 2
                [pscustomobject]@{ Id = 'connected'; Category = ''; Message = '' }
            } catch {
                [pscustomobject]@{ Id = $_.FullyQualifiedErrorId; Category = [string]$_.CategoryInfo.Category; Message = $_.Exception.Message }
            }
        }
        $inDataDir = Join-Path $Daemon.DataDirectory 'gateway-apikeys.sock'
        if ((& id -u) -eq '0') {
            $copy = Join-Path ([System.IO.Path]::GetTempPath()) "gwk-module-$PID"
            Copy-Item -Recurse -Force -Path (Join-Path $PSScriptRoot '../GatewayApiKeys') -Destination $copy
            & chmod -R a+rX $copy
            $script = "Import-Module '$copy/GatewayApiKeys.psd1'; `$probe = { $probe }; " +
                "@(& `$probe '$($Daemon.Pipe)'; & `$probe '$inDataDir') | ConvertTo-Json -Compress"
            $pwsh = [System.Diagnostics.Process]::GetCurrentProcess().MainModule.FileName
            $arguments = @()
            if ([System.IO.Path]::GetFileNameWithoutExtension($pwsh) -eq 'dotnet') { $arguments += [System.Environment]::GetCommandLineArgs()[0] }
            # The test daemon's socket sits in a directory of its own, 0700; others may pass through it for this test.
            $socketDirectory = Split-Path -Parent $Daemon.Pipe
            & chmod 711 $socketDirectory
            try {
                $output = & setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME=/tmp $pwsh @arguments -NoLogo -NoProfile -NonInteractive -Command $script 2>&1
            } finally {
                & chmod 700 $socketDirectory
                Remove-Item -Recurse -Force -LiteralPath $copy
            }
            $json = @($output | Where-Object { "$_".StartsWith('[') })
            if ($json.Count -eq 0) { Set-ItResult -Skipped -Because "'nobody' cannot run this pwsh: $output"; return }
            $socketCase, $directoryCase = $json[0] | ConvertFrom-Json
            $socketCase.Message | Should -Match "The socket \(srw-rw----, owner root, group root\) admits its owner and the members of its group, and 'nobody' is neither: add 'nobody' to the group 'root'"
            $directoryCase.Id | Should -Be 'DaemonAccessDenied,Connect-GatewayApiKeyService'
            $directoryCase.Message | Should -Match ([regex]::Escape("'nobody' may not enter the directory '$($Daemon.DataDirectory)' (drwx------, owner root, group root)"))
            $directoryCase.Message | Should -Match '--pipe in a directory their group can traverse'
        } else {
            & chmod 000 $Daemon.Pipe
            try { $socketCase = & $probe $Daemon.Pipe } finally { & chmod 660 $Daemon.Pipe }
            $socketCase.Message | Should -Match 'does not admit even its owner'
        }
        $socketCase.Id | Should -Be 'DaemonAccessDenied,Connect-GatewayApiKeyService'
        $socketCase.Category | Should -Be 'PermissionDenied'
        $socketCase.Message | Should -BeLike "Cannot connect to the gateway-apikeys daemon at '$($Daemon.Pipe)': permission denied. *"
        $socketCase.Message | Should -Not -Match 'not running'
        $socketCase.Message | Should -Match '\.$'
    }

    It 'keeps the settings of before when a connect fails, so that a mistyped token does not stay in place' {
        $null = Connect-GatewayApiKeyService -Pipe $Daemon.Pipe -DataDirectory $Daemon.DataDirectory
        { Connect-GatewayApiKeyService -Pipe $Daemon.Pipe -Token (ConvertTo-TestSecureString 'gwt_mistyped') } |
            Should -Throw -ErrorId 'DaemonImpostor,Connect-GatewayApiKeyService'
        (Get-GatewayApiKeyServiceStatus).Role | Should -Be 'admin'
    }

    It 'says which token file it could not read when no token is given' {
        $missing = { Connect-GatewayApiKeyService -Pipe $Daemon.Pipe -DataDirectory '/tmp/gwk-no-such-dir' } |
            Should -Throw -ErrorId 'TokenUnavailable,Connect-GatewayApiKeyService' -PassThru
        $missing.Exception.Message | Should -Match ([regex]::Escape((Join-Path '/tmp/gwk-no-such-dir' 'admin.token')))
        $missing.CategoryInfo.Category | Should -Be 'PermissionDenied'
    }

    AfterAll {
        $null = Connect-GatewayApiKeyService -Pipe $Daemon.Pipe -DataDirectory $Daemon.DataDirectory -TimeoutSec 5
    }
}

Describe 'Connection settings from the environment' {
    BeforeAll {
        $saved = @{ Pipe = $env:GATEWAY_APIKEYS_PIPE; Token = $env:GATEWAY_APIKEYS_TOKEN; Dir = $env:GATEWAY_APIKEYS_DATA_DIR }
    }
    BeforeEach {
        Import-TestedModule
        $env:GATEWAY_APIKEYS_PIPE = $null; $env:GATEWAY_APIKEYS_TOKEN = $null; $env:GATEWAY_APIKEYS_DATA_DIR = $null
    }
    AfterAll {
        $env:GATEWAY_APIKEYS_PIPE = $saved.Pipe; $env:GATEWAY_APIKEYS_TOKEN = $saved.Token; $env:GATEWAY_APIKEYS_DATA_DIR = $saved.Dir
        Import-TestedModule
        $null = Connect-GatewayApiKeyService -Pipe $Daemon.Pipe -DataDirectory $Daemon.DataDirectory
    }

    It 'needs no Connect-: GATEWAY_APIKEYS_PIPE and the admin.token file of GATEWAY_APIKEYS_DATA_DIR' {
        $env:GATEWAY_APIKEYS_PIPE = $Daemon.Pipe
        $env:GATEWAY_APIKEYS_DATA_DIR = $Daemon.DataDirectory
        (Get-GatewayApiKeyServiceStatus).Role | Should -Be 'admin'
    }

    It 'takes the token from GATEWAY_APIKEYS_TOKEN before the token file' {
        $env:GATEWAY_APIKEYS_PIPE = $Daemon.Pipe
        $env:GATEWAY_APIKEYS_DATA_DIR = $Daemon.DataDirectory
        $env:GATEWAY_APIKEYS_TOKEN = $Daemon.GatewayToken
        (Get-GatewayApiKeyServiceStatus).Role | Should -Be 'gateway'
    }

    It 'Disconnect-GatewayApiKeyService forgets what Connect- set, the token first' {
        $env:GATEWAY_APIKEYS_PIPE = $Daemon.Pipe
        $env:GATEWAY_APIKEYS_DATA_DIR = $Daemon.DataDirectory
        (Connect-GatewayApiKeyService -Pipe $Daemon.Pipe -Token (ConvertTo-TestSecureString $Daemon.GatewayToken)).Role | Should -Be 'gateway'
        Disconnect-GatewayApiKeyService | Should -BeNullOrEmpty
        InModuleScope GatewayApiKeys { $script:GatewayConnection } | Should -BeNullOrEmpty
        InModuleScope GatewayApiKeys { $script:GatewaySettings.Token } | Should -BeNullOrEmpty
        (Get-GatewayApiKeyServiceStatus).Role | Should -Be 'admin'
    }

    It 'finds the socket in the data dir when no pipe is given (off Windows)' -Skip:$IsWindows {
        # The default pipe is <data-dir>/gateway-apikeys.sock; this daemon's is elsewhere, so the error names the default.
        $env:GATEWAY_APIKEYS_DATA_DIR = $Daemon.DataDirectory
        $unreachable = { Get-GatewayApiKeyServiceStatus } | Should -Throw -ErrorId 'DaemonUnreachable,Get-GatewayApiKeyServiceStatus' -PassThru
        $unreachable.Exception.Message | Should -Match ([regex]::Escape("$($Daemon.DataDirectory)/gateway-apikeys.sock"))
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
        Get-KeyValue 'Orders connector' | Should -Be $plain
    }

    It 'returns the value as a string with -AsPlainText' {
        $key = New-GatewayApiKey -Name 'Plain text key' -AsPlainText
        $key.Key | Should -BeOfType [string]
        $key.Key | Should -Be (Get-KeyValue 'Plain text key')
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
            'Enabled', 'RotatedAt', 'PreviousValidUntil'
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
        $result = Invoke-TestAuthenticate -Daemon $Daemon -Key (Get-KeyValue 'Mid sorting')
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

    It 'rejects a pattern longer than the schema allows before a round trip' {
        { Get-GatewayApiKey -Name ('x' * 401) } | Should -Throw -ErrorId 'ParameterArgumentValidationError,Get-GatewayApiKey'
    }
}

Describe 'Set-GatewayApiKey' {
    BeforeAll {
        $script:original = New-GatewayApiKey -Name 'Settable key' -Description 'before' -ValidFor 30d -AsPlainText
    }

    It 'changes the description and outputs nothing without -PassThru' {
        Set-GatewayApiKey -Name 'Settable key' -Description 'after' | Should -BeNullOrEmpty
        (Get-GatewayApiKey -Name 'Settable key').Description | Should -Be 'after'
    }

    It 'moves the expiry with -ValidFor and -ExpiresOn, and returns the key with -PassThru' {
        $changed = Set-GatewayApiKey -Name 'Settable key' -ValidFor 90d -PassThru
        $changed.PSObject.TypeNames[0] | Should -Be 'GatewayApiKeys.ApiKey'
        $changed.ExpiresOn | Should -Be ([datetime]'2027-02-25')
        (Set-GatewayApiKey -Name 'Settable key' -ExpiresOn '2027-01-15' -PassThru).ExpiresOn | Should -Be ([datetime]'2027-01-15')
    }

    It 'renames with -NewName and keeps the value' {
        Set-GatewayApiKey -Name 'Settable key' -NewName 'Renamed key'
        Get-KeyValue 'Renamed key' | Should -Be $original.Key
        Set-GatewayApiKey -Name 'Renamed key' -NewName 'Settable key'
    }

    It 'refuses a rename to a taken name with NameTaken' {
        Set-GatewayApiKey -Name 'Settable key' -NewName 'orders connector' -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[-1].FullyQualifiedErrorId | Should -Be 'NameTaken,Set-GatewayApiKey'
        $failed[-1].CategoryInfo.Category | Should -Be 'ResourceExists'
    }

    It 'reports KeyNotFound for a missing key' {
        { Set-GatewayApiKey -Name 'Nobody by this name' -Description 'x' -ErrorAction Stop } | Should -Throw -ErrorId 'KeyNotFound,Set-GatewayApiKey'
    }

    It 'changes nothing with -WhatIf' {
        Set-GatewayApiKey -Name 'Settable key' -Description 'what if' -ValidFor 7d -WhatIf
        $key = Get-GatewayApiKey -Name 'Settable key'
        $key.Description | Should -Be 'after'
        $key.ExpiresOn | Should -Be ([datetime]'2027-01-15')
    }

    It 'says there is nothing to change when no change is given' {
        { Set-GatewayApiKey -Name 'Settable key' -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidParams,Set-GatewayApiKey'
    }

    It 'changes every key piped from Get-GatewayApiKey' {
        Get-GatewayApiKey -Name 'Imported*' | Set-GatewayApiKey -ValidFor 180d
        (Get-GatewayApiKey -Name 'Imported*').ExpiresOn | Should -Be ([datetime]'2027-05-26'), ([datetime]'2027-05-26')
    }

    It 'takes of a piped key only its name: its description and expiry are what it has, not changes' {
        Get-GatewayApiKey -Name 'Imported one' | Set-GatewayApiKey -Description 'changed through the pipe'
        $key = Get-GatewayApiKey -Name 'Imported one'
        $key.Description | Should -Be 'changed through the pipe'
        $key.ExpiresOn | Should -Be ([datetime]'2027-05-26')
        { Get-GatewayApiKey -Name 'Imported one' | Set-GatewayApiKey -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidParams,Set-GatewayApiKey'
    }

    It 'changes keys from a CSV by property name: NewName, Description, ExpiresOn, ValidFor, an empty cell changing nothing' {
        $null = New-GatewayApiKey -Name 'Csv edit one' -Description 'one' -ValidFor 30d
        $null = New-GatewayApiKey -Name 'Csv edit two' -Description 'two' -ValidFor 30d
        $csv = Join-Path $TestDrive 'edits.csv'
        Set-Content -Path $csv -Value @(
            'Name,NewName,Description,ExpiresOn,ValidFor'
            'Csv edit one,Csv edited one,,2027-04-30,'
            'Csv edit two,,New description,,1y'
        )
        Import-Csv -Path $csv | Set-GatewayApiKey
        $one = Get-GatewayApiKey -Name 'Csv edited one'
        $one.Description | Should -Be 'one'
        $one.ExpiresOn | Should -Be ([datetime]'2027-04-30')
        $two = Get-GatewayApiKey -Name 'Csv edit two'
        $two.Description | Should -Be 'New description'
        $two.ExpiresOn | Should -Be ([datetime]'2027-11-27')
    }

    It 'lets an expiry on the command line win over a row''s' {
        [pscustomobject]@{ Name = 'Csv edit two'; ExpiresOn = '2027-01-31' } | Set-GatewayApiKey -ValidFor 60d
        (Get-GatewayApiKey -Name 'Csv edit two').ExpiresOn | Should -Be ([datetime]'2027-01-26')
    }

    It 'binds -Description, -ExpiresOn, -ValidFor and -NewName by property name' {
        foreach ($name in 'Description', 'ExpiresOn', 'ValidFor', 'NewName') {
            $attribute = (Get-Command Set-GatewayApiKey).Parameters[$name].Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] }
            $attribute.ValueFromPipelineByPropertyName | Should -BeTrue -Because $name
        }
    }
}

Describe 'Show-GatewayApiKey' {
    It 'shows name, description, expiry and value' {
        $created = New-GatewayApiKey -Name 'Shown key' -Description 'for the View screen' -ExpiresOn '2027-02-01' -AsPlainText
        $view = Show-GatewayApiKey -Name 'shown KEY'
        $view.PSObject.TypeNames[0] | Should -Be 'GatewayApiKeys.ApiKeyView'
        $view.PSObject.Properties.Name | Should -Be 'Name', 'Description', 'ExpiresOn', 'Key'
        $view.Name | Should -Be 'Shown key'
        $view.Description | Should -Be 'for the View screen'
        $view.ExpiresOn | Should -Be ([datetime]'2027-02-01')
        $view.Key | Should -Be $created.Key
    }

    It 'renders as the View screen, value in clear' {
        $text = Show-GatewayApiKey -Name 'Shown key' | Out-String
        $text | Should -Match 'Name\s+: Shown key'
        $text | Should -Match 'ExpiresOn\s+: 2027-02-01'
        $text | Should -Match ('Key\s+: ' + [regex]::Escape((Get-KeyValue 'Shown key')))
    }

    It 'takes names from the pipeline and reports KeyNotFound for a missing one' {
        $shown = 'Shown key', 'Gone key' | Show-GatewayApiKey -ErrorVariable failed -ErrorAction SilentlyContinue
        @($shown).Count | Should -Be 1
        $failed[-1].FullyQualifiedErrorId | Should -Be 'KeyNotFound,Show-GatewayApiKey'
    }
}

Describe 'Copy-GatewayApiKey' {
    Context 'where there is no clipboard' {
        BeforeAll { $savedDisplay = $env:DISPLAY; $env:DISPLAY = $null }
        AfterAll { $env:DISPLAY = $savedDisplay }

        It 'fails with ClipboardUnavailable and says what to do' -Skip:($IsWindows -or $IsMacOS) {
            $failed = { Copy-GatewayApiKey -Name 'Shown key' } | Should -Throw -ErrorId 'ClipboardUnavailable,Copy-GatewayApiKey' -PassThru
            $failed.CategoryInfo.Category | Should -Be 'ResourceUnavailable'
            $failed.Exception.Message | Should -Match 'xclip'
            $failed.Exception.Message | Should -Match 'Show-GatewayApiKey'
        }

        It 'only says what it would do with -WhatIf, clipboard or not' {
            # The 'What if:' line goes to the host; what matters is that nothing fails for want of a clipboard.
            { Copy-GatewayApiKey -Name 'Shown key' -WhatIf -ErrorAction Stop } | Should -Not -Throw
        }
    }

    Context 'where there is a clipboard' {
        BeforeAll {
            # A stand-in xclip and display make the clipboard look present; Set-Clipboard itself is mocked.
            $savedDisplay = $env:DISPLAY; $savedPath = $env:PATH
            $bin = Join-Path $TestDrive 'bin'
            $null = New-Item -ItemType Directory -Path $bin
            Set-Content -Path (Join-Path $bin 'xclip') -Value '#!/bin/sh'
            if (-not $IsWindows) { & chmod +x (Join-Path $bin 'xclip') }
            $env:DISPLAY = ':99'
            $env:PATH = $bin + [System.IO.Path]::PathSeparator + $env:PATH
            Mock -ModuleName GatewayApiKeys Set-Clipboard { }
            Mock -ModuleName GatewayApiKeys Start-GatewayClipboardClear { }
        }
        AfterAll { $env:DISPLAY = $savedDisplay; $env:PATH = $savedPath }

        It 'puts the value on the clipboard, outputs nothing, and has it cleared after 30 seconds' {
            Copy-GatewayApiKey -Name 'Shown key' | Should -BeNullOrEmpty
            $expected = Get-KeyValue 'Shown key'
            Should -Invoke -ModuleName GatewayApiKeys Set-Clipboard -Times 1 -Exactly -ParameterFilter { $Value -eq $expected }
            Should -Invoke -ModuleName GatewayApiKeys Start-GatewayClipboardClear -Times 1 -Exactly -ParameterFilter { $Seconds -eq 30 -and $Text -eq $expected }
        }

        It 'clears after -ClearAfter seconds, or never with -ClearAfter 0' {
            Copy-GatewayApiKey -Name 'Shown key' -ClearAfter 5
            Should -Invoke -ModuleName GatewayApiKeys Start-GatewayClipboardClear -Times 1 -Exactly -ParameterFilter { $Seconds -eq 5 }
            Copy-GatewayApiKey -Name 'Shown key' -ClearAfter 0
            Should -Invoke -ModuleName GatewayApiKeys Start-GatewayClipboardClear -Times 1 -Exactly
            Should -Invoke -ModuleName GatewayApiKeys Set-Clipboard -Times 2 -Exactly
        }

        It 'copies nothing with -WhatIf' {
            Copy-GatewayApiKey -Name 'Shown key' -WhatIf
            Should -Invoke -ModuleName GatewayApiKeys Set-Clipboard -Times 0 -Exactly
        }

        It 'reports KeyNotFound for a missing key' {
            { Copy-GatewayApiKey -Name 'Gone key' -ErrorAction Stop } | Should -Throw -ErrorId 'KeyNotFound,Copy-GatewayApiKey'
        }
    }

    Context 'the clipboard really cleared, by a process of its own' -Skip:($IsWindows -or $IsMacOS) {
        BeforeAll {
            # An xclip that keeps the clipboard in a file: -in (or a file to read) writes it, -out prints it.
            $savedDisplay = $env:DISPLAY; $savedPath = $env:PATH; $savedStore = $env:GWK_FAKE_CLIPBOARD
            $bin = Join-Path $TestDrive 'real-bin'
            $null = New-Item -ItemType Directory -Path $bin
            $env:GWK_FAKE_CLIPBOARD = Join-Path $TestDrive 'clipboard.txt'
            Set-Content -Path (Join-Path $bin 'xclip') -Value @(
                '#!/bin/sh'
                'for a in "$@"; do case "$a" in -out|-o) cat "$GWK_FAKE_CLIPBOARD" 2>/dev/null; exit 0;; esac; done'
                'for a in "$@"; do case "$a" in -*|clipboard) ;; *) cat "$a" > "$GWK_FAKE_CLIPBOARD"; exit 0;; esac; done'
                'cat > "$GWK_FAKE_CLIPBOARD"'
            )
            & chmod +x (Join-Path $bin 'xclip')
            $env:DISPLAY = ':99'
            $env:PATH = $bin + [System.IO.Path]::PathSeparator + $env:PATH
        }
        AfterAll { $env:DISPLAY = $savedDisplay; $env:PATH = $savedPath; $env:GWK_FAKE_CLIPBOARD = $savedStore }

        It 'takes the value off the clipboard after -ClearAfter seconds, even with this session gone on' {
            Copy-GatewayApiKey -Name 'Shown key' -ClearAfter 1
            Get-Content -Raw -Path $env:GWK_FAKE_CLIPBOARD | Should -Be (Get-KeyValue 'Shown key')
            $deadline = [datetime]::UtcNow.AddSeconds(30)
            while ((Get-Content -Raw -Path $env:GWK_FAKE_CLIPBOARD) -and [datetime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 200 }
            Get-Content -Raw -Path $env:GWK_FAKE_CLIPBOARD | Should -BeNullOrEmpty
        }
    }
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

Describe 'Remove-GatewayApiKey' {
    BeforeEach {
        foreach ($name in 'Doomed one', 'Doomed two') {
            if (-not (Get-GatewayApiKey -Name $name -ErrorAction Ignore)) { $null = New-GatewayApiKey -Name $name }
        }
    }

    It 'is ConfirmImpact High' {
        (Get-Command Remove-GatewayApiKey).ScriptBlock.Attributes.Where({ $_ -is [System.Management.Automation.CmdletBindingAttribute] }).ConfirmImpact |
            Should -Be 'High'
    }

    It 'deletes with -Force: the key is gone and its value no longer authenticates' {
        $value = Get-KeyValue 'Doomed one'
        Remove-GatewayApiKey -Name 'Doomed one' -Force | Should -BeNullOrEmpty
        { Get-GatewayApiKey -Name 'Doomed one' -ErrorAction Stop } | Should -Throw -ErrorId 'KeyNotFound,Get-GatewayApiKey'
        Test-GatewayApiKey -Key $value | Should -BeFalse
    }

    It 'deletes nothing with -WhatIf' {
        Remove-GatewayApiKey -Name 'Doomed one' -WhatIf
        (Get-GatewayApiKey -Name 'Doomed one').Name | Should -Be 'Doomed one'
    }

    It 'takes names by value and by property name from the pipeline' {
        'Doomed one' | Remove-GatewayApiKey -Confirm:$false
        Get-GatewayApiKey -Name 'Doomed two' | Remove-GatewayApiKey -Confirm:$false
        Get-GatewayApiKey -Name 'Doomed*' | Should -BeNullOrEmpty
    }

    It 'reports KeyNotFound for a missing key and goes on with the next' {
        Remove-GatewayApiKey -Name 'Never was', 'Doomed one' -Force -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[-1].FullyQualifiedErrorId | Should -Be 'KeyNotFound,Remove-GatewayApiKey'
        Get-GatewayApiKey -Name 'Doomed one' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
}

Describe 'Reset-GatewayApiKey' {
    BeforeAll {
        # The daemon's clock runs from 2026-11-27T12:00:00Z; PreviousValidUntil is as of the reset.
        function Get-GraceHours([object] $Key) { [math]::Round(($Key.PreviousValidUntil - $Key.RotatedAt).TotalHours, 3) }
    }

    It 'is ConfirmImpact High, with -WhatIf and -Confirm' {
        (Get-Command Reset-GatewayApiKey).ScriptBlock.Attributes.Where({ $_ -is [System.Management.Automation.CmdletBindingAttribute] }).ConfirmImpact |
            Should -Be 'High'
    }

    It 'gives a new value at once; the old one works until PreviousValidUntil (24 hours by default), answering PreviousValue' {
        $old = (New-GatewayApiKey -Name 'Rotated key' -Description 'kept' -ValidFor 90d -AsPlainText).Key
        $new = Reset-GatewayApiKey -Name 'Rotated key' -Force
        $new.PSObject.TypeNames[0] | Should -Be 'GatewayApiKeys.RotatedApiKey'
        $new.PSObject.TypeNames | Should -Contain 'GatewayApiKeys.ApiKey'
        $new.Key | Should -BeOfType [System.Security.SecureString]
        $plain = [System.Net.NetworkCredential]::new('', $new.Key).Password
        $plain | Should -Not -Be $old
        $new.Hint | Should -Be $plain.Substring(0, 8)
        $new.Description | Should -Be 'kept'
        $new.ExpiresOn | Should -Be ([datetime]'2027-02-25')
        $new.RotatedAt | Should -BeOfType [datetime]
        Get-GraceHours $new | Should -Be 24
        Test-GatewayApiKey -Key $plain | Should -BeTrue
        $detail = Test-GatewayApiKey -Key $old -Detailed
        $detail.Authenticated | Should -BeTrue
        $detail.PreviousValue | Should -BeTrue
        (Test-GatewayApiKey -Key $plain -Detailed).PreviousValue | Should -BeFalse
        (Invoke-TestAuthenticate -Daemon $Daemon -Key $old).previousValue | Should -BeTrue
        Get-KeyValue 'Rotated key' | Should -Be $plain
        (Get-GatewayApiKey -Name 'Rotated key').PreviousValidUntil | Should -Be $new.PreviousValidUntil
    }

    It 'takes -GracePeriod as <Why>' -TestCases @(
        @{ Why = 'a [TimeSpan]'; Grace = (New-TimeSpan -Hours 48); Hours = 48 }
        @{ Why = 'a TimeSpan text'; Grace = '2.00:00:00'; Hours = 48 }
        @{ Why = 'a number of hours'; Grace = 6; Hours = 6 }
        @{ Why = 'the CLI''s text in hours'; Grace = '12h'; Hours = 12 }
        @{ Why = 'the CLI''s text in days'; Grace = '7d'; Hours = 168 }
    ) {
        $null = New-GatewayApiKey -Name "Grace $Why"
        Get-GraceHours (Reset-GatewayApiKey -Name "Grace $Why" -GracePeriod $Grace -AsPlainText -Confirm:$false) | Should -Be $Hours
    }

    It 'ends the old value at once with -GracePeriod 0; a second reset ends the first grace' {
        $first = (New-GatewayApiKey -Name 'Twice rotated' -AsPlainText).Key
        $second = (Reset-GatewayApiKey -Name 'Twice rotated' -AsPlainText -Force).Key
        $third = (Reset-GatewayApiKey -Name 'Twice rotated' -AsPlainText -Force).Key
        (Test-GatewayApiKey -Key $first -Detailed).Reason | Should -Be 'Unknown'
        (Test-GatewayApiKey -Key $second -Detailed).PreviousValue | Should -BeTrue
        $fourth = Reset-GatewayApiKey -Name 'Twice rotated' -GracePeriod 0 -AsPlainText -Force
        (Test-GatewayApiKey -Key $third -Detailed).Reason | Should -Be 'Unknown'
        Test-GatewayApiKey -Key $fourth.Key | Should -BeTrue
        $fourth.PreviousValidUntil | Should -Be $fourth.RotatedAt
        (Get-GatewayApiKey -Name 'Twice rotated').PreviousValidUntil | Should -BeNullOrEmpty
    }

    It 'refuses <Why> with GraceInvalid, before anything is sent' -TestCases @(
        @{ Why = 'a fraction of an hour'; Grace = (New-TimeSpan -Minutes 90) }
        @{ Why = 'more than a week'; Grace = '8d' }
        @{ Why = 'a negative grace'; Grace = (New-TimeSpan -Hours -1) }
    ) {
        $before = Get-KeyValue 'Rotated key'
        $failed = { Reset-GatewayApiKey -Name 'Rotated key' -GracePeriod $Grace -Force } | Should -Throw -ErrorId 'GraceInvalid,Reset-GatewayApiKey' -PassThru
        $failed.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $failed.Exception.Message | Should -Match 'whole number of hours from 0 to 168'
        Get-KeyValue 'Rotated key' | Should -Be $before
    }

    It 'refuses a disabled key with KeyDisabled (InvalidOperation) and goes on with the next' {
        $null = New-GatewayApiKey -Name 'Disabled for reset'
        Disable-GatewayApiKey -Name 'Disabled for reset' -Force
        $made = 'Disabled for reset', 'Rotated key' | Reset-GatewayApiKey -Force -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[-1].FullyQualifiedErrorId | Should -Be 'KeyDisabled,Reset-GatewayApiKey'
        $failed[-1].CategoryInfo.Category | Should -Be 'InvalidOperation'
        @($made).Name | Should -Be 'Rotated key'
    }

    It 'changes nothing with -WhatIf, and says what uses the key' {
        $value = Get-KeyValue 'Rotated key'
        $null = Invoke-TestAuthenticate -Daemon $Daemon -Key $value -ConnectorId 'nac-orders'
        $said = (Get-TestHostOutput { Reset-GatewayApiKey -Name 'Rotated key' -GracePeriod 0 -WhatIf }) -join ''
        $said | Should -Match 'What if: .*Give API key a new value \(the old one stops working at once; used by 2 connectors, last \d+ (minutes?|hours?|days?) ago\)'
        Get-KeyValue 'Rotated key' | Should -Be $value
    }
}

Describe 'Disable-GatewayApiKey and Enable-GatewayApiKey' {
    BeforeAll {
        $script:switched = New-GatewayApiKey -Name 'Switched key' -ValidFor 30d -AsPlainText
    }

    It 'Disable- is ConfirmImpact High, Enable- Medium' {
        $impact = { param($name) (Get-Command $name).ScriptBlock.Attributes.Where({ $_ -is [System.Management.Automation.CmdletBindingAttribute] }).ConfirmImpact }
        & $impact 'Disable-GatewayApiKey' | Should -Be 'High'
        & $impact 'Enable-GatewayApiKey' | Should -Be 'Medium'
    }

    It 'disables: the key fails authentication with Disabled at once, Status Disabled in gray, value and expiry kept' {
        Disable-GatewayApiKey -Name 'Switched key' -Reason 'Pester' -Force | Should -BeNullOrEmpty
        (Invoke-TestAuthenticate -Daemon $Daemon -Key $switched.Key).reason | Should -Be 'Disabled'
        (Test-GatewayApiKey -Key $switched.Key -Detailed).Reason | Should -Be 'Disabled'
        $key = Get-GatewayApiKey -Name 'Switched key'
        $key.Status | Should -Be 'Disabled'
        $key.Color | Should -Be 'Gray'
        $key.Enabled | Should -BeFalse
        $key.ExpiresOn | Should -Be ([datetime]'2026-12-27')
        $key.DaysLeft | Should -Be 30
        Get-KeyValue 'Switched key' | Should -Be $switched.Key
        (Get-GatewayApiKey -Status Disabled).Name | Should -Contain 'Switched key'
        (Get-GatewayApiKeyServiceStatus).Disabled | Should -BeGreaterThan 0
    }

    It 'enables again, with -PassThru' {
        $key = Enable-GatewayApiKey -Name 'switched KEY' -PassThru
        $key.PSObject.TypeNames[0] | Should -Be 'GatewayApiKeys.ApiKey'
        $key.Status | Should -Be 'Active'
        $key.Enabled | Should -BeTrue
        Test-GatewayApiKey -Key $switched.Key | Should -BeTrue
    }

    It 'takes keys from the pipeline by property name' {
        $null = New-GatewayApiKey -Name 'Piped switch one'
        $null = New-GatewayApiKey -Name 'Piped switch two'
        $off = Get-GatewayApiKey -Name 'Piped switch*' | Disable-GatewayApiKey -Force -PassThru
        $off.Status | Should -Be 'Disabled', 'Disabled'
        $on = Get-GatewayApiKey -Name 'Piped switch*' -Status Disabled | Enable-GatewayApiKey -PassThru
        $on.Enabled | Should -Be $true, $true
    }

    It 'changes nothing with -WhatIf; the confirmation says what uses the key, or that it was never used' {
        $null = Invoke-TestAuthenticate -Daemon $Daemon -Key $switched.Key
        $said = (Get-TestHostOutput { Disable-GatewayApiKey -Name 'Switched key' -WhatIf }) -join ''
        $said | Should -Match 'Disable API key \(connectors using it fail at once; used by 1 connector, last \d+ (minutes?|hours?|days?) ago\)'
        (Get-GatewayApiKey -Name 'Switched key').Enabled | Should -BeTrue
        $null = New-GatewayApiKey -Name 'Never used key'
        $said = (Get-TestHostOutput { Disable-GatewayApiKey -Name 'Never used key' -WhatIf }) -join ''
        $said | Should -Match 'Disable API key \(connectors using it fail at once; never used\)'
    }

    It 'reports KeyNotFound for a missing key and goes on with the next' {
        Disable-GatewayApiKey -Name 'No such switch', 'Never used key' -Force -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[-1].FullyQualifiedErrorId | Should -Be 'KeyNotFound,Disable-GatewayApiKey'
        (Get-GatewayApiKey -Name 'Never used key').Status | Should -Be 'Disabled'
        { Enable-GatewayApiKey -Name 'No such switch' -ErrorAction Stop } | Should -Throw -ErrorId 'KeyNotFound,Enable-GatewayApiKey'
    }
}

Describe 'Get-GatewayApiKeyUsage' {
    BeforeAll {
        $script:used = New-GatewayApiKey -Name 'Usage key' -AsPlainText
        foreach ($connector in 'nac-orders', 'nac-orders', 'nac-billing', $null) { $null = Invoke-TestAuthenticate -Daemon $Daemon -Key $used.Key -ConnectorId $connector }
        $null = Test-GatewayApiKey -Key $used.Key
    }

    It 'lists each connector with its first and last use and count, then the uses without a connectorId' {
        $usage = @(Get-GatewayApiKeyUsage -Name 'usage KEY')
        $usage.Count | Should -Be 3
        $usage[0].PSObject.TypeNames[0] | Should -Be 'GatewayApiKeys.ConnectorUsage'
        $usage.Name | Should -Be 'Usage key', 'Usage key', 'Usage key'
        ($usage | Where-Object ConnectorId -EQ 'nac-orders').Count | Should -Be 2
        ($usage | Where-Object ConnectorId -EQ 'nac-billing').Count | Should -Be 1
        $usage[0].LastUsed | Should -BeOfType [datetime]
        $usage[0].LastUsed | Should -BeGreaterOrEqual $usage[0].FirstUsed
        $usage[2].ConnectorId | Should -BeNullOrEmpty
        $usage[2].Count | Should -Be 1
        $usage[2].LastUsed | Should -BeNullOrEmpty
    }

    It 'takes keys from Get-GatewayApiKey; a key never used gives nothing' {
        $null = New-GatewayApiKey -Name 'Usage unused'
        $usage = Get-GatewayApiKey -Name 'Usage*' | Get-GatewayApiKeyUsage
        @($usage | Where-Object Name -EQ 'Usage unused').Count | Should -Be 0
        @($usage | Where-Object Name -EQ 'Usage key').Count | Should -Be 3
    }

    It 'shows as a table, (none) for the uses without a connectorId' {
        $lines = (Get-GatewayApiKeyUsage -Name 'Usage key' | Out-String -Width 120) -split "`r?`n" | Where-Object { $_ -match '\S' }
        $lines[0] | Should -Match '^Name\s+ConnectorId\s+FirstUsed\s+LastUsed\s+Count$'
        $lines[-1] | Should -Match '^Usage key\s+\(none\)\s+1$'
    }

    It 'reports KeyNotFound for a missing key' {
        { Get-GatewayApiKeyUsage -Name 'No usage here' -ErrorAction Stop } | Should -Throw -ErrorId 'KeyNotFound,Get-GatewayApiKeyUsage'
    }

    It 'Remove-GatewayApiKey -WhatIf says what uses the key' {
        $said = (Get-TestHostOutput { Remove-GatewayApiKey -Name 'Usage key' -WhatIf }) -join ''
        $said | Should -Match 'Delete API key \(irreversible; used by 2 connectors and once without a connectorId, last \d+ (minutes?|hours?|days?) ago\)'
        (Get-GatewayApiKey -Name 'Usage key').Name | Should -Be 'Usage key'
    }
}

Describe 'The caller''s preference variables' {
    BeforeAll {
        # The run sets $ErrorActionPreference = 'Stop' globally; a module would see that one. Here the
        # global one is PowerShell's default, and only the caller's own function says Stop.
        $savedPreference = $global:ErrorActionPreference
        $global:ErrorActionPreference = 'Continue'
        $null = New-GatewayApiKey -Name 'Preference key'

        # A script's function that wants any error to stop it, as the try/catch of a script does.
        function Invoke-StrictCaller([string] $Command, [hashtable] $Splat) {
            $ErrorActionPreference = 'Stop'
            try {
                & $Command @Splat 2>$null
                'continued'
            } catch {
                $_
            }
        }
    }
    AfterAll { $global:ErrorActionPreference = $savedPreference }

    It '$ErrorActionPreference = ''Stop'' in the caller''s function stops <Command> at <Id>' -TestCases @(
        @{ Command = 'Get-GatewayApiKey'; Splat = @{ Name = 'Nope key' }; Id = 'KeyNotFound' }
        @{ Command = 'Set-GatewayApiKey'; Splat = @{ Name = 'Nope key'; Description = 'x' }; Id = 'KeyNotFound' }
        @{ Command = 'Remove-GatewayApiKey'; Splat = @{ Name = 'Nope key'; Force = $true }; Id = 'KeyNotFound' }
        @{ Command = 'Show-GatewayApiKey'; Splat = @{ Name = 'Nope key' }; Id = 'KeyNotFound' }
        @{ Command = 'New-GatewayApiKey'; Splat = @{ Name = 'PREFERENCE KEY' }; Id = 'NameTaken' }
        @{ Command = 'Test-GatewayApiKey'; Splat = @{ Key = 42 }; Id = 'InvalidParams' }
        @{ Command = 'Connect-GatewayApiKeyService'; Splat = @{ Pipe = '/tmp/gwk-nobody-here.sock' }; Id = 'DaemonUnreachable' }
    ) {
        try {
            $outcome = Invoke-StrictCaller $Command $Splat
        } finally {
            if ($Command -eq 'Connect-GatewayApiKeyService') { $null = Connect-GatewayApiKeyService -Pipe $Daemon.Pipe -DataDirectory $Daemon.DataDirectory }
        }
        $outcome | Should -BeOfType [System.Management.Automation.ErrorRecord]
        $outcome.FullyQualifiedErrorId | Should -Be "$Id,$Command"
    }

    It 'without Stop in the caller, the error is reported and the script goes on, as PowerShell does' {
        $outcome = & { try { Get-GatewayApiKey -Name 'Nope key' 2>$null; 'continued' } catch { $_ } }
        $outcome | Should -Be 'continued'
    }

    It 'the caller''s $VerbosePreference shows the module''s verbose messages' {
        $messages = & { $VerbosePreference = 'Continue'; Get-GatewayApiKey -Name 'Preference key' 4>&1 } |
            Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        $messages.Message | Should -Contain 'gateway-apikeys: apiKey.get'
    }

    It 'the caller''s $WhatIfPreference makes New- and Remove- only say what they would do' {
        & { $WhatIfPreference = $true; $null = New-GatewayApiKey -Name 'What if by preference'; Remove-GatewayApiKey -Name 'Preference key' }
        Get-GatewayApiKey -Name 'What if by preference' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        (Get-GatewayApiKey -Name 'Preference key').Name | Should -Be 'Preference key'
    }

    It 'a common parameter on the command wins over the caller''s preference' {
        $outcome = & { $ErrorActionPreference = 'Stop'; try { Get-GatewayApiKey -Name 'Nope key' -ErrorAction SilentlyContinue; 'continued' } catch { $_ } }
        $outcome | Should -Be 'continued'
    }

    AfterAll { $null = Connect-GatewayApiKeyService -Pipe $Daemon.Pipe -DataDirectory $Daemon.DataDirectory }
}

Describe 'Get-GatewayApiKeyServiceStatus' {
    It 'shows as a list, Today as yyyy-MM-dd, as does Connect-' {
        $text = Get-GatewayApiKeyServiceStatus | Out-String -Width 120
        $text | Should -Match '(?m)^Today\s+: 2026-11-27\r?$'
        $text | Should -Match '(?m)^Uptime\s+: 0\.00:\d\d:\d\d\r?$'
        $text | Should -Match '(?m)^Expired\s+: \d+\r?$'
        $text = Connect-GatewayApiKeyService -Pipe $Daemon.Pipe -DataDirectory $Daemon.DataDirectory | Out-String -Width 120
        $text | Should -Match '(?m)^Today\s+: 2026-11-27\r?$'
        $text | Should -Match '(?m)^Role\s+: admin\r?$'
        $text | Should -Not -Match '00:00:00'
    }

    It 'counts the keys per status, as the daemon does' {
        $status = Get-GatewayApiKeyServiceStatus
        $status.PSObject.TypeNames[0] | Should -Be 'GatewayApiKeys.ServiceStatus'
        $status.ServerVersion | Should -Be '0.1.0'
        $status.Role | Should -Be 'admin'
        $status.Uptime | Should -BeOfType [timespan]
        $status.Today | Should -Be ([datetime]'2026-11-27')
        $all = Get-GatewayApiKey
        $status.Keys | Should -Be @($all).Count
        foreach ($name in (Get-GeneratedRules).Statuses) {
            $status.$name | Should -Be @($all | Where-Object Status -EQ $name).Count
        }
    }
}

Describe 'Tab completion of key names' {
    It 'offers the daemon''s names for -Name, quoted when they hold a space' {
        $line = 'Show-GatewayApiKey -Name Orders'
        $found = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches
        $found.CompletionText | Should -Be "'Orders connector'"
        $found.ListItemText | Should -Be 'Orders connector'
        $line = 'Remove-GatewayApiKey -Name plain'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be "'Plain text key'"
    }

    It 'fails silently when the daemon refuses the token: nothing offered, nothing added to $Error' {
        $saved = @{ Pipe = $env:GATEWAY_APIKEYS_PIPE; Token = $env:GATEWAY_APIKEYS_TOKEN }
        try {
            Import-TestedModule
            $env:GATEWAY_APIKEYS_PIPE = $Daemon.Pipe
            $env:GATEWAY_APIKEYS_TOKEN = 'gwt_not_the_token'
            $Error.Clear()
            Write-Error 'an error of the session before' -ErrorAction SilentlyContinue
            $line = 'Show-GatewayApiKey -Name Orders'
            foreach ($press in 1, 2) { (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches | Should -BeNullOrEmpty }
            $Error.Count | Should -Be 1
            "$($Error[0])" | Should -Be 'an error of the session before'
        } finally {
            $env:GATEWAY_APIKEYS_PIPE = $saved.Pipe
            $env:GATEWAY_APIKEYS_TOKEN = $saved.Token
            Import-TestedModule
            $null = Connect-GatewayApiKeyService -Pipe $Daemon.Pipe -DataDirectory $Daemon.DataDirectory
        }
    }

    It 'offers the -ValidFor presets' {
        $line = 'New-GatewayApiKey -Name x -ValidFor 1'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be '180d', '1y'
    }
}

Describe 'A daemon that restarts, stops, or lets keys expire' {
    It 'reconnects transparently after a restart, and then sees time move on: Get -Status Expired | Remove' {
        $before = Get-KeyValue 'alpha sorting'
        Stop-TestDaemon $Daemon -Keep
        # The same store, ten days later: 'alpha sorting' (2026-12-01) has expired.
        $script:Daemon = Start-TestDaemon -Now '2026-12-07T12:00:00Z' -Paths $Daemon.Paths
        $expired = Get-GatewayApiKey -Status Expired
        $expired.Name | Should -Contain 'alpha sorting'
        $expired.Name | Should -Not -Contain 'Orders connector'
        (Test-GatewayApiKey -Key $before -Detailed).Reason | Should -Be 'Expired'
        Get-GatewayApiKey -Status Expired | Remove-GatewayApiKey -Confirm:$false
        Get-GatewayApiKey -Status Expired | Should -BeNullOrEmpty
        (Get-GatewayApiKey -Name 'Orders connector').Status | Should -Be 'Active'
    }

    It 're-activates an expired key when its expiry moves' {
        $null = New-GatewayApiKey -Name 'Lapsing key' -ValidFor P2D
        Stop-TestDaemon $Daemon -Keep
        $script:Daemon = Start-TestDaemon -Now '2026-12-20T12:00:00Z' -Paths $Daemon.Paths
        (Get-GatewayApiKey -Name 'Lapsing key').Status | Should -Be 'Expired'
        (Set-GatewayApiKey -Name 'Lapsing key' -ValidFor 30d -PassThru).Status | Should -Be 'Active'
    }

    It 'says clearly that the daemon is not running, and completion then offers nothing, silently' {
        Stop-TestDaemon $Daemon -Keep
        try {
            $unreachable = { Get-GatewayApiKey } | Should -Throw -ErrorId 'DaemonUnreachable,Get-GatewayApiKey' -PassThru
            $unreachable.CategoryInfo.Category | Should -Be 'ConnectionError'
            $unreachable.Exception.Message | Should -Match 'the daemon is not running'
            $line = 'Show-GatewayApiKey -Name Orders'
            $Error.Clear()
            foreach ($press in 1, 2) { (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches | Should -BeNullOrEmpty }
            $Error.Count | Should -Be 0
        } finally {
            $script:Daemon = Start-TestDaemon -Now '2026-12-20T12:00:00Z' -Paths $Daemon.Paths
        }
        (Get-GatewayApiKey -Name 'Orders connector').Name | Should -Be 'Orders connector'
    }
}

Describe 'The audit trail: Get-GatewayApiKeyAuditLog and Test-GatewayApiKeyAuditLog' {
    BeforeAll {
        $null = New-GatewayApiKey -Name 'Audited by Pester' -Description 'for the trail'
        $null = Show-GatewayApiKey -Name 'Audited by Pester'
    }

    It 'lists a key''s entries, oldest first, typed for sorting and filtering' {
        $entries = @(Get-GatewayApiKeyAuditLog -KeyName 'AUDITED BY PESTER')
        $entries.Event | Should -Be 'apiKey.created', 'apiKey.revealed'
        $entries[0].PSObject.TypeNames[0] | Should -Be 'GatewayApiKeys.AuditEntry'
        $entries[0].At | Should -BeOfType [datetime]
        $entries[0].Role | Should -Be 'admin'
        $entries[1].Seq | Should -BeGreaterThan $entries[0].Seq
        ($entries | Out-String) | Should -Match 'apiKey\.revealed\s+admin\s+Audited by Pester'
    }

    It 'filters by event, time and count, and takes key names from the pipeline' {
        (Get-GatewayApiKeyAuditLog -Event apiKey.revealed -KeyName 'Audited by Pester').Count | Should -Be 1
        @(Get-GatewayApiKeyAuditLog -Since (Get-Date).AddYears(5)) | Should -HaveCount 0
        @(Get-GatewayApiKeyAuditLog -Last 1).Event | Should -Be 'apiKey.revealed'
        (Get-GatewayApiKey -Name 'Audited by Pester' | Get-GatewayApiKeyAuditLog).Event | Should -Be 'apiKey.created', 'apiKey.revealed'
        { Get-GatewayApiKeyAuditLog -Event 'apiKey.stolen' } | Should -Throw -ErrorId 'ParameterArgumentValidationError,Get-GatewayApiKeyAuditLog'
    }

    It 'says the trail is intact' {
        Test-GatewayApiKeyAuditLog | Should -BeTrue
        $check = Test-GatewayApiKeyAuditLog -Detailed
        $check.Intact | Should -BeTrue
        $check.Entries | Should -BeGreaterThan 1
    }
}

Describe 'Stop-GatewayApiKeyService stops the daemon cleanly' {
    It 'asks daemon.shutdown (the clean stop Windows has no signal for); the daemon exits 0 and the next call finds it gone' {
        $own = Start-TestDaemon
        try {
            $null = Connect-GatewayApiKeyService -Pipe $own.Pipe -DataDirectory $own.DataDirectory
            $null = New-GatewayApiKey -Name 'Kept across the stop'
            Stop-GatewayApiKeyService -Force
            $own.Process.WaitForExit(15000) | Should -BeTrue
            $own.Process.ExitCode | Should -Be 0
            { Get-GatewayApiKey } | Should -Throw -ErrorId 'DaemonUnreachable,Get-GatewayApiKey'
            $again = Start-TestDaemon -Paths $own.Paths
            (Get-GatewayApiKey -Name 'Kept across the stop').Name | Should -Be 'Kept across the stop'
            Stop-TestDaemon $again -Keep
        } finally {
            Stop-TestDaemon $own
            $null = Connect-GatewayApiKeyService -Pipe $Daemon.Pipe -DataDirectory $Daemon.DataDirectory
        }
    }
}
