# The module as shipped: its manifest, its exports, its help, and code that Windows PowerShell 5.1 can parse.

BeforeDiscovery {
    $moduleRoot = Join-Path $PSScriptRoot '../GatewayApiKeys'
    $publicNames = (Get-ChildItem -Path (Join-Path $moduleRoot 'Public') -Filter '*.ps1').BaseName | Sort-Object
    $sourceFiles = Get-ChildItem -Path $moduleRoot -Recurse -Include '*.ps1', '*.psm1' | ForEach-Object { @{ File = $_.FullName; Name = $_.Name } }
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestDaemon.psm1') -Force
    $moduleRoot = Join-Path $PSScriptRoot '../GatewayApiKeys'
    $manifestPath = Join-Path $moduleRoot 'GatewayApiKeys.psd1'
    $publicNames = (Get-ChildItem -Path (Join-Path $moduleRoot 'Public') -Filter '*.ps1').BaseName | Sort-Object
    Import-TestedModule

    <#
    The constructs of PowerShell 6+ that Windows PowerShell 5.1 cannot run, found in a syntax tree:
    ??, ??=, ?., ?[], ternary, && and ||, -AsHashtable, ConvertFrom-Json -Depth, ConvertTo-Json
    without -Depth, and the `e and `u{} escapes (5.1 reads them as plain letters). And splats of a
    scope- or drive-qualified variable (@script:x): both editions parse @name:rest, but they have
    read such arguments differently (PowerShell/PowerShell#21291), so the module splats plain
    variables only, which every edition reads alike.
    #>
    function Find-PowerShell7Syntax {
        param([Parameter(Mandatory)] [System.Management.Automation.Language.Ast] $Ast)
        $found = New-Object System.Collections.Generic.List[string]
        $nodes = $Ast.FindAll({ $true }, $true)
        foreach ($node in $nodes) {
            $kind = $node.GetType().Name
            $line = $node.Extent.StartLineNumber
            if ($kind -eq 'TernaryExpressionAst') { $found.Add("ternary operator (line $line)") }
            if ($kind -eq 'PipelineChainAst') { $found.Add("&& or || (line $line)") }
            if ($kind -eq 'BinaryExpressionAst' -and $node.Operator -eq 'QuestionQuestion') { $found.Add("?? (line $line)") }
            if ($kind -eq 'AssignmentStatementAst' -and $node.Operator -eq 'QuestionQuestionEquals') { $found.Add("??= (line $line)") }
            if ($kind -in 'MemberExpressionAst', 'InvokeMemberExpressionAst', 'IndexExpressionAst' -and $node.NullConditional) {
                $found.Add("null-conditional access (line $line)")
            }
            if ($kind -eq 'CommandParameterAst' -and $node.ParameterName -eq 'AsHashtable') { $found.Add("-AsHashtable (line $line)") }
            if ($kind -eq 'VariableExpressionAst' -and $node.Splatted -and $node.VariablePath.UserPath -match ':') {
                $found.Add("splat of a qualified variable @$($node.VariablePath.UserPath) (line $line)")
            }
            if ($kind -eq 'CommandAst') {
                $command = $node.GetCommandName()
                $parameters = @($node.CommandElements | Where-Object { $_ -is [System.Management.Automation.Language.CommandParameterAst] } | ForEach-Object ParameterName)
                if ($command -eq 'ConvertTo-Json' -and $parameters -notcontains 'Depth') { $found.Add("ConvertTo-Json without -Depth (line $line)") }
                if ($command -eq 'ConvertFrom-Json' -and $parameters -contains 'Depth') { $found.Add("ConvertFrom-Json -Depth (line $line)") }
            }
            if ($kind -in 'StringConstantExpressionAst', 'ExpandableStringExpressionAst' -and
                $node.StringConstantType -in 'DoubleQuoted', 'DoubleQuotedHereString' -and $node.Extent.Text -match '`(e|u\{)') {
                $found.Add('`e or `u{} escape (line ' + $line + ')')
            }
        }
        $found
    }

    function ConvertTo-SyntaxTree([string] $Text) {
        $tokens = $null
        $errors = $null
        $tree = [System.Management.Automation.Language.Parser]::ParseInput($Text, [ref]$tokens, [ref]$errors)
        $errors | Should -BeNullOrEmpty
        $tree
    }
}

Describe 'The manifest' {
    It 'passes Test-ModuleManifest' {
        { Test-ModuleManifest -Path $manifestPath -ErrorAction Stop } | Should -Not -Throw
    }

    It 'declares both editions, PowerShell 5.1, the format file and the DSC resource' {
        $manifest = Import-PowerShellDataFile -Path $manifestPath
        $manifest.CompatiblePSEditions | Should -Be 'Desktop', 'Core'
        $manifest.PowerShellVersion | Should -Be '5.1'
        $manifest.RootModule | Should -Be 'GatewayApiKeys.psm1'
        $manifest.FormatsToProcess | Should -Be 'GatewayApiKeys.format.ps1xml'
        Join-Path $moduleRoot $manifest.FormatsToProcess | Should -Exist
        $manifest.DscResourcesToExport | Should -Be 'GatewayApiKey'
    }

    It 'exports exactly the functions of Public/, listed without wildcards, and nothing else' {
        $manifest = Import-PowerShellDataFile -Path $manifestPath
        $manifest.FunctionsToExport | Should -Not -Match '[*?]'
        @($manifest.FunctionsToExport | Sort-Object) | Should -Be $publicNames
        $manifest.CmdletsToExport | Should -BeNullOrEmpty
        $manifest.AliasesToExport | Should -BeNullOrEmpty
        $manifest.VariablesToExport | Should -BeNullOrEmpty
        @((Get-Command -Module GatewayApiKeys).Name | Sort-Object) | Should -Be $publicNames
        $publicNames | Should -Be @(
            'Backup-GatewayApiKeyVault', 'Connect-GatewayApiKeyService', 'Copy-GatewayApiKey', 'Disable-GatewayApiKey', 'Disconnect-GatewayApiKeyService',
            'Enable-GatewayApiKey', 'Get-GatewayApiKey', 'Get-GatewayApiKeyAuditLog', 'Get-GatewayApiKeyServiceStatus', 'Get-GatewayApiKeyUsage',
            'New-GatewayApiKey', 'Remove-GatewayApiKey', 'Reset-GatewayApiKey', 'Restore-GatewayApiKeyVault', 'Set-GatewayApiKey', 'Show-GatewayApiKey',
            'Stop-GatewayApiKeyService', 'Test-GatewayApiKey', 'Test-GatewayApiKeyAuditLog', 'Test-GatewayApiKeyBackup')
    }

    It 'takes backup passphrases as a SecureString or a file, never as a plain-string parameter' {
        foreach ($name in 'Backup-GatewayApiKeyVault', 'Restore-GatewayApiKeyVault', 'Test-GatewayApiKeyBackup') {
            $parameters = (Get-Command $name).Parameters
            $parameters['Passphrase'].ParameterType | Should -Be ([System.Security.SecureString]) -Because $name
            $parameters['PassphraseFile'].ParameterType | Should -Be ([string]) -Because $name
            @($parameters.Keys | Where-Object { $_ -like '*Passphrase*' }) | Should -Be 'Passphrase', 'PassphraseFile' -Because $name
        }
    }

    It 'uses approved verbs only' {
        $approved = (Get-Verb).Verb
        foreach ($name in $publicNames) { $approved | Should -Contain ($name -split '-')[0] }
    }

    It 'supports -WhatIf and -Confirm on every command that changes state' {
        foreach ($name in 'New-GatewayApiKey', 'Set-GatewayApiKey', 'Remove-GatewayApiKey', 'Copy-GatewayApiKey', 'Stop-GatewayApiKeyService',
            'Reset-GatewayApiKey', 'Disable-GatewayApiKey', 'Enable-GatewayApiKey', 'Backup-GatewayApiKeyVault', 'Restore-GatewayApiKeyVault') {
            (Get-Command $name).Parameters.Keys | Should -Contain 'WhatIf' -Because $name
            (Get-Command $name).Parameters.Keys | Should -Contain 'Confirm' -Because $name
        }
    }

    It 'binds -Name from the pipeline by property name on every command that takes a key' {
        foreach ($name in 'Get-GatewayApiKey', 'Set-GatewayApiKey', 'Remove-GatewayApiKey', 'Show-GatewayApiKey', 'Copy-GatewayApiKey', 'New-GatewayApiKey',
            'Reset-GatewayApiKey', 'Disable-GatewayApiKey', 'Enable-GatewayApiKey', 'Get-GatewayApiKeyUsage') {
            $attribute = (Get-Command $name).Parameters['Name'].Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] }
            $attribute.ValueFromPipelineByPropertyName | Should -BeTrue -Because $name
        }
    }

    It 'honours the caller''s preference variables in every command (the first thing each does)' {
        foreach ($name in $publicNames) {
            (Get-Command $name).ScriptBlock.ToString() | Should -Match ('(?m)^\s*\$ErrorActionPreference, \$WarningPreference, \$InformationPreference, \$VerbosePreference, \$DebugPreference,\s+' +
                '\$ConfirmPreference, \$WhatIfPreference, \$ProgressPreference = \$script:GatewayCallerPreference::Of\(\$PSCmdlet, \$ExecutionContext\.SessionState\)') -Because $name
        }
    }

    It 'names backup files *.gwkbak, in its help as in the README''s examples, CLI ones included' {
        $texts = @(Get-ChildItem -Path $moduleRoot -Recurse -File -Include '*.ps1', '*.psm1', '*.txt') + @(Get-Item (Join-Path $PSScriptRoot '../../README.md'))
        $named = @($texts | Select-String -Pattern '\.gwkbak\b' -AllMatches)
        $named.Count | Should -BeGreaterThan 5
        # Any other extension of the family: .gwkb, .gwk, .gwkbackup.
        $other = @($texts | Select-String -Pattern '\.gwk(?!bak\b)[a-z]*\b' -AllMatches | ForEach-Object { "$(Split-Path -Leaf $_.Path):$($_.LineNumber): $($_.Line.Trim())" })
        $other | Should -BeNullOrEmpty
    }

    It 'ships about_GatewayApiKeys' {
        $about = Join-Path $moduleRoot 'en-US/about_GatewayApiKeys.help.txt'
        $about | Should -Exist
        $text = Get-Content -Raw $about
        $text | Should -Match 'about_GatewayApiKeys'
        foreach ($name in $publicNames) { $text | Should -Match $name }
    }
}

