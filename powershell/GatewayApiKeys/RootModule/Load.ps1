# Part of the root module (build/assemble-module.mjs puts it into GatewayApiKeys.psm1, where
# $PSScriptRoot is the module's folder): the output class, then every function of Private/ and
# Public/, dot-sourced so that each stays a file of its own.

# The output class, with the attribute that keeps Color out of ConvertTo-Json on this edition, and
# on PowerShell 7 the wire names System.Text.Json reads it by (Classes/GatewayApiKeyRecord.ps1 says why).
$serializationIgnore = 'Newtonsoft.Json.JsonIgnore'
$wireName = '[System.Text.Json.Serialization.JsonPropertyName(''$1'')]'
if ($PSVersionTable.PSEdition -ne 'Core') {
    Add-Type -AssemblyName System.Web.Extensions
    $serializationIgnore = 'System.Web.Script.Serialization.ScriptIgnore'
    $wireName = ''
}
$recordClass = [System.IO.File]::ReadAllText((Join-Path $PSScriptRoot 'Classes/GatewayApiKeyRecord.ps1'))
$recordClass = $recordClass.Replace('<#GatewaySerializationIgnore#>', "[$serializationIgnore()]") -replace "<#GatewayWireName\('(\w+)'\)#>", $wireName
. ([scriptblock]::Create($recordClass))
Remove-Variable -Name serializationIgnore, wireName, recordClass
# Kept as a type object, so that the functions of Private/ and Public/ need not find the class by name.
$script:GatewayApiKeyRecordType = [GatewayApiKeyRecord]

foreach ($folder in 'Private', 'Public') {
    foreach ($file in Get-ChildItem -Path (Join-Path $PSScriptRoot $folder) -Filter '*.ps1') {
        . $file.FullName
    }
}

$ExecutionContext.SessionState.Module.OnRemove = { Close-GatewayConnection }
