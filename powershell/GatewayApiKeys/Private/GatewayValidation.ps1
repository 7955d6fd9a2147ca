# Parameter validation that mirrors schemas/defs.json, so that a mistake fails at the prompt before a
# round trip. Each function returns $true or throws the schema's own message; ValidateScript shows it.

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
        throw 'A key name cannot contain control characters or start or end with white space.'
    }
    if ($length -lt 3) { throw 'A key name must have at least 3 characters.' }
    if ($length -gt 100) { throw 'A key name can have at most 100 characters.' }
    $true
}

function Assert-GatewayNamePattern {
    param([Parameter(Mandatory)] [AllowEmptyString()] [string] $Pattern)
    $length = Get-GatewayTextLength $Pattern
    if ($null -eq $length -or $length -gt 400) { throw 'A name pattern can have at most 400 characters.' }
    $true
}

function Assert-GatewayDescription {
    param([Parameter(Mandatory)] [AllowEmptyString()] [string] $Description)
    $length = Get-GatewayTextLength $Description
    if ($null -eq $length -or $Description.Contains([string][char]0)) {
        throw 'A description cannot contain NUL or unpaired surrogate characters.'
    }
    if ($length -gt 4000) { throw 'A description can have at most 4000 characters.' }
    $true
}
