# Runs the module's Windows Pester tests inside pwshhost.exe under Wine (test/windows/wine-powershell.test.ts;
# docs/architecture.md, "The Windows suite"): Pester from RUN_PESTER_MODULE, the tests of RUN_PESTER_PATHS.
# The closing line is "pester: N passed, N failed, N skipped"; a run that ran no test fails.
$ErrorActionPreference = 'Stop'
Import-Module -Name $env:RUN_PESTER_MODULE
$config = New-PesterConfiguration
$config.Run.Path = @($env:RUN_PESTER_PATHS -split ';')
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
$result = Invoke-Pester -Configuration $config
"pester: $($result.PassedCount) passed, $($result.FailedCount) failed, $($result.SkippedCount) skipped"
if ($result.Result -ne 'Passed' -or $result.TotalCount -eq 0) { exit 1 }
exit 0
