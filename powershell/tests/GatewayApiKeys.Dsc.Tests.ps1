# The class-based DSC resource GatewayApiKey, its Get/Test/Set called as the DSC engine calls them,
# against a real daemon whose clock starts at 2026-11-27T12:00:00Z (UTC).

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestDaemon.psm1') -Force
    Import-TestedModule
    $script:Daemon = Start-TestDaemon
    $null = Connect-GatewayApiKeyService -Pipe $Daemon.Pipe -DataDirectory $Daemon.DataDirectory

    # An instance of the resource with these properties, as the engine makes it from a configuration.
    function New-Resource([hashtable] $Property) {
        InModuleScope GatewayApiKeys -Parameters @{ Property = $Property } {
            param($Property)
            $resource = [GatewayApiKey]::new()
            foreach ($name in $Property.Keys) { $resource.$name = $Property[$name] }
            $resource
        }
    }
    function Get-KeyValue([string] $Name) { (Show-GatewayApiKey -Name $Name).Key }
}

AfterAll {
    Remove-Module GatewayApiKeys -ErrorAction Ignore
    Stop-TestDaemon $Daemon
}

Describe 'The GatewayApiKey DSC resource' {
    It 'is a class-based DSC resource keyed by Name' {
        $type = InModuleScope GatewayApiKeys { [GatewayApiKey] }
        $type.GetCustomAttributes([System.Management.Automation.DscResourceAttribute], $false) | Should -Not -BeNullOrEmpty
        $key = $type.GetProperty('Name').GetCustomAttributes([System.Management.Automation.DscPropertyAttribute], $false)
        $key[0].Key | Should -BeTrue
        foreach ($name in 'Ensure', 'Description', 'ValidForDays', 'ExpiresOn', 'RenewWithinDays', 'Enabled', 'Pipe', 'TokenPath', 'Reasons') {
            $type.GetProperty($name).GetCustomAttributes([System.Management.Automation.DscPropertyAttribute], $false) | Should -Not -BeNullOrEmpty -Because $name
        }
    }
}

Describe 'Pipe and TokenPath (the LCM runs as SYSTEM, without the admin''s environment)' {
    It 'reach the daemon through the resource''s own Pipe and TokenPath, whatever the session''s settings, and give those back' {
        InModuleScope GatewayApiKeys {
            Close-GatewayConnection
            $script:GatewaySettings.Pipe = '/tmp/gwk-not-the-daemon.sock'
            $script:GatewaySettings.DataDirectory = '/tmp/gwk-not-the-data-dir'
        }
        try {
            $resource = New-Resource @{ Name = 'Dsc elsewhere'; ValidForDays = 30; Pipe = $Daemon.Pipe; TokenPath = (Join-Path $Daemon.DataDirectory 'admin.token') }
            $resource.Test() | Should -BeFalse
            $resource.Set()
            $resource.Test() | Should -BeTrue
            $state = $resource.Get()
            $state.Ensure | Should -Be 'Present'
            $state.Pipe | Should -Be $Daemon.Pipe
            InModuleScope GatewayApiKeys { $script:GatewaySettings.Pipe } | Should -Be '/tmp/gwk-not-the-daemon.sock'
            InModuleScope GatewayApiKeys { $script:GatewaySettings.TokenFile } | Should -BeNullOrEmpty
            # Without them the resource uses the session's settings, which lead nowhere here.
            { (New-Resource @{ Name = 'Dsc elsewhere' }).Test() } | Should -Throw -ErrorId 'DaemonUnreachable'
        } finally {
            $null = Connect-GatewayApiKeyService -Pipe $Daemon.Pipe -DataDirectory $Daemon.DataDirectory
        }
        (Get-GatewayApiKey -Name 'Dsc elsewhere').ExpiresOn | Should -Be ([datetime]'2026-12-27')
    }

    It 'says which token file it cannot read' {
        $failed = { (New-Resource @{ Name = 'Dsc elsewhere'; Pipe = $Daemon.Pipe; TokenPath = '/tmp/gwk-no-such.token' }).Test() } |
            Should -Throw -ErrorId 'TokenUnavailable' -PassThru
        $failed.Exception.Message | Should -Match ([regex]::Escape("'/tmp/gwk-no-such.token'"))
    }
}

