function Copy-GatewayApiKey {
    <#
    .SYNOPSIS
    Copies an API key's value to the clipboard.

    .DESCRIPTION
    Puts the key's value on the clipboard without showing it. Windows and macOS always have a
    clipboard; on Linux PowerShell reaches it through xclip, which needs an X display. Where there
    is no clipboard the command fails with ClipboardUnavailable before the value is fetched: use
    Show-GatewayApiKey there.

    .PARAMETER Name
    The key whose value to copy. Accepts pipeline input, by value and by property name.

    .EXAMPLE
    Copy-GatewayApiKey -Name 'Orders connector'

    The value is now on the clipboard, ready to paste into the connector's settings.

    .OUTPUTS
    None.

    .LINK
    about_GatewayApiKeys
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Low')]
    [OutputType([void])]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipeline, ValueFromPipelineByPropertyName)]
        [AllowEmptyString()]
        [string] $Name
    )
    begin {
        . Use-GatewayCallerPreference $PSCmdlet   # Private/GatewayPreferences.ps1
        # PowerShell 7's Set-Clipboard silently keeps the text to itself on Linux without xclip.
        $problem = $null
        if (-not (Get-Command -Name 'Set-Clipboard' -ErrorAction Ignore)) {
            $problem = 'This PowerShell has no Set-Clipboard.'
        } elseif (-not (Test-GatewayWindows) -and -not $IsMacOS -and
            (-not (Get-Command -Name 'xclip' -CommandType Application -ErrorAction Ignore) -or -not $env:DISPLAY)) {
            $problem = 'PowerShell reaches the clipboard on Linux through xclip and an X display (DISPLAY), and this session has not both.'
        }
        if ($problem) {
            $message = "No clipboard is available: $problem Use Show-GatewayApiKey to see the value instead."
            $PSCmdlet.ThrowTerminatingError((New-GatewayErrorRecord -ErrorId 'ClipboardUnavailable' -Message $message))
        }
    }
    process {
        $problem = Get-GatewayNameProblem -Name $Name
        if ($null -ne $problem) {
            Write-GatewayError -Cmdlet $PSCmdlet -ErrorRecord $problem
            return
        }
        if (-not $PSCmdlet.ShouldProcess($Name, 'Copy API key value to the clipboard')) { return }
        try {
            $revealed = Invoke-GatewayRpc -Method 'apiKey.reveal' -Params @{ name = $Name }
        } catch {
            Write-GatewayError -Cmdlet $PSCmdlet -ErrorRecord $_
            return
        }
        Set-Clipboard -Value $revealed.key
        Write-Verbose "Copied the value of '$($revealed.name)' to the clipboard."
    }
}
