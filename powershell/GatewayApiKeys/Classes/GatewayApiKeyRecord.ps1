# The key objects the cmdlets output (Get-, New-, Set- -PassThru, Reset-, Disable-, Enable-): typed,
# so that Get-Member tells ExpiresOn, LastUsed and Created are dates and LastUsed may be $null
# ([Nullable[datetime]]), like RotatedAt (never rotated) and PreviousValidUntil (no previous value
# in its grace), and DisabledAt (an enabled key, or one disabled before the daemon kept when).
#
# Color is for display: the key table colours Status with it (GatewayApiKeys.format.ps1xml), and
# $key.Color reads it, but it is no data to export. Being hidden keeps it out of Export-Csv,
# Select-Object * and Format-List *; ConvertTo-Json skips it by an attribute, which Windows
# PowerShell 5.1 and PowerShell 7 spell differently (ScriptIgnore, JsonIgnore). So this file is not
# dot-sourced like the others, nor assembled into the root module: at load time, RootModule/Load.ps1
# puts the edition's attribute in place of the comment <#GatewaySerializationIgnore#> and then
# defines the class.
class GatewayApiKeyRecord {
    [string] $Name
    [string] $Description
    [datetime] $ExpiresOn
    [int] $DaysLeft
    [string] $Status
    <#GatewaySerializationIgnore#> hidden [string] $Color
    [Nullable[datetime]] $LastUsed
    [datetime] $Created
    [datetime] $Updated
    [string] $Hint
    [bool] $Enabled
    [Nullable[datetime]] $RotatedAt
    [Nullable[datetime]] $PreviousValidUntil
    [Nullable[datetime]] $DisabledAt
    [string] $DisabledReason
}
