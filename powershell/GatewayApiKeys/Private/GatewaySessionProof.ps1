# The proofs of the session handshake, protocol 3 (docs/protocol.md, Sessions): HMAC-SHA256 keyed
# by the role's token (UTF-8), over a label, the two nonces and the endpoint binding, in base64url
# without padding. The same computation as the daemon's (src/session-proof.ts); the tests check both
# against the worked example in test/fixtures/session-proof-example.json. Windows PowerShell 5.1 APIs only.

function ConvertTo-GatewayBase64Url([byte[]] $Bytes) {
    [System.Convert]::ToBase64String($Bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_')
}

function New-GatewayNonce {
    <# 32 random bytes from the system's CSPRNG, in base64url. #>
    $bytes = New-Object byte[] 32
    $random = [System.Security.Cryptography.RandomNumberGenerator]::Create()
    try { $random.GetBytes($bytes) } finally { $random.Dispose() }
    ConvertTo-GatewayBase64Url $bytes
}

function Get-GatewaySessionProof {
    <# HMAC-SHA256(token, label + "`n" + first + "`n" + second + "`n" + binding) in base64url. #>
    param([string] $Token, [string] $Label, [string] $First, [string] $Second, [string] $Binding)
    $key = $script:GatewayUtf8.GetBytes($Token)
    $hmac = New-Object System.Security.Cryptography.HMACSHA256 -ArgumentList (, $key)
    try {
        $proof = $hmac.ComputeHash($script:GatewayUtf8.GetBytes("$Label`n$First`n$Second`n$Binding"))
    } finally {
        $hmac.Dispose()
        [System.Array]::Clear($key, 0, $key.Length)
    }
    ConvertTo-GatewayBase64Url $proof
}

function Test-GatewaySameProof([string] $Expected, [string] $Presented) {
    <# Equality in constant time for proofs of one length (5.1 has no CryptographicOperations.FixedTimeEquals). #>
    if ($Expected.Length -ne $Presented.Length) { return $false }
    $difference = 0
    for ($i = 0; $i -lt $Expected.Length; $i++) { $difference = $difference -bor ([int][char]$Expected[$i] -bxor [int][char]$Presented[$i]) }
    $difference -eq 0
}
