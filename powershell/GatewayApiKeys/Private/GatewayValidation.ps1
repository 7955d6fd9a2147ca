# Parameter validation with the rules of schemas/defs.json ($script:GatewayRules, generated into
# GatewayRules.generated.ps1), so that a mistake fails at the prompt before a round trip. Each function
# returns $true or throws the schema's own message; ValidateScript shows it.

function Get-GatewayTextLength {
    <# Length as the daemon counts it: Unicode code points after NFC. $null when the text holds an unpaired surrogate. #>
    param([Parameter(Mandatory)] [AllowEmptyString()] [string] $Text)
    if ([regex]::IsMatch($Text, '[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]')) { return $null }
    $normal = $Text.Normalize([System.Text.NormalizationForm]::FormC)
    $normal.Length - [regex]::Matches($normal, '[\uD800-\uDBFF]').Count
}

function Assert-GatewayKeyName {
    param([Parameter(Mandatory)] [AllowEmptyString()] [string] $Name)
    $length = Get-GatewayTextLength $Name
    if ($null -eq $length -or [regex]::IsMatch($Name, '[\p{Cc}\u2028\u2029]') -or
        ($Name.Length -gt 0 -and ([char]::IsWhiteSpace($Name[0]) -or [char]::IsWhiteSpace($Name[$Name.Length - 1])))) {
        throw $script:GatewayRules.Messages.NameInvalid
    }
    if ($length -lt $script:GatewayRules.NameMinLength) { throw $script:GatewayRules.Messages.NameTooShort }
    if ($length -gt $script:GatewayRules.NameMaxLength) { throw $script:GatewayRules.Messages.NameTooLong }
    $true
}

function Assert-GatewayNamePattern {
    param([Parameter(Mandatory)] [AllowEmptyString()] [string] $Pattern)
    $length = Get-GatewayTextLength $Pattern
    if ($null -eq $length -or $length -gt $script:GatewayRules.NamePatternMaxLength) {
        throw "A name pattern can have at most $($script:GatewayRules.NamePatternMaxLength) characters."
    }
    $true
}

function Assert-GatewayDescription {
    param([Parameter(Mandatory)] [AllowEmptyString()] [string] $Description)
    $length = Get-GatewayTextLength $Description
    if ($null -eq $length -or $Description.Contains([string][char]0)) {
        throw $script:GatewayRules.Messages.DescriptionInvalid
    }
    if ($length -gt $script:GatewayRules.DescriptionMaxLength) { throw $script:GatewayRules.Messages.DescriptionTooLong }
    $true
}