Describe 'Where help lives' {
    It 'Get-Help about_GatewayApiKeys finds the topic, which says where help lives' {
        $topic = Get-Help -Name about_GatewayApiKeys | Out-String
        $topic | Should -Match 'WHERE HELP LIVES'
        $topic | Should -Match 'Update-Help'
        $topic | Should -Match 'Get-Help <command> -Full'
    }
}

Describe 'The root module, assembled from its parts (build/assemble-module.mjs)' {
    BeforeAll {
        $node = 'node'
        if ($env:GATEWAY_TEST_NODE) { $node = $env:GATEWAY_TEST_NODE }
        $repoRoot = Join-Path $PSScriptRoot '../..'
        # The assembler in a copy of the tree: node's exit code and what it said.
        function Invoke-Assembler([string] $Root, [string[]] $Arguments) {
            $said = & $node (Join-Path $Root 'build/assemble-module.mjs') @Arguments 2>&1
            [pscustomobject]@{ ExitCode = $LASTEXITCODE; Said = "$said" }
        }
    }

    It 'is up to date: what is committed is what its parts make' {
        (Invoke-Assembler $repoRoot '--check').ExitCode | Should -Be 0
    }

    It 'the check fails when a part changed and the root module was not assembled again, and assembling mends it' {
        $copy = Join-Path $TestDrive 'tree'
        $null = New-Item -ItemType Directory -Path (Join-Path $copy 'build'), (Join-Path $copy 'powershell')
        Copy-Item -Path (Join-Path $repoRoot 'build/assemble-module.mjs') -Destination (Join-Path $copy 'build')
        Copy-Item -Recurse -Path $moduleRoot -Destination (Join-Path $copy 'powershell/GatewayApiKeys')
        Add-Content -Path (Join-Path $copy 'powershell/GatewayApiKeys/RootModule/Completers.ps1') -Value '# a change'
        $stale = Invoke-Assembler $copy '--check'
        $stale.ExitCode | Should -Be 1
        $stale.Said | Should -Match 'GatewayApiKeys\.psm1 is out of date: run `npm run generate`'
        (Invoke-Assembler $copy @()).ExitCode | Should -Be 0
        (Invoke-Assembler $copy '--check').ExitCode | Should -Be 0
        Get-Content -Raw (Join-Path $copy 'powershell/GatewayApiKeys/GatewayApiKeys.psm1') | Should -Match '# a change\r?\n#endregion RootModule/Completers\.ps1'
    }

    It 'defines the DSC resource in its own text, where Get-DscResource looks for it (it reads the root module''s syntax tree)' {
        $tree = ConvertTo-SyntaxTree (Get-Content -Raw (Join-Path $moduleRoot 'GatewayApiKeys.psm1'))
        $resources = @($tree.FindAll({
                    param($node)
                    $node -is [System.Management.Automation.Language.TypeDefinitionAst] -and
                    @($node.Attributes | Where-Object { $_.TypeName.Name -eq 'DscResource' }).Count -gt 0
                }, $false))
        @($resources.Name) | Should -Be 'GatewayApiKey'
        $manifest = Import-PowerShellDataFile -Path $manifestPath
        @($resources.Name) | Should -Be @($manifest.DscResourcesToExport)
    }
}

