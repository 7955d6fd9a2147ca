# A module's functions see the global preference variables, not their caller's: a script that sets
# $ErrorActionPreference = 'Stop' inside its own function would see a module cmdlet report an error
# and carry on. Every public cmdlet therefore starts with
#
#     . Use-GatewayCallerPreference $PSCmdlet
#
# (dot-sourced, so that the variables land in the cmdlet's own scope), which copies the caller's
# preferences unless the matching common parameter was given on the command itself.

function Use-GatewayCallerPreference {
    <#
    Copies the caller's preference variables into the scope it is dot-sourced into, each unless its
    common parameter was given. Its own variables land there too, hence their names. It runs on every
    call of every cmdlet, so it is written out, one line a preference: the loop over a table it
    replaced cost about 0.3 ms a call (bench/powershell-overhead.ps1).
    #>
    param([System.Management.Automation.PSCmdlet] $GatewayCaller)
    $gatewayBound = $GatewayCaller.MyInvocation.BoundParameters
    $gatewayFrom = $GatewayCaller.SessionState.PSVariable
    if (-not $gatewayBound.ContainsKey('ErrorAction')) { $ErrorActionPreference = $gatewayFrom.GetValue('ErrorActionPreference', $ErrorActionPreference) }
    if (-not $gatewayBound.ContainsKey('WarningAction')) { $WarningPreference = $gatewayFrom.GetValue('WarningPreference', $WarningPreference) }
    if (-not $gatewayBound.ContainsKey('InformationAction')) { $InformationPreference = $gatewayFrom.GetValue('InformationPreference', $InformationPreference) }
    if (-not $gatewayBound.ContainsKey('Verbose')) { $VerbosePreference = $gatewayFrom.GetValue('VerbosePreference', $VerbosePreference) }
    if (-not $gatewayBound.ContainsKey('Debug')) { $DebugPreference = $gatewayFrom.GetValue('DebugPreference', $DebugPreference) }
    if (-not $gatewayBound.ContainsKey('Confirm')) { $ConfirmPreference = $gatewayFrom.GetValue('ConfirmPreference', $ConfirmPreference) }
    if (-not $gatewayBound.ContainsKey('WhatIf')) { $WhatIfPreference = $gatewayFrom.GetValue('WhatIfPreference', $WhatIfPreference) }
    if (-not $gatewayBound.ContainsKey('ProgressAction')) { $ProgressPreference = $gatewayFrom.GetValue('ProgressPreference', $ProgressPreference) }
}
