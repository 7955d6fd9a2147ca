function Copy-GatewayApiKey {
    <#
    .SYNOPSIS
    Copies an API key's value to the clipboard, and clears it again after 30 seconds.

    .DESCRIPTION
    Puts the key's value on the clipboard without showing it. After -ClearAfter seconds (30 by
    default) a hidden process of its own clears the clipboard if it still holds that value, so
    that the value does not linger there (it also does when this session has ended by then); it
    leaves the clipboard alone if something else has been copied since. On Windows 10 (1809) and
    later the value is also kept out of clipboard history and cloud clipboard sync.

    Windows and macOS always have a clipboard; on Linux PowerShell reaches it through xclip, which
    needs an X display. Where there is no clipboard the command fails with ClipboardUnavailable
    before the value is fetched: use Show-GatewayApiKey there. -WhatIf only says what would be
    copied.

    .PARAMETER Name
    The key whose value to copy. Accepts pipeline input, by value and by property name.

    .PARAMETER ClearAfter
    Seconds after which the clipboard is cleared, if it still holds the value. Default 30; 0 leaves
    the value on the clipboard.

    .EXAMPLE
    Copy-GatewayApiKey -Name 'Orders connector'

    The value is now on the clipboard, ready to paste into the connector's settings, for 30 seconds.

    .EXAMPLE
    Copy-GatewayApiKey -Name 'Orders connector' -ClearAfter 120

    Gives two minutes to paste it.

    .INPUTS
    System.String, or any object with a Name property (such as GatewayApiKeys.ApiKey).

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
        [string] $Name,

        [ValidateRange(0, 86400)]
        [int] $ClearAfter = 30
    )
    begin {
        $ErrorActionPreference, $WarningPreference, $InformationPreference, $VerbosePreference, $DebugPreference,
            $ConfirmPreference, $WhatIfPreference, $ProgressPreference = $script:GatewayCallerPreference::Of($PSCmdlet, $ExecutionContext.SessionState)   # Private/GatewayPreferences.ps1
        $clipboardChecked = $false
    }
    process {
        $problem = Get-GatewayNameProblem -Name $Name
        if ($null -ne $problem) {
            Write-GatewayError -Cmdlet $PSCmdlet -ErrorRecord $problem
            return
        }
        if (-not (Confirm-GatewayChange -Cmdlet $PSCmdlet -Target $Name -Action 'Copy API key value to the clipboard')) { return }
        # Checked once there is something to copy: -WhatIf needs no clipboard.
        if (-not $clipboardChecked) {
            $missing = Get-GatewayClipboardProblem
            if ($missing) {
                $message = "No clipboard is available: $missing Use Show-GatewayApiKey to see the value instead."
                $PSCmdlet.ThrowTerminatingError((New-GatewayErrorRecord -ErrorId 'ClipboardUnavailable' -Message $message -TargetObject $Name))
            }
            $clipboardChecked = $true
        }
        try {
            $revealed = Invoke-GatewayRpc -Method 'apiKey.reveal' -Params @{ name = $Name }
        } catch {
            Write-GatewayError -Cmdlet $PSCmdlet -ErrorRecord $_
            return
        }
        Set-GatewayClipboardText -Text $revealed.key
        if ($ClearAfter -gt 0) {
            Start-GatewayClipboardClear -Seconds $ClearAfter -Text $revealed.key
            Write-Verbose "Copied the value of '$($revealed.name)' to the clipboard, to be cleared in $ClearAfter seconds."
        } else {
            Write-Verbose "Copied the value of '$($revealed.name)' to the clipboard."
        }
    }
}
