# -ExpiresOn of New-/Set-GatewayApiKey is [Nullable[datetime]] with this transformation: an empty or
# white-space value (a blank CSV cell) binds as $null, "not given", where a [datetime] would fail to
# convert it. The files of Public/ name it in full: PowerShell does not find a class of the module
# by its short attribute name from a dot-sourced file.
class GatewayOptionalDateAttribute : System.Management.Automation.ArgumentTransformationAttribute {
    [object] Transform([System.Management.Automation.EngineIntrinsics] $engineIntrinsics, [object] $inputData) {
        if ($null -eq $inputData -or ($inputData -is [string] -and $inputData.Trim().Length -eq 0)) { return $null }
        return $inputData
    }
}
