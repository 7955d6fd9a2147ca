# Whatever answers on the pipe cannot bloat, hang or crash the module, nor make it answer with
# anything but one coded error (docs/security.md, "What answers the pipe"). The server is the
# attacker: test/helpers/impostor-server.mjs (as the tap suite's test/guarantees/hostile-clients.test.ts
# uses it) on a socket in a private directory. The module runs in a pwsh of its own, so that its
# memory can be measured from outside (/proc) and a hang can be cut short.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestDaemon.psm1') -Force
    $script:RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $script:Impostor = Join-Path $RepoRoot 'test/helpers/impostor-server.mjs'
    $script:Module = Join-Path $RepoRoot 'powershell/GatewayApiKeys/GatewayApiKeys.psd1'
    $script:Token = 'gwt_' + ('T' * 49)
    $script:Node = 'node'
    if ($env:GATEWAY_TEST_NODE) { $script:Node = $env:GATEWAY_TEST_NODE }
    # A pwsh with the module loaded and nothing done is about 110 MiB; the limit is what it may add.
    $script:GrowthLimit = 100MB

    function Start-Impostor([string] $Mode, [string] $Length = '2147483648') {
        <# The impostor in -Mode on a socket of a private directory; waits for its "listening". #>
        $dir = Join-Path ([System.IO.Path]::GetTempPath()) ('gwk-pimp-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
        $null = New-Item -ItemType Directory -Path $dir
        & chmod 700 $dir
        $info = New-Object System.Diagnostics.ProcessStartInfo
        $info.FileName = $Node
        foreach ($argument in $Impostor, (Join-Path $dir 's.sock'), $Mode, $Length) { $info.ArgumentList.Add($argument) }
        $info.RedirectStandardOutput = $true
        $info.UseShellExecute = $false
        $info.EnvironmentVariables['GATEWAY_APIKEYS_TOKEN'] = $Token
        $process = [System.Diagnostics.Process]::Start($info)
        $output = New-Object System.Text.StringBuilder
        $deadline = [datetime]::UtcNow.AddSeconds(10)
        while ($output.ToString() -notmatch 'listening') {
            if ([datetime]::UtcNow -gt $deadline -or $process.HasExited) { throw "The impostor ($Mode) did not start." }
            $null = $output.AppendLine($process.StandardOutput.ReadLine())
        }
        [pscustomobject]@{ Process = $process; Directory = $dir; Pipe = (Join-Path $dir 's.sock') }
    }

    function Stop-Impostor([object] $Server) {
        if (-not $Server.Process.HasExited) { $Server.Process.Kill() }
        $Server.Process.WaitForExit()
        Remove-Item -Recurse -Force -LiteralPath $Server.Directory -ErrorAction Ignore
    }

    function Get-Rss([int] $ProcessId) {
        <# Resident memory in bytes (Linux /proc), 0 once the process is gone. #>
        try {
            $status = [System.IO.File]::ReadAllText("/proc/$ProcessId/status")
            if ($status -match 'VmRSS:\s+(\d+) kB') { return [long]$Matches[1] * 1024 }
        } catch { $null = $_ }
        0
    }

    function Invoke-ModuleAgainst([string] $Pipe, [int] $TimeoutSec = 5, [switch] $AfterHello, [int] $DeadlineSec = 30) {
        <#
        Connects the module to -Pipe in a pwsh of its own (with -AfterHello, then asks the status),
        the token from GATEWAY_APIKEYS_TOKEN. Returns the ErrorId it ended with, its message, how long
        it took, its resident memory once the module was loaded and at its highest, and whether it had
        to be killed at -DeadlineSec.
        #>
        $script = @'
$ErrorActionPreference = 'Stop'
Import-Module $env:GWK_MODULE
[Console]::Out.WriteLine('loaded')
[Console]::Out.Flush()
Start-Sleep -Milliseconds 300
$watch = [System.Diagnostics.Stopwatch]::StartNew()
try {
    $null = Connect-GatewayApiKeyService -Pipe $env:GWK_PIPE -TimeoutSec ([int]$env:GWK_TIMEOUT)
    if ($env:GWK_AFTER_HELLO) { $null = Get-GatewayApiKeyServiceStatus }
    $outcome = 'none'
    $message = ''
} catch {
    $outcome = $_.FullyQualifiedErrorId
    $message = $_.Exception.Message
}
[Console]::Out.WriteLine("outcome: $outcome")
[Console]::Out.WriteLine("message: $message")
[Console]::Out.WriteLine("seconds: $($watch.Elapsed.TotalSeconds)")
'@
        $info = New-Object System.Diagnostics.ProcessStartInfo
        # This pwsh again; when it is a .NET tool, dotnet runs it, with pwsh.dll first (as GatewayApiKeys.Unattended.Tests.ps1 does).
        $info.FileName = [System.Diagnostics.Process]::GetCurrentProcess().MainModule.FileName
        if ([System.IO.Path]::GetFileNameWithoutExtension($info.FileName) -eq 'dotnet') { $info.ArgumentList.Add([System.Environment]::GetCommandLineArgs()[0]) }
        foreach ($argument in '-NoLogo', '-NoProfile', '-NonInteractive', '-Command', $script) { $info.ArgumentList.Add($argument) }
        $info.RedirectStandardOutput = $true
        $info.RedirectStandardError = $true
        $info.UseShellExecute = $false
        $info.EnvironmentVariables['GWK_MODULE'] = $Module
        $info.EnvironmentVariables['GWK_PIPE'] = $Pipe
        $info.EnvironmentVariables['GWK_TIMEOUT'] = [string]$TimeoutSec
        $info.EnvironmentVariables['GWK_AFTER_HELLO'] = $(if ($AfterHello) { '1' } else { '' })
        $info.EnvironmentVariables['GATEWAY_APIKEYS_TOKEN'] = $Token
        $child = [System.Diagnostics.Process]::Start($info)
        $stdout = New-Object System.Text.StringBuilder
        $stderr = $child.StandardError.ReadToEndAsync()
        $pending = $child.StandardOutput.ReadLineAsync()
        $loaded = 0
        $highest = 0
        $killed = $false
        $deadline = [datetime]::UtcNow.AddSeconds($DeadlineSec)
        while ($true) {
            if ($pending.Wait(20)) {
                $line = $pending.Result
                if ($null -eq $line) { break }
                $null = $stdout.AppendLine($line)
                if ($line -eq 'loaded') { $loaded = Get-Rss $child.Id }
                $pending = $child.StandardOutput.ReadLineAsync()
            }
            if ($loaded -gt 0) { $highest = [System.Math]::Max($highest, (Get-Rss $child.Id)) }
            if ([datetime]::UtcNow -gt $deadline) {
                $killed = $true
                $child.Kill()
                break
            }
        }
        $child.WaitForExit()
        $text = $stdout.ToString()
        $field = { param($name) if ($text -match "(?m)^${name}: (.*)$") { $Matches[1].Trim() } }
        [pscustomobject]@{
            ErrorId = & $field 'outcome'
            Message = & $field 'message'
            Seconds = [double](& $field 'seconds')
            Killed  = $killed
            Loaded  = $loaded
            Highest = $highest
            Stderr  = $stderr.Result
        }
    }

    function Assert-Refused([object] $Run, [string] $ErrorId, [double] $WithinSec) {
        <# The module gave up on its own, with -ErrorId and a one-line message, within -WithinSec, its memory bounded. #>
        $Run.Killed | Should -BeFalse -Because 'the module must not hang'
        $Run.ErrorId | Should -Be "$ErrorId,Connect-GatewayApiKeyService"
        $Run.Message | Should -Not -Match "`n"
        $Run.Stderr | Should -BeNullOrEmpty
        $Run.Seconds | Should -BeLessThan $WithinSec
        if ($IsLinux) { ($Run.Highest - $Run.Loaded) | Should -BeLessThan $GrowthLimit -Because "its RSS went from $($Run.Loaded) to $($Run.Highest) bytes" }
    }
}