Describe 'Reasons (for Azure Machine Configuration)' {
    It 'names what is not as configured: <Why>' -TestCases @(
        @{ Why = 'a missing key'; Property = @{ Name = 'Dsc reasons missing' }; Code = 'Ensure'; Phrase = "The key 'Dsc reasons missing' does not exist; it should." }
        @{ Why = 'a key that should be absent'; Property = @{ Name = 'Dsc reasons'; Ensure = 'Absent' }; Code = 'Ensure'; Phrase = "The key 'Dsc reasons' exists; it should not." }
        @{ Why = 'another description'; Property = @{ Name = 'Dsc reasons'; Description = 'wanted' }; Code = 'Description'; Phrase = "The key 'Dsc reasons' has the description 'actual'; it should be 'wanted'." }
        @{ Why = 'another expiry'; Property = @{ Name = 'Dsc reasons'; ExpiresOn = [datetime]'2027-01-31' }; Code = 'ExpiresOn'; Phrase = "The key 'Dsc reasons' expires on 2026-12-07; it should expire on 2027-01-31." }
        @{ Why = 'a renewal due'; Property = @{ Name = 'Dsc reasons'; ValidForDays = 30; RenewWithinDays = 14 }; Code = 'RenewWithinDays'; Phrase = "The key 'Dsc reasons' expires on 2026-12-07, 10 days from today, within RenewWithinDays (14); it should be renewed (P30D from today)." }
        @{ Why = 'an enabled key that should be disabled'; Property = @{ Name = 'Dsc reasons'; Enabled = $false }; Code = 'Enabled'; Phrase = "The key 'Dsc reasons' is enabled; it should be disabled." }
    ) {
        if (-not (Get-GatewayApiKey -Name 'Dsc reasons' -ErrorAction Ignore)) { $null = New-GatewayApiKey -Name 'Dsc reasons' -Description 'actual' -ValidFor 10d }
        $reasons = @((New-Resource $Property).Get().Reasons)
        $reasons.Count | Should -Be 1
        $reasons[0].Code | Should -Be "GatewayApiKey:GatewayApiKey:$Code"
        $reasons[0].Phrase | Should -Be $Phrase
    }

    It 'is empty when the key is as configured' {
        @((New-Resource @{ Name = 'Dsc reasons'; Description = 'actual'; ValidForDays = 30; RenewWithinDays = 7 }).Get().Reasons).Count | Should -Be 0
        @((New-Resource @{ Name = 'Dsc reasons absent'; Ensure = 'Absent' }).Get().Reasons).Count | Should -Be 0
    }

    It 'is a class property whose items have Code and Phrase, as Machine Configuration expects' {
        $type = InModuleScope GatewayApiKeys { [GatewayApiKey] }
        $property = $type.GetProperty('Reasons')
        $property.GetCustomAttributes([System.Management.Automation.DscPropertyAttribute], $false)[0].NotConfigurable | Should -BeTrue
        $property.PropertyType.GetElementType().GetProperties().Name | Should -Be 'Code', 'Phrase'
    }
}

