# A module's functions see the global preference variables, not their caller's: a script that sets
# $ErrorActionPreference = 'Stop' inside its own function would see a module cmdlet report an error
# and carry on. Every public cmdlet therefore starts with
#
#     $ErrorActionPreference, $WarningPreference, $InformationPreference, $VerbosePreference, $DebugPreference,
#         $ConfirmPreference, $WhatIfPreference, $ProgressPreference = $script:GatewayCallerPreference::Of($PSCmdlet, $ExecutionContext.SessionState)
#
# which sets the caller's preferences in the cmdlet's own scope, each unless its common parameter was
# given on the command itself. It runs on every call of every cmdlet, so it costs what it must: a
# static method, which PowerShell compiles once, where the function it replaced had to be
# dot-sourced, and a dot-source makes PowerShell run the whole cmdlet with its variables looked up
# by name; about 0.1 ms a call of the 1 ms a round trip takes (bench/powershell-overhead.ps1).

class GatewayCallerPreference {
    # The preference variables in the order the cmdlets assign them, each with the common parameter
    # that sets it on the command itself (ProgressAction: PowerShell 7.4 and later).
    hidden static [string[]] $Variables = @('ErrorActionPreference', 'WarningPreference', 'InformationPreference', 'VerbosePreference',
        'DebugPreference', 'ConfirmPreference', 'WhatIfPreference', 'ProgressPreference')
    hidden static [string[]] $Parameters = @('ErrorAction', 'WarningAction', 'InformationAction', 'Verbose', 'Debug', 'Confirm', 'WhatIf', 'ProgressAction')

    # The values, in that order: the caller's ($Cmdlet.SessionState is the scope the command was
    # called from), or the command's own ($Own, the module's session state, read from the cmdlet's
    # scope) where its common parameter was given or the caller has none.
    static [object[]] Of([System.Management.Automation.PSCmdlet] $Cmdlet, [System.Management.Automation.SessionState] $Own) {
        $bound = $Cmdlet.MyInvocation.BoundParameters
        $caller = $Cmdlet.SessionState.PSVariable
        $values = [object[]]::new(8)
        for ($i = 0; $i -lt 8; $i++) {
            $name = [GatewayCallerPreference]::Variables[$i]
            $value = $null
            if (-not $bound.ContainsKey([GatewayCallerPreference]::Parameters[$i])) { $value = $caller.GetValue($name) }
            if ($null -eq $value) { $value = $Own.PSVariable.GetValue($name) }
            $values[$i] = $value
        }
        return $values
    }
}
# Kept as a type object: the functions of Public/ do not find a class of another file by name.
$script:GatewayCallerPreference = [GatewayCallerPreference]
