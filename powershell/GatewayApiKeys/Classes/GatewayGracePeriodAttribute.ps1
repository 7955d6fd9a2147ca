# -GracePeriod of Reset-GatewayApiKey is a [timespan] with this transformation: a number is hours,
# and text in the CLI's --grace grammar (24, 24h, 2d: x-shorthand of graceHours in the rotate
# params schema) is read as the CLI reads it. Anything else is left to the [timespan] conversion.
class GatewayGracePeriodAttribute : System.Management.Automation.ArgumentTransformationAttribute {
    [object] Transform([System.Management.Automation.EngineIntrinsics] $engineIntrinsics, [object] $inputData) {
        # What a command's output binds is wrapped in a PSObject: its BaseObject is the value.
        $value = $inputData
        if ($null -ne $value) { $value = $value.PSObject.BaseObject }
        if ($value -is [int] -or $value -is [long] -or $value -is [double] -or $value -is [decimal]) { return [timespan]::FromHours([double]$value) }
        if ($value -is [string]) {
            $match = [regex]::Match($value.Trim(), $script:GatewayRules.GraceShorthandPattern)
            if ($match.Success) {
                $hours = [double]$match.Groups[1].Value
                if ($match.Groups[2].Value -match '^[dD]$') { $hours *= 24 }
                return [timespan]::FromHours($hours)
            }
        }
        return $inputData
    }
}

