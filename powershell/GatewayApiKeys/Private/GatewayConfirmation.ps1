# Every confirmation of a change goes through Confirm-GatewayChange. A confirmation that cannot be
# asked (pwsh -NonInteractive, a scheduled task, standard input closed) makes ShouldProcess throw,
# and in a script function a throw inside the condition of an `if (-not ShouldProcess ...)` ends
# only that statement: the change on the next line would run anyway. Here such a throw is a "no"
# that ends the command, so nothing changes, and the error tells how to run the command unattended.

function Confirm-GatewayChange {
    <#
    ShouldProcess of $Cmdlet for $Target and $Action: $true to go on, $false for "no" or -WhatIf. When the
    confirmation cannot be asked, a terminating ConfirmationUnavailable error of $Cmdlet's.
    #>
    param(
        [Parameter(Mandatory)] [System.Management.Automation.PSCmdlet] $Cmdlet,
        [Parameter(Mandatory)] [string] $Target,
        [Parameter(Mandatory)] [string] $Action
    )
    try {
        return $Cmdlet.ShouldProcess($Target, $Action)
    } catch {
        $root = Get-GatewayRootException $_.Exception
        # Ctrl+C at the prompt, or "No to All" on an earlier object: PowerShell's own stop, not ours.
        if ($root -is [System.Management.Automation.PipelineStoppedException]) { throw }
        $command = $Cmdlet.MyInvocation.MyCommand
        $unattended = '-Confirm:$false'
        if ($command.Parameters.ContainsKey('Force')) { $unattended += ' or -Force' }
        $message = "$($command.Name) changed nothing: it must ask before it does '$Action' to '$Target', and this session " +
            "cannot ask (it is non-interactive, or its standard input is closed). In a script that runs unattended, pass $unattended."
        $Cmdlet.ThrowTerminatingError((New-GatewayErrorRecord -ErrorId 'ConfirmationUnavailable' -Message $message -TargetObject $Target))
    }
}