Describe 'Rules from schemas/defs.json' {
    It 'the generated rules are loaded into the module' {
        $inModule = & (Get-Module GatewayApiKeys) { $script:GatewayRules }
        $inModule.NameMaxLength | Should -Be (Get-GeneratedRules).NameMaxLength
    }

    It 'Get-GatewayApiKey -Status offers exactly the generated statuses (a ValidateSet must be literal)' {
        $set = (Get-Command Get-GatewayApiKey).Parameters['Status'].Attributes |
            Where-Object { $_ -is [System.Management.Automation.ValidateSetAttribute] }
        @($set.ValidValues) | Should -Be @((Get-GeneratedRules).Statuses)
    }

    It 'Get-GatewayApiKeyAuditLog -Event offers exactly the schema''s audit events' {
        $set = (Get-Command Get-GatewayApiKeyAuditLog).Parameters['Event'].Attributes |
            Where-Object { $_ -is [System.Management.Automation.ValidateSetAttribute] }
        @($set.ValidValues) | Should -Be @((Get-GeneratedRules).AuditEvents)
    }

    It 'the format view colours every status colour the rules name' {
        $format = Get-Content -Raw (Join-Path $moduleRoot 'GatewayApiKeys.format.ps1xml')
        $rules = Get-GeneratedRules
        $colors = @($rules.StatusBands | ForEach-Object { $_.Color }) + $rules.DisabledStatus.Color
        @($colors) | Should -Contain 'Gray'
        foreach ($color in ($colors | Sort-Object -Unique)) {
            $format | Should -Match "'$color'|\.$color\b"
        }
    }
}

