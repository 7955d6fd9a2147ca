# Checks with the rules of schemas/defs.json ($script:GatewayRules, generated into
# GatewayRules.generated.ps1), so that a mistake is refused before a round trip exactly as the daemon
# would refuse it: its code as the ErrorId, its message (docs/protocol.md, Errors). Scripts catch
# NameTooLong or ExpiryInvalid whichever side noticed. Each Get-...Problem function returns that
# ErrorRecord, or $null when the value is fine; the cmdlet writes it as its own error.

function Get-GatewayTextLength {
    <# Length as the daemon counts it: Unicode code points after NFC. $null when the text holds an unpaired surrogate. #>
    param([Parameter(Mandatory)] [AllowEmptyString()] [string] $Text)
    if ([regex]::IsMatch($Text, '[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]')) { return $null }
    $normal = $Text.Normalize([System.Text.NormalizationForm]::FormC)
    $normal.Length - [regex]::Matches($normal, '[\uD800-\uDBFF]').Count
}

function New-GatewayRuleError([string] $Rule, [string] $Field, [object] $TargetObject) {
    <# The daemon's error for a broken rule of $script:GatewayRules.Messages: its code and message. #>
    New-GatewayErrorRecord -ErrorId $script:GatewayRules.ErrorIds[$Rule] -Message $script:GatewayRules.Messages[$Rule] -TargetObject $TargetObject -Field $Field
}

function Get-GatewayNameProblem {
    <# A key name (-Name, -NewName) against the Name rules. #>
    param([AllowEmptyString()] [string] $Name, [string] $Field = 'name', [object] $TargetObject = $Name)
    $length = Get-GatewayTextLength $Name
    if ($null -eq $length -or [regex]::IsMatch($Name, '[\p{Cc}\u2028\u2029]') -or
        ($Name.Length -gt 0 -and ([char]::IsWhiteSpace($Name[0]) -or [char]::IsWhiteSpace($Name[$Name.Length - 1])))) {
        return (New-GatewayRuleError 'NameInvalid' $Field $TargetObject)
    }
    if ($length -lt $script:GatewayRules.NameMinLength) { return (New-GatewayRuleError 'NameTooShort' $Field $TargetObject) }
    if ($length -gt $script:GatewayRules.NameMaxLength) { return (New-GatewayRuleError 'NameTooLong' $Field $TargetObject) }
    $null
}

function Get-GatewayDescriptionProblem {
    param([AllowEmptyString()] [string] $Description, [object] $TargetObject)
    $length = Get-GatewayTextLength $Description
    if ($null -eq $length -or $Description.Contains([string][char]0)) {
        return (New-GatewayRuleError 'DescriptionInvalid' 'description' $TargetObject)
    }
    if ($length -gt $script:GatewayRules.DescriptionMaxLength) { return (New-GatewayRuleError 'DescriptionTooLong' 'description' $TargetObject) }
    $null
}

function Get-GatewayExpiryProblem {
    <#
    -ExpiresOn and -ValidFor of New-/Set-, as given (Get-GatewayGivenValue): both is InvalidParams, as
    the daemon says it; a -ValidFor outside the grammar is ExpiryInvalid. Whether the date is before
    today or beyond five years is the daemon's to say: only it knows the vault's today and time zone.
    #>
    param([Parameter(Mandatory)] [hashtable] $Given, [object] $TargetObject)
    if ($Given.ContainsKey('ExpiresOn') -and $Given.ContainsKey('ValidFor')) {
        return (New-GatewayErrorRecord -ErrorId 'InvalidParams' -Message 'Give either -ExpiresOn or -ValidFor, not both.' -TargetObject $TargetObject -Field 'validFor')
    }
    if ($Given.ContainsKey('ValidFor') -and $null -eq (ConvertTo-GatewayValidFor $Given['ValidFor'])) {
        return (New-GatewayRuleError 'ValidForInvalid' 'validFor' $TargetObject)
    }
    $null
}

function Assert-GatewayNamePattern {
    <# ValidateScript of Get-GatewayApiKey -Name: a wildcard pattern the daemon takes. #>
    param([Parameter(Mandatory)] [AllowEmptyString()] [string] $Pattern)
    $length = Get-GatewayTextLength $Pattern
    if ($null -eq $length -or $length -gt $script:GatewayRules.NamePatternMaxLength) {
        throw "A name pattern can have at most $($script:GatewayRules.NamePatternMaxLength) characters."
    }
    $true
}
