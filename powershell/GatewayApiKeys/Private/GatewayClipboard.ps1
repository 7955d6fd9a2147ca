# The clipboard of Copy-GatewayApiKey: whether there is one, putting a key value on it (kept out of
# Windows clipboard history where Windows allows), and taking it off again after -ClearAfter seconds.

function Get-GatewayClipboardProblem {
    <# Why there is no usable clipboard, or $null. PowerShell 7's Set-Clipboard silently keeps the text to itself on Linux without xclip. #>
    if (-not (Get-Command -Name 'Set-Clipboard' -ErrorAction Ignore)) { return 'This PowerShell has no Set-Clipboard.' }
    if (Test-GatewayWindows) { return $null }
    if ((Get-Variable -Name 'IsMacOS' -ValueOnly -ErrorAction Ignore) -eq $true) { return $null }
    if (-not (Get-Command -Name 'xclip' -CommandType Application -ErrorAction Ignore) -or -not $env:DISPLAY) {
        return 'PowerShell reaches the clipboard on Linux through xclip and an X display (DISPLAY), and this session has not both.'
    }
    $null
}

function Set-GatewayClipboardText {
    <# Puts a key value on the clipboard; on Windows out of clipboard history and cloud clipboard where it can. #>
    param([Parameter(Mandatory)] [string] $Text)
    if ((Test-GatewayWindows) -and (Set-GatewayWindowsClipboard -Text $Text)) { return }
    Set-Clipboard -Value $Text
}

function Set-GatewayWindowsClipboard {
    <#
    The text with the formats Windows 10 (1809) and later read as "keep out of history, do not
    sync, do not monitor", as password managers set them. $false when this thread cannot own the
    clipboard through Windows Forms (it must be STA); Set-Clipboard then does, without them.
    #>
    param([Parameter(Mandatory)] [string] $Text)
    if ([System.Threading.Thread]::CurrentThread.GetApartmentState() -ne [System.Threading.ApartmentState]::STA) { return $false }
    try {
        Add-Type -AssemblyName System.Windows.Forms
        $data = New-Object System.Windows.Forms.DataObject
        $data.SetText($Text, [System.Windows.Forms.TextDataFormat]::UnicodeText)
        foreach ($format in 'CanIncludeInClipboardHistory', 'CanUploadToCloudClipboard', 'ExcludeClipboardContentFromMonitorProcessing') {
            # A DWORD 0: "no".
            $data.SetData($format, (New-Object System.IO.MemoryStream -ArgumentList @(, [byte[]](0, 0, 0, 0))))
        }
        [System.Windows.Forms.Clipboard]::SetDataObject($data, $true)
        return $true
    } catch {
        return $false
    }
}

function Get-GatewayTextHash([string] $Text) {
    <# SHA-256 of the text, in hex: lets another process recognise a value without being given it. #>
    $sha = [System.Security.Cryptography.SHA256]::Create()
    try {
        -join ($sha.ComputeHash([System.Text.Encoding]::UTF8.GetBytes($Text)) | ForEach-Object { $_.ToString('x2') })
    } finally {
        $sha.Dispose()
    }
}

function Clear-GatewayClipboardIfUnchanged {
    <#
    After -Seconds, clears the clipboard if it still holds the text whose hash is -Hash, and leaves
    it alone if the user has copied something else since. It runs in a process of its own
    (Start-GatewayClipboardClear), without this module, so it uses nothing else of it.
    #>
    param([int] $Seconds, [string] $Hash)
    Start-Sleep -Seconds $Seconds
    $now = Get-Clipboard -Raw
    if ($null -eq $now) { return }
    $sha = [System.Security.Cryptography.SHA256]::Create()
    $seen = -join ($sha.ComputeHash([System.Text.Encoding]::UTF8.GetBytes($now.TrimEnd("`r", "`n"))) | ForEach-Object { $_.ToString('x2') })
    if ($seen -ne $Hash) { return }
    if ([System.Environment]::OSVersion.Platform -eq [System.PlatformID]::Win32NT) {
        Add-Type -AssemblyName System.Windows.Forms
        [System.Windows.Forms.Clipboard]::Clear()
    } else {
        Set-Clipboard -Value ''
    }
}

function Get-GatewayPowerShellCommand {
    <# How to start another PowerShell like this one: its executable, and the pwsh.dll a dotnet host (a .NET tool install) needs. #>
    $self = [System.Diagnostics.Process]::GetCurrentProcess().MainModule.FileName
    $dll = Join-Path $PSHOME 'pwsh.dll'
    if ([System.IO.Path]::GetFileNameWithoutExtension($self) -eq 'dotnet' -and (Test-Path -LiteralPath $dll)) { return @($self, $dll) }
    foreach ($name in 'pwsh.exe', 'pwsh', 'powershell.exe') {
        $candidate = Join-Path $PSHOME $name
        if (Test-Path -LiteralPath $candidate -PathType Leaf) { return @($candidate) }
    }
    @($self)
}

function Start-GatewayClipboardClear {
    <#
    Clears the clipboard -Seconds from now if it still holds -Text. A hidden process of its own
    does it, as `pass -c` does, so that it happens even when this session ends first; it is given
    the value's hash, never the value.
    #>
    param([Parameter(Mandatory)] [int] $Seconds, [Parameter(Mandatory)] [string] $Text)
    $script = "& { $(${function:Clear-GatewayClipboardIfUnchanged}) } -Seconds $Seconds -Hash '$(Get-GatewayTextHash $Text)'"
    $command = @(Get-GatewayPowerShellCommand)
    $arguments = @($command | Select-Object -Skip 1 | ForEach-Object { '"' + $_ + '"' })
    $arguments += '-NoLogo', '-NoProfile', '-NonInteractive'
    if (Test-GatewayWindows) { $arguments += '-STA' }
    $arguments += '-EncodedCommand', [System.Convert]::ToBase64String([System.Text.Encoding]::Unicode.GetBytes($script))
    $start = New-Object System.Diagnostics.ProcessStartInfo
    $start.FileName = $command[0]
    $start.Arguments = $arguments -join ' '
    $start.UseShellExecute = $false
    $start.CreateNoWindow = $true
    # Its own standard streams, so that it holds none of this session's (a pipe a caller waits on).
    $start.RedirectStandardInput = $true
    $start.RedirectStandardOutput = $true
    $start.RedirectStandardError = $true
    try {
        $process = [System.Diagnostics.Process]::Start($start)
        $process.StandardInput.Close()
        $process.Dispose()
    } catch {
        Write-Warning "The value stays on the clipboard: the process that would clear it in $Seconds seconds did not start. $(Format-GatewaySentence $_.Exception.Message)"
    }
}