Describe 'Ensure = Present' {
    It 'creates a missing key with its description and validity, after which Test is true' {
        $resource = New-Resource @{ Name = 'Dsc orders'; Description = 'Provisioned by DSC'; ValidForDays = 30 }
        $resource.Get().Ensure | Should -Be 'Absent'
        $resource.Test() | Should -BeFalse
        $resource.Set()
        $resource.Test() | Should -BeTrue
        $key = Get-GatewayApiKey -Name 'Dsc orders'
        $key.Description | Should -Be 'Provisioned by DSC'
        $key.ExpiresOn | Should -Be ([datetime]'2026-12-27')
    }

    It 'reports the current state with Get, never the value' {
        $state = (New-Resource @{ Name = 'dsc ORDERS'; ValidForDays = 30; RenewWithinDays = 7 }).Get()
        $state.Ensure | Should -Be 'Present'
        $state.Name | Should -Be 'Dsc orders'
        $state.Description | Should -Be 'Provisioned by DSC'
        $state.ExpiresOn | Should -Be ([datetime]'2026-12-27')
        $state.Status | Should -Be 'Active'
        $state.DaysLeft | Should -Be 30
        $state.ValidForDays | Should -Be 30
        $state.RenewWithinDays | Should -Be 7
        $value = Get-KeyValue 'Dsc orders'
        foreach ($property in $state.PSObject.Properties) { "$($property.Value)" | Should -Not -Match ([regex]::Escape($value)) }
        $state.PSObject.Properties.Name | Should -Not -Contain 'Key'
    }

    It 'brings a changed description back, keeping the key''s value; Test alone changes nothing' {
        $value = Get-KeyValue 'Dsc orders'
        Set-GatewayApiKey -Name 'Dsc orders' -Description 'changed by hand'
        $updated = (Get-GatewayApiKey -Name 'Dsc orders').Updated
        $resource = New-Resource @{ Name = 'Dsc orders'; Description = 'Provisioned by DSC'; ValidForDays = 30 }
        $resource.Test() | Should -BeFalse
        $resource.Test() | Should -BeFalse
        $null = $resource.Get()
        (Get-GatewayApiKey -Name 'Dsc orders').Updated | Should -Be $updated
        (Get-GatewayApiKey -Name 'Dsc orders').Description | Should -Be 'changed by hand'
        $resource.Set()
        $resource.Test() | Should -BeTrue
        (Get-GatewayApiKey -Name 'Dsc orders').Description | Should -Be 'Provisioned by DSC'
        Get-KeyValue 'Dsc orders' | Should -Be $value
    }

    It 'leaves the description alone when the configuration gives none' {
        Set-GatewayApiKey -Name 'Dsc orders' -Description 'set by hand, not managed'
        (New-Resource @{ Name = 'Dsc orders' }).Test() | Should -BeTrue
    }

    It 'keeps a fixed ExpiresOn' {
        $resource = New-Resource @{ Name = 'Dsc orders'; ExpiresOn = [datetime]'2027-03-01' }
        $resource.Test() | Should -BeFalse
        $resource.Set()
        $resource.Test() | Should -BeTrue
        (Get-GatewayApiKey -Name 'Dsc orders').ExpiresOn | Should -Be ([datetime]'2027-03-01')
    }

    It 'creates a key with a fixed ExpiresOn, or the default year when no expiry is given' {
        (New-Resource @{ Name = 'Dsc fixed'; ExpiresOn = [datetime]'2027-06-30' }).Set()
        (Get-GatewayApiKey -Name 'Dsc fixed').ExpiresOn | Should -Be ([datetime]'2027-06-30')
        (New-Resource @{ Name = 'Dsc default' }).Set()
        (Get-GatewayApiKey -Name 'Dsc default').ExpiresOn | Should -Be ([datetime]'2027-11-27')
    }

    It 'passes the daemon''s refusal on: a validity beyond five years is ExpiryTooFar' {
        $failed = { (New-Resource @{ Name = 'Dsc too far'; ValidForDays = 2000 }).Set() } | Should -Throw -PassThru
        $failed.FullyQualifiedErrorId | Should -BeLike 'ExpiryTooFar*'
        Get-GatewayApiKey -Name 'Dsc too far' -ErrorAction Ignore | Should -BeNullOrEmpty
    }
}

