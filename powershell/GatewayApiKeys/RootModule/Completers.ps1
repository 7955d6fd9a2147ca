# Tab completion of key names, asked of the daemon. It must never disturb the prompt: when the
# daemon is down or refuses, there is simply nothing to offer, and $Error holds nothing of it
# (PowerShell records an error in $Error even when a catch handles it).
$nameCompleter = {
    param($commandName, $parameterName, $wordToComplete)
    $prefix = $wordToComplete.Trim('''', '"')
    $lastError = $null
    if ($global:Error.Count -gt 0) { $lastError = $global:Error[0] }
    $found = $null
    try {
        $found = Invoke-GatewayRpc -Method 'apiKey.list' -Params @{ name = "$prefix*"; limit = 100 } -ConnectTimeoutMilliseconds 1000
    } catch {
        $found = $null
    }
    while ($global:Error.Count -gt 0 -and -not [object]::ReferenceEquals($global:Error[0], $lastError)) { $global:Error.RemoveAt(0) }
    if ($null -eq $found) { return }
    foreach ($item in $found.items) {
        $text = $item.name
        if ($text -match '[\s''"`$(){}\[\];,@&|<>#]') { $text = "'" + $text.Replace("'", "''") + "'" }
        New-Object System.Management.Automation.CompletionResult -ArgumentList $text, $item.name, 'ParameterValue',
            "$($item.name) ($($item.status), expires $($item.expiresOn))"
    }
}
Register-ArgumentCompleter -CommandName 'Get-GatewayApiKey', 'Set-GatewayApiKey', 'Remove-GatewayApiKey',
    'Show-GatewayApiKey', 'Copy-GatewayApiKey', 'Reset-GatewayApiKey', 'Disable-GatewayApiKey', 'Enable-GatewayApiKey',
    'Get-GatewayApiKeyUsage' -ParameterName 'Name' -ScriptBlock $nameCompleter
Register-ArgumentCompleter -CommandName 'Get-GatewayApiKey' -ParameterName 'LiteralName' -ScriptBlock $nameCompleter

Register-ArgumentCompleter -CommandName 'New-GatewayApiKey', 'Set-GatewayApiKey' -ParameterName 'ValidFor' -ScriptBlock {
    param($commandName, $parameterName, $wordToComplete)
    foreach ($preset in $script:GatewayRules.ValidForPresets.Keys) {
        if ($preset -like "$wordToComplete*") {
            New-Object System.Management.Automation.CompletionResult -ArgumentList $preset, $preset, 'ParameterValue', $script:GatewayRules.ValidForPresets[$preset]
        }
    }
}
