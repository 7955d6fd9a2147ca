# A module's functions see the global preference variables, not their caller's: a script that sets
# $ErrorActionPreference = 'Stop' inside its own function would see a module cmdlet report an error
# and carry on. Every public cmdlet therefore starts with
#
#     . Use-GatewayCallerPreference $PSCmdlet
#
# (dot-sourced, so that the variables land in the cmdlet's own scope), which copies the caller's
# preferences unless the matching common parameter was given on the command itself.

# Each preference variable, and the common parameter that sets it for one command.
$script:GatewayPreferenceParameters = @{
    ErrorActionPreference = 'ErrorAction'
    WarningPreference     = 'WarningAction'
    InformationPreference = 'InformationAction'
    VerbosePreference     = 'Verbose'
    DebugPreference       = 'Debug'
    ConfirmPreference     = 'Confirm'
    WhatIfPreference      = 'WhatIf'
    ProgressPreference    = 'ProgressAction'
}

function Use-GatewayCallerPreference {
    <#
    Copies the caller's preference variables into the scope it is dot-sourced into. Its own variables
    land there too, hence their names. Simple function, no advanced binding: it runs on every call.
    #>
    param([System.Management.Automation.PSCmdlet] $GatewayCaller)
    $gatewayBound = $GatewayCaller.MyInvocation.BoundParameters
    foreach ($gatewayPreference in $script:GatewayPreferenceParameters.GetEnumerator()) {
        if ($gatewayBound.ContainsKey($gatewayPreference.Value)) { continue }
        $gatewayVariable = $GatewayCaller.SessionState.PSVariable.Get($gatewayPreference.Key)
        if ($null -ne $gatewayVariable) { $ExecutionContext.SessionState.PSVariable.Set($gatewayPreference.Key, $gatewayVariable.Value) }
    }
}