Describe 'RenewWithinDays' {
    BeforeAll {
        $null = New-GatewayApiKey -Name 'Dsc renewable' -ValidFor 7d   # expires 2026-12-04: 7 days left
    }

    It 'does nothing while the key has more days left than RenewWithinDays' {
        (New-Resource @{ Name = 'Dsc renewable'; ValidForDays = 90; RenewWithinDays = 6 }).Test() | Should -BeTrue
    }

    It 'extends the expiry by ValidForDays from today once the key expires within RenewWithinDays, keeping its value' {
        $value = Get-KeyValue 'Dsc renewable'
        $resource = New-Resource @{ Name = 'Dsc renewable'; ValidForDays = 90; RenewWithinDays = 7 }
        $resource.Test() | Should -BeFalse
        (Get-GatewayApiKey -Name 'Dsc renewable').ExpiresOn | Should -Be ([datetime]'2026-12-04')
        $resource.Set()
        $resource.Test() | Should -BeTrue
        (Get-GatewayApiKey -Name 'Dsc renewable').ExpiresOn | Should -Be ([datetime]'2027-02-25')
        Get-KeyValue 'Dsc renewable' | Should -Be $value
    }

    It 'renews by one year when no ValidForDays is given' {
        Set-GatewayApiKey -Name 'Dsc renewable' -ValidFor P2D
        $resource = New-Resource @{ Name = 'Dsc renewable'; RenewWithinDays = 14 }
        $resource.Test() | Should -BeFalse
        $resource.Set()
        (Get-GatewayApiKey -Name 'Dsc renewable').ExpiresOn | Should -Be ([datetime]'2027-11-27')
    }

    It 'takes that default validity from the generated rules (DefaultValidFor), for the renewal and for its bounds' {
        # With another default in the module's rules, the resource follows it: it holds no period of its own.
        $default = (Get-GeneratedRules).DefaultValidFor
        InModuleScope GatewayApiKeys { $script:GatewayRules.DefaultValidFor = 'P30D' }
        try {
            $failed = { (New-Resource @{ Name = 'Dsc renewable'; RenewWithinDays = 30 }).Test() } | Should -Throw -PassThru
            $failed.Exception.Message | Should -Match 'less than the validity \(30 days\)'
            Set-GatewayApiKey -Name 'Dsc renewable' -ValidFor P2D
            $resource = New-Resource @{ Name = 'Dsc renewable'; RenewWithinDays = 14 }
            @($resource.Get().Reasons).Phrase | Should -Match 'it should be renewed \(P30D from today\)\.$'
            $resource.Set()
            (Get-GatewayApiKey -Name 'Dsc renewable').ExpiresOn | Should -Be ([datetime]'2026-12-27')
        } finally {
            InModuleScope GatewayApiKeys -Parameters @{ Default = $default } { param($Default) $script:GatewayRules.DefaultValidFor = $Default }
        }
    }

    It 'renews a key that has already expired, so a provisioned key comes back by itself' {
        Set-GatewayApiKey -Name 'Dsc renewable' -ValidFor P1D
        Stop-TestDaemon $Daemon -Keep
        $script:Daemon = Start-TestDaemon -Now '2026-12-10T12:00:00Z' -Paths $Daemon.Paths
        $value = Get-KeyValue 'Dsc renewable'
        (Get-GatewayApiKey -Name 'Dsc renewable').Status | Should -Be 'Expired'
        $resource = New-Resource @{ Name = 'Dsc renewable'; ValidForDays = 30; RenewWithinDays = 3 }
        $resource.Test() | Should -BeFalse
        $resource.Set()
        $renewed = Get-GatewayApiKey -Name 'Dsc renewable'
        $renewed.Status | Should -Be 'Active'
        $renewed.ExpiresOn | Should -Be ([datetime]'2027-01-09')
        Get-KeyValue 'Dsc renewable' | Should -Be $value
    }

    It 'refuses settings that contradict each other: <Why>' -TestCases @(
        @{ Why = 'ExpiresOn and ValidForDays'; Property = @{ ExpiresOn = [datetime]'2027-01-01'; ValidForDays = 30 }; Message = 'not both' }
        @{ Why = 'RenewWithinDays with a fixed ExpiresOn'; Property = @{ ExpiresOn = [datetime]'2027-01-01'; RenewWithinDays = 5 }; Message = 'fixed ExpiresOn' }
        @{ Why = 'RenewWithinDays not below ValidForDays'; Property = @{ ValidForDays = 30; RenewWithinDays = 30 }; Message = 'every run' }
        @{ Why = 'RenewWithinDays below 0'; Property = @{ RenewWithinDays = -1 }; Message = 'at least 0' }
        @{ Why = 'ValidForDays below 0'; Property = @{ ValidForDays = -5 }; Message = '^ValidForDays must be at least 1 day; it is -5\.$' }
        @{ Why = 'ValidForDays below 0, with RenewWithinDays'; Property = @{ ValidForDays = -5; RenewWithinDays = 3 }; Message = '^ValidForDays must be at least 1 day' }
        @{ Why = 'ValidForDays 0 (a key that expires today)'; Property = @{ ValidForDays = 0 }; Message = '^ValidForDays must be at least 1 day; it is 0\.$' }
    ) {
        $Property.Name = 'Dsc renewable'
        $resource = New-Resource $Property
        foreach ($method in 'Get', 'Test', 'Set') {
            $failed = { $resource.$method() } | Should -Throw -PassThru -Because $method
            $failed.Exception | Should -BeOfType [System.ArgumentException]
            $failed.Exception.Message | Should -Match $Message
        }
    }
}