Describe 'Help of <_>' -ForEach $publicNames {
    BeforeAll {
        $help = Get-Help -Name $_ -Full
        $command = Get-Command -Name $_
    }

    It 'has a synopsis of its own' {
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -Match ([regex]::Escape($_) + ' ')   # not the generated syntax line
    }

    It 'has at least one example with code' {
        @($help.Examples.Example).Count | Should -BeGreaterThan 0
        $help.Examples.Example[0].Code | Should -Not -BeNullOrEmpty
    }

    It 'says what it takes from the pipeline (.INPUTS) and what it outputs (.OUTPUTS)' {
        ($help.inputTypes.inputType.type.name -join '') | Should -Not -BeNullOrEmpty
        ($help.returnValues.returnValue.type.name -join '') | Should -Not -BeNullOrEmpty
    }

    It 'links to about_GatewayApiKeys' {
        @($help.relatedLinks.navigationLink.linkText) | Should -Contain 'about_GatewayApiKeys'
    }

    It 'describes every parameter' {
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters + 'First', 'Skip', 'IncludeTotalCount'
        foreach ($parameter in $command.Parameters.Keys | Where-Object { $_ -notin $common }) {
            $described = $help.Parameters.Parameter | Where-Object Name -EQ $parameter
            ($described.Description.Text -join '') | Should -Not -BeNullOrEmpty -Because "-$parameter"
        }
    }
}