Describe 'The module against what answers the pipe' -Skip:$IsWindows {
    It 'refuses a 2 GiB Content-Length answering the challenge, its body as fast as it reads, at the header: DaemonImpostor' {
        $server = Start-Impostor 'flood'
        try {
            $run = Invoke-ModuleAgainst $server.Pipe
            Assert-Refused $run 'DaemonImpostor' 5
            $run.Message | Should -Match 'is not the gateway-apikeys daemon: it answers with what no daemon sends \(a frame of 2147483648 bytes is over the limit of 4096\)\. Nothing secret was sent to it\.'
        } finally { Stop-Impostor $server }
    }

    It 'allocates nothing for a Content-Length of almost 1 GB answering the challenge: DaemonImpostor, memory bounded' {
        $server = Start-Impostor 'flood' '999999999'
        try {
            Assert-Refused (Invoke-ModuleAgainst $server.Pipe) 'DaemonImpostor' 5
        } finally { Stop-Impostor $server }
    }

    It 'gives up at -TimeoutSec on a server that never answers, and on one whose frame trickles a byte a second, for the whole answer: DaemonTimeout' {
        $silent = Start-Impostor 'silent'
        try {
            Assert-Refused (Invoke-ModuleAgainst $silent.Pipe -TimeoutSec 2) 'DaemonTimeout' 5
        } finally { Stop-Impostor $silent }
        # Each byte comes within the timeout of the one before: only a deadline for the whole exchange ends it.
        $trickle = Start-Impostor 'trickle'
        try {
            $run = Invoke-ModuleAgainst $trickle.Pipe -TimeoutSec 2
            Assert-Refused $run 'DaemonTimeout' 5
            $run.Seconds | Should -BeGreaterThan 1.9
            $run.Message | Should -Match 'did not answer the handshake within 2000 ms: it is not the gateway-apikeys daemon, or the daemon is stuck\. Nothing secret was sent to it\.'
        } finally { Stop-Impostor $trickle }
    }

    It 'unmasks an answer that is no frame, no JSON or no answer as DaemonImpostor: <Mode>' -ForEach @(
        @{ Mode = 'garbage'; Problem = 'a frame has no Content-Length' }
        @{ Mode = 'badjson'; Problem = 'an answer is not JSON' }
        @{ Mode = 'notanswer'; Problem = 'an answer is not a JSON-RPC response object' }
    ) {
        $server = Start-Impostor $Mode
        try {
            $run = Invoke-ModuleAgainst $server.Pipe
            Assert-Refused $run 'DaemonImpostor' 5
            $run.Message | Should -Match ([regex]::Escape("it answers with what no daemon sends ($Problem)"))
        } finally { Stop-Impostor $server }
    }

    It 'after a proved handshake, an answer over the limit is DaemonProtocolError, not a 1 GB allocation' {
        # Only something that knows the token can prove it: this stands for a daemon gone wrong, or a stream out of step.
        $server = Start-Impostor 'prove-then-huge' '999999999'
        try {
            $run = Invoke-ModuleAgainst $server.Pipe -AfterHello
            $run.Killed | Should -BeFalse
            $run.ErrorId | Should -Be 'DaemonProtocolError,Get-GatewayApiKeyServiceStatus'
            $run.Message | Should -Match 'does not speak the gateway-apikeys protocol: a frame of 999999999 bytes is over the limit of 524288000\.'
            $run.Seconds | Should -BeLessThan 5
            if ($IsLinux) { ($run.Highest - $run.Loaded) | Should -BeLessThan $GrowthLimit }
        } finally { Stop-Impostor $server }
    }
}