Describe 'Enabled' {
    It 'disables an enabled key with Enabled = $false, keeping its value; Get and Test tell' {
        $value = (New-GatewayApiKey -Name 'Dsc switch' -AsPlainText).Key
        $resource = New-Resource @{ Name = 'Dsc switch'; Enabled = $false }
        $resource.Get().Enabled | Should -BeTrue
        $resource.Test() | Should -BeFalse
        (Get-GatewayApiKey -Name 'Dsc switch').Enabled | Should -BeTrue -Because 'Test only reads'
        $resource.Set()
        $resource.Test() | Should -BeTrue
        $state = $resource.Get()
        $state.Enabled | Should -BeFalse
        $state.Status | Should -Be 'Disabled'
        (Test-GatewayApiKey -Key $value -Detailed).Reason | Should -Be 'Disabled'
        Get-KeyValue 'Dsc switch' | Should -Be $value
    }

    It 'enables a disabled key with Enabled = $true, naming it in Reasons first' {
        $resource = New-Resource @{ Name = 'Dsc switch'; Enabled = $true }
        $reasons = @($resource.Get().Reasons)
        $reasons.Code | Should -Be 'GatewayApiKey:GatewayApiKey:Enabled'
        $reasons.Phrase | Should -Be "The key 'Dsc switch' is disabled; it should be enabled."
        $resource.Set()
        $resource.Test() | Should -BeTrue
        (Get-GatewayApiKey -Name 'Dsc switch').Status | Should -Be 'Active'
    }

    It 'leaves a key disabled by hand alone when the configuration says nothing of Enabled' {
        Disable-GatewayApiKey -Name 'Dsc switch' -Force
        (New-Resource @{ Name = 'Dsc switch' }).Test() | Should -BeTrue
        Enable-GatewayApiKey -Name 'Dsc switch'
    }

    It 'creates a key disabled when the configuration says Enabled = $false' {
        $resource = New-Resource @{ Name = 'Dsc born disabled'; Enabled = $false; ValidForDays = 30 }
        $resource.Set()
        $resource.Test() | Should -BeTrue
        $key = Get-GatewayApiKey -Name 'Dsc born disabled'
        $key.Enabled | Should -BeFalse
        $key.DaysLeft | Should -Be 30
    }
}

Describe 'Ensure = Absent' {
    It 'deletes the key, after which Test is true and Set does nothing more' {
        $null = New-GatewayApiKey -Name 'Dsc unwanted'
        $resource = New-Resource @{ Name = 'dsc unwanted'; Ensure = 'Absent' }
        $resource.Test() | Should -BeFalse
        $resource.Get().Ensure | Should -Be 'Present'
        $resource.Set()
        $resource.Test() | Should -BeTrue
        $resource.Get().Ensure | Should -Be 'Absent'
        { $resource.Set() } | Should -Not -Throw
        Get-GatewayApiKey -Name 'Dsc unwanted' -ErrorAction Ignore | Should -BeNullOrEmpty
    }
}