Describe 'Windows PowerShell 5.1 syntax in <Name>' -ForEach $sourceFiles {
    It 'parses without errors and uses nothing 5.1 lacks' {
        $tree = ConvertTo-SyntaxTree (Get-Content -Raw -Path $File)
        Find-PowerShell7Syntax $tree | Should -BeNullOrEmpty
    }

    It 'is plain ASCII, which 5.1 reads the same without a byte-order mark' {
        $bytes = [System.IO.File]::ReadAllBytes($File)
        @($bytes | Where-Object { $_ -gt 127 }).Count | Should -Be 0
    }
}

Describe 'Windows PowerShell 5.1 syntax in the format file''s script blocks' {
    It 'parses every script block and finds nothing 5.1 lacks' {
        $format = [xml](Get-Content -Raw (Join-Path $moduleRoot 'GatewayApiKeys.format.ps1xml'))
        $blocks = $format.SelectNodes('//ScriptBlock')
        $blocks.Count | Should -BeGreaterThan 2
        foreach ($block in $blocks) { Find-PowerShell7Syntax (ConvertTo-SyntaxTree $block.InnerText) | Should -BeNullOrEmpty }
    }
}

Describe 'The 5.1 syntax check itself' {
    It 'finds <Why>' -TestCases @(
        @{ Why = '??'; Code = '$a = $b ?? 1' }
        @{ Why = '??='; Code = '$a ??= 1' }
        @{ Why = '?.'; Code = '${a}?.Name' }
        @{ Why = 'ternary'; Code = '$a = $b ? 1 : 2' }
        @{ Why = '&&'; Code = 'Get-Item x && Get-Item y' }
        @{ Why = '||'; Code = 'Get-Item x || Get-Item y' }
        @{ Why = '-AsHashtable'; Code = '$a = ConvertFrom-Json -Depth 3 -AsHashtable $t' }
        @{ Why = 'ConvertTo-Json without -Depth'; Code = 'ConvertTo-Json -InputObject $a' }
        @{ Why = '`e escape'; Code = '"`e[31m"' }
        @{ Why = 'a splat of a script: variable'; Code = 'ConvertFrom-Json -InputObject $j @script:options' }
        @{ Why = 'a splat of a global: variable'; Code = 'Get-Item @global:splat' }
    ) {
        Find-PowerShell7Syntax (ConvertTo-SyntaxTree $Code) | Should -Not -BeNullOrEmpty
    }

    It 'finds nothing in 5.1 code' {
        Find-PowerShell7Syntax (ConvertTo-SyntaxTree '$a = if ($b) { 1 } else { 2 }; ConvertTo-Json -InputObject $a -Depth 4; "$([char]27)[31m"; Get-Item @splat') |
            Should -BeNullOrEmpty
    }
}