Describe 'The README''s DSC examples, read from README.md' {
    BeforeAll {
        $readme = Get-Content -Raw (Join-Path $PSScriptRoot '../../README.md')
        $blocks = @([regex]::Matches($readme, '(?ms)^```powershell\r?\n(.*?)^```') | ForEach-Object { $_.Groups[1].Value })
        $configurationBlock = @($blocks | Where-Object { $_ -match '(?m)^Configuration\s' })
        $invokeBlock = @($blocks | Where-Object { $_ -match 'Invoke-DscResource' })
        $moduleFolder = (Resolve-Path (Join-Path $PSScriptRoot '..')).Path
        $rootModule = Join-Path $moduleFolder 'GatewayApiKeys/GatewayApiKeys.psm1'

        # The literal hashtable of a syntax tree (comments and $true allowed), as a hashtable.
        function ConvertFrom-HashtableText([string] $Text) {
            $tokens = $null
            $errors = $null
            $tree = [System.Management.Automation.Language.Parser]::ParseInput($Text, [ref]$tokens, [ref]$errors)
            $errors | Should -BeNullOrEmpty
            $tree.Find({ param($node) $node -is [System.Management.Automation.Language.HashtableAst] }, $true).SafeGetValue()
        }

        # The properties the GatewayApiKey block of the Configuration sets. A DSC resource block's body
        # is a hashtable (DSC's keywords parse it so); written after '@', it is one for every parser.
        function Get-ConfigurationProperty {
            $asFunction = [regex]::Replace($configurationBlock[0], '(?m)^Configuration(?=\s)', 'function')
            $tokens = $null
            $errors = $null
            $tree = [System.Management.Automation.Language.Parser]::ParseInput($asFunction, [ref]$tokens, [ref]$errors)
            $errors | Should -BeNullOrEmpty
            $resource = @($tree.FindAll({ param($node) $node -is [System.Management.Automation.Language.CommandAst] -and $node.GetCommandName() -eq 'GatewayApiKey' }, $true))
            $resource.Count | Should -Be 1
            ConvertFrom-HashtableText ('@' + $resource[0].CommandElements[-1].Extent.Text)
        }

        # The $orders hashtable of the PowerShell 7 example.
        function Get-InvokeProperty {
            $tokens = $null
            $errors = $null
            $tree = [System.Management.Automation.Language.Parser]::ParseInput($invokeBlock[0], [ref]$tokens, [ref]$errors)
            $assignment = $tree.Find({
                    param($node)
                    $node -is [System.Management.Automation.Language.AssignmentStatementAst] -and $node.Left.Extent.Text -eq '$orders'
                }, $true)
            ConvertFrom-HashtableText $assignment.Right.Extent.Text
        }

        # What Invoke-DscResource of PSDesiredStateConfiguration 2.0.7 does for a class-based resource:
        # the root module loaded with `using module` in a runspace of its own, an instance of the class
        # made there, the properties set, the method called; Test answers InDesiredState, Set RebootRequired.
        function Invoke-AsDscResource([string] $Name, [string] $Method, [hashtable] $Property) {
            $powershell = [PowerShell]::Create([System.Management.Automation.Runspaces.InitialSessionState]::CreateDefault2())
            try {
                $null = $powershell.AddScript("using module '$rootModule'`n[$Name]::new()")
                $instance = $powershell.Invoke() | Select-Object -First 1
                foreach ($key in $Property.Keys) { $instance.$key = $Property[$key] }
                $output = $instance.$Method()
            } finally {
                $powershell.Dispose()
            }
            switch ($Method) {
                'Test' { [pscustomobject]@{ InDesiredState = $output } }
                'Set' { [pscustomobject]@{ RebootRequired = $false } }
                default { $output }
            }
        }

        # Runs the PowerShell 7 example as it is written, its Invoke-DscResource calls going to -Through
        # with the test daemon's Pipe and TokenPath in place of the README's (those of an installed
        # daemon). Returns what the example outputs.
        function Invoke-ReadmeExample([scriptblock] $Through) {
            $daemonPath = @{ Pipe = $Daemon.Pipe; TokenPath = (Join-Path $Daemon.DataDirectory 'admin.token') }
            $example = [scriptblock]::Create($invokeBlock[0])
            $run = {
                param($Example, $Through, $DaemonPath)
                function Invoke-DscResource([string] $Name, [object] $ModuleName, [string] $Method, [hashtable] $Property) {
                    $ModuleName | Should -Be 'GatewayApiKeys'
                    $given = $Property.Clone()
                    foreach ($key in $DaemonPath.Keys) {
                        $given.Keys | Should -Contain $key -Because 'the README''s example says where the daemon is'
                        $given[$key] = $DaemonPath[$key]
                    }
                    & $Through -Name $Name -ModuleName $ModuleName -Method $Method -Property $given
                }
                . $Example
            }
            & $run $example $Through $daemonPath
        }
    }

    It 'has one Configuration example and one PowerShell 7 example, for the same key' {
        $configurationBlock.Count | Should -Be 1
        $invokeBlock.Count | Should -Be 1
        $configured = Get-ConfigurationProperty
        $invoked = Get-InvokeProperty
        foreach ($key in $configured.Keys) { $invoked[$key] | Should -Be $configured[$key] -Because $key }
        @($invoked.Keys | Where-Object { $configured.Keys -notcontains $_ } | Sort-Object) | Should -Be 'Pipe', 'TokenPath'
    }

    It 'the Configuration parses as PowerShell, and its GatewayApiKey block sets only properties the resource has, to values they take' {
        $configurationBlock[0] | Should -Match '(?m)^\s*Import-DscResource -ModuleName GatewayApiKeys\s*$'
        $configurationBlock[0] | Should -Match '(?m)^Start-DscConfiguration '
        $property = Get-ConfigurationProperty
        $type = InModuleScope GatewayApiKeys { [GatewayApiKey] }
        $settable = @($type.GetProperties() | Where-Object {
                $attribute = $_.GetCustomAttributes([System.Management.Automation.DscPropertyAttribute], $false)
                $attribute.Count -gt 0 -and -not $attribute[0].NotConfigurable
            } | ForEach-Object Name)
        $property.Keys | Should -Contain 'Name'
        foreach ($key in $property.Keys) { $settable | Should -Contain $key }
        $resource = New-Resource $property
        foreach ($key in $property.Keys) { $resource.$key | Should -Be $property[$key] -Because $key }
    }

    It 'the Configuration compiles with DSC''s own keywords, where this PowerShell has them' {
        $savedModulePath = $env:PSModulePath
        $env:PSModulePath = $moduleFolder + [System.IO.Path]::PathSeparator + $env:PSModulePath
        try {
            $tokens = $null
            $errors = $null
            $tree = [System.Management.Automation.Language.Parser]::ParseInput($configurationBlock[0], [ref]$tokens, [ref]$errors)
        } finally {
            $env:PSModulePath = $savedModulePath
        }
        $missing = @($errors | Where-Object { $_.Message -match 'DSC schema store|PSDesiredStateConfiguration' })
        if ($missing.Count -gt 0) {
            Skip-TestBecause "this PowerShell cannot compile a Configuration (that is Windows PowerShell 5.1's, for its LCM): $(($missing[0].Message -split "`r?`n")[0])"
            return
        }
        $errors | Should -BeNullOrEmpty
        $tree.Find({ param($node) $node -is [System.Management.Automation.Language.ConfigurationDefinitionAst] }, $true) | Should -Not -BeNullOrEmpty
    }

    Context 'the PowerShell 7 example, against the test daemon' {
        BeforeEach {
            $name = (Get-InvokeProperty).Name
            if (Get-GatewayApiKey -Name $name -ErrorAction Ignore) { Remove-GatewayApiKey -Name $name -Force }
        }

        It 'runs through Invoke-DscResource (PSDesiredStateConfiguration 2.x), where it is installed' {
            # Version 1.1, Windows PowerShell 5.1's, hands the call to the LCM instead.
            $real = Get-Command -Name 'Invoke-DscResource' -Module 'PSDesiredStateConfiguration' -ErrorAction Ignore
            if ($null -eq $real -or $real.Module.Version.Major -lt 2) {
                Skip-TestBecause 'Invoke-DscResource is not installed here (PSDesiredStateConfiguration 2.x comes from the PowerShell Gallery); the next test does what it does'
                return
            }
            $savedModulePath = $env:PSModulePath
            $env:PSModulePath = $moduleFolder + [System.IO.Path]::PathSeparator + $env:PSModulePath
            try {
                $reasons = Invoke-ReadmeExample { param($Name, $ModuleName, $Method, $Property) PSDesiredStateConfiguration\Invoke-DscResource @PSBoundParameters }
            } finally {
                $env:PSModulePath = $savedModulePath
            }
            $reasons | Should -BeNullOrEmpty
            $key = Get-GatewayApiKey -Name (Get-InvokeProperty).Name
            $key.Description | Should -Be (Get-InvokeProperty).Description
        }

        It 'runs as Invoke-DscResource does it: Test, then Set, then Get with no Reasons left; a second run changes nothing' {
            $property = Get-InvokeProperty
            $reasons = Invoke-ReadmeExample ${function:Invoke-AsDscResource}
            $reasons | Should -BeNullOrEmpty
            $key = Get-GatewayApiKey -Name $property.Name
            $key.Description | Should -Be $property.Description
            $key.ExpiresOn | Should -Be ((Get-GatewayApiKeyServiceStatus).Today.AddDays($property.ValidForDays))
            $key.Enabled | Should -Be $property.Enabled
            $reasons = Invoke-ReadmeExample ${function:Invoke-AsDscResource}
            $reasons | Should -BeNullOrEmpty
            (Get-GatewayApiKey -Name $property.Name).Updated | Should -Be $key.Updated
        }
    }
}
