# The module without a daemon: Invoke-GatewayRpc mocked, framing over in-memory streams, the
# format view rendered from hand-made objects.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestDaemon.psm1') -Force
    Import-TestedModule

    # What the daemon answers for a key (ApiKeyInfo), parsed from JSON as the module parses it.
    function New-KeyInfo {
        param(
            [string] $Name = 'Unit key',
            [string] $ExpiresOn = '2027-01-02',
            [int] $DaysLeft = 36,
            [string] $Status = 'Active',
            [string] $Color = 'Green',
            [string] $LastUsedAt = $null,
            [string] $PreviousValidUntil = $null
        )
        $lastUsed = 'null'
        if ($LastUsedAt) { $lastUsed = """$LastUsedAt""" }
        $enabled = 'true'
        if ($Status -eq 'Disabled') { $enabled = 'false' }
        $rotatedAt = 'null'
        $previous = 'null'
        if ($PreviousValidUntil) { $rotatedAt = '"2026-11-27T11:00:00.000Z"'; $previous = """$PreviousValidUntil""" }
        ConvertFrom-Json @"
{"name":"$Name","description":"unit","createdAt":"2026-11-27T10:00:00.000Z","updatedAt":"2026-11-27T11:00:00.000Z",
 "expiresOn":"$ExpiresOn","lastUsedAt":$lastUsed,"status":"$Status","color":"$Color","daysLeft":$DaysLeft,"hint":"gwk_AbCd",
 "enabled":$enabled,"rotatedAt":$rotatedAt,"previousValidUntil":$previous}
"@
    }

    # In-memory stand-ins for the daemon's end of the pipe: TrickleStream answers with the bytes it
    # is given, at most three per read as a pipe may, and keeps what is written to it in Sent;
    # SilentStream takes requests and never answers.
    if (-not ('GatewayTest.TrickleStream' -as [type])) {
        Add-Type -TypeDefinition @'
namespace GatewayTest {
    using System.IO;
    using System.Threading;
    using System.Threading.Tasks;
    public class TrickleStream : MemoryStream {
        public readonly MemoryStream Sent = new MemoryStream();
        public TrickleStream(byte[] answer) : base(answer) { }
        public override int Read(byte[] buffer, int offset, int count) { return base.Read(buffer, offset, System.Math.Min(count, 3)); }
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken token) {
            return Task.FromResult(Read(buffer, offset, count));
        }
        public override void Write(byte[] buffer, int offset, int count) { Sent.Write(buffer, offset, count); }
    }
    public class SilentStream : MemoryStream {
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken token) {
            return new TaskCompletionSource<int>().Task;
        }
    }
}
'@
    }

    # A connection as Open-GatewayStream makes it, over one of the streams above, its session open
    # unless -Hello is $null (the handshake under way).
    function New-TestConnection([System.IO.Stream] $Stream, [int] $BufferSize = 65536, [int] $NextId = 1, [object] $Hello = [pscustomobject]@{ role = 'admin' }) {
        @{ Pipe = 'test'; Stream = $Stream; Buffer = [byte[]]::new($BufferSize); Count = 0; NextId = $NextId; TimeoutMilliseconds = 300; Hello = $Hello }
    }

    # One request and its answer over such a connection, by the module's own framing.
    function Invoke-TestExchange([hashtable] $Connection, [string] $Method = 'daemon.status', [hashtable] $Params = @{}) {
        InModuleScope GatewayApiKeys -Parameters @{ Connection = $Connection; Method = $Method; Params = $Params } {
            param($Connection, $Method, $Params)
            Invoke-GatewayExchange $Connection $Method $Params
        }
    }

    # Frames as the daemon writes them: Content-Length counts the UTF-8 bytes of each body.
    function New-FrameBytes([string[]] $Body) {
        $utf8 = New-Object System.Text.UTF8Encoding -ArgumentList $false
        $bytes = New-Object System.Collections.Generic.List[byte]
        foreach ($one in $Body) {
            $encoded = $utf8.GetBytes($one)
            $bytes.AddRange([System.Text.Encoding]::ASCII.GetBytes("Content-Length: $($encoded.Length)`r`n`r`n"))
            $bytes.AddRange($encoded)
        }
        $bytes.ToArray()
    }
}

Describe 'Requests the cmdlets send (Invoke-GatewayRpc mocked)' {
    BeforeEach {
        Mock -ModuleName GatewayApiKeys Invoke-GatewayRpc { [pscustomobject]@{ items = @(); total = 0 } } -ParameterFilter { $Method -eq 'apiKey.list' }
        Mock -ModuleName GatewayApiKeys Invoke-GatewayRpc { New-KeyInfo -Name $Params.name } -ParameterFilter { $Method -in 'apiKey.get', 'apiKey.update' }
        Mock -ModuleName GatewayApiKeys Invoke-GatewayRpc {
            $info = New-KeyInfo -Name $Params.name
            Add-Member -InputObject $info -NotePropertyName key -NotePropertyValue ('gwk_' + 'A' * 49) -PassThru
        } -ParameterFilter { $Method -eq 'apiKey.create' }
        Mock -ModuleName GatewayApiKeys Invoke-GatewayRpc { [pscustomobject]@{ authenticated = $false; reason = 'Unknown' } } -ParameterFilter { $Method -eq 'apiKey.verify' }
    }

    It 'Get-GatewayApiKey turns every filter into apiKey.list params, in the daemon''s spelling' {
        Get-GatewayApiKey -Name 'Ord*' -Status expired, Active, EXPIRED -SortBy LastUsed -Descending -AsOf '2027-01-02T23:30:00' -Skip 5 -First 10
        Should -Invoke -ModuleName GatewayApiKeys Invoke-GatewayRpc -Times 1 -Exactly -ParameterFilter {
            $Method -eq 'apiKey.list' -and $Params.name -eq 'Ord*' -and ($Params.status -join ',') -ceq 'Active,Expired' -and
            $Params.sortBy -ceq 'lastUsedAt' -and $Params.descending -eq $true -and $Params.asOf -eq '2027-01-02' -and
            $Params.offset -eq 5 -and $Params.limit -eq 10 -and $Params.Count -eq 7
        }
    }

    It 'Get-GatewayApiKey -LiteralName with filters or paging sends literalName as it is, and leaves paging to the daemon' {
        Get-GatewayApiKey -LiteralName 'Star * key?', 'Plain key' -Status Active -Skip 1 -First 2
        Should -Invoke -ModuleName GatewayApiKeys Invoke-GatewayRpc -Times 1 -Exactly -ParameterFilter {
            $Method -eq 'apiKey.list' -and $Params.literalName -ceq 'Star * key?' -and -not $Params.ContainsKey('name') -and
            ($Params.status -join ',') -ceq 'Active' -and $Params.offset -eq 1 -and $Params.limit -eq 2 -and $Params.Count -eq 4
        }
        Should -Invoke -ModuleName GatewayApiKeys Invoke-GatewayRpc -Times 1 -Exactly -ParameterFilter {
            $Method -eq 'apiKey.list' -and $Params.literalName -ceq 'Plain key' -and -not $Params.ContainsKey('name')
        }
        Get-GatewayApiKey -LiteralName 'Star * key?'
        Should -Invoke -ModuleName GatewayApiKeys Invoke-GatewayRpc -Times 1 -Exactly -ParameterFilter {
            $Method -eq 'apiKey.get' -and $Params.name -ceq 'Star * key?' -and $Params.Count -eq 1
        }
    }

    It 'Get-GatewayApiKey without -Name lists everything, with no params' {
        Get-GatewayApiKey
        Should -Invoke -ModuleName GatewayApiKeys Invoke-GatewayRpc -Times 1 -Exactly -ParameterFilter { $Method -eq 'apiKey.list' -and $Params.Count -eq 0 }
    }

    It 'Get-GatewayApiKey -Name without wildcards is one apiKey.get per name' {
        $keys = Get-GatewayApiKey -Name 'One key', 'Two key'
        $keys.Name | Should -Be 'One key', 'Two key'
        Should -Invoke -ModuleName GatewayApiKeys Invoke-GatewayRpc -Times 2 -Exactly -ParameterFilter { $Method -eq 'apiKey.get' }
    }

    It 'New-GatewayApiKey sends -ValidFor <ValidFor> as <Sent>' -TestCases @(
        @{ ValidFor = '7d'; Sent = 'P7D' }
        @{ ValidFor = '1Y'; Sent = 'P1Y' }
        @{ ValidFor = '180D'; Sent = 'P180D' }
        @{ ValidFor = 'p1y2m'; Sent = 'P1Y2M' }
        @{ ValidFor = 'P3W'; Sent = 'P3W' }
    ) {
        $null = New-GatewayApiKey -Name 'Unit key' -ValidFor $ValidFor
        Should -Invoke -ModuleName GatewayApiKeys Invoke-GatewayRpc -Times 1 -Exactly -ParameterFilter {
            $Method -eq 'apiKey.create' -and $Params.validFor -ceq $Sent -and -not $Params.Contains('expiresOn')
        }
    }

    It 'New-GatewayApiKey sends -ExpiresOn as YYYY-MM-DD in any culture, and no expiry when none is given' {
        $saved = [System.Globalization.CultureInfo]::CurrentCulture
        try {
            [System.Globalization.CultureInfo]::CurrentCulture = 'ar-SA'   # Hijri calendar, Arabic digits
            $null = New-GatewayApiKey -Name 'Unit key' -ExpiresOn ([datetime]::new(2027, 3, 31, 23, 59, 0))
        } finally {
            [System.Globalization.CultureInfo]::CurrentCulture = $saved
        }
        $null = New-GatewayApiKey -Name 'Unit key two'
        Should -Invoke -ModuleName GatewayApiKeys Invoke-GatewayRpc -Times 1 -Exactly -ParameterFilter { $Params.expiresOn -ceq '2027-03-31' }
        Should -Invoke -ModuleName GatewayApiKeys Invoke-GatewayRpc -Times 1 -Exactly -ParameterFilter { $Params.name -eq 'Unit key two' -and $Params.Count -eq 1 }
    }

    It 'New-GatewayApiKey returns the value as a SecureString, or as text with -AsPlainText' {
        $secure = New-GatewayApiKey -Name 'Unit key'
        $secure.Key | Should -BeOfType [System.Security.SecureString]
        [System.Net.NetworkCredential]::new('', $secure.Key).Password | Should -Be ('gwk_' + 'A' * 49)
        (New-GatewayApiKey -Name 'Unit key' -AsPlainText).Key | Should -Be ('gwk_' + 'A' * 49)
    }

    It 'Set-GatewayApiKey sends only what it is given' {
        Set-GatewayApiKey -Name 'Unit key' -Description ''
        Should -Invoke -ModuleName GatewayApiKeys Invoke-GatewayRpc -Times 1 -Exactly -ParameterFilter {
            $Method -eq 'apiKey.update' -and $Params.Count -eq 2 -and $Params.description -eq ''
        }
        Set-GatewayApiKey -Name 'Unit key' -NewName 'Unit key 2' -ValidFor 30d
        Should -Invoke -ModuleName GatewayApiKeys Invoke-GatewayRpc -Times 1 -Exactly -ParameterFilter {
            $Params.Count -eq 3 -and $Params.newName -eq 'Unit key 2' -and $Params.validFor -eq 'P30D'
        }
    }

    It 'Test-GatewayApiKey sends the clear value of a SecureString and answers $false with the reason' {
        $secure = ConvertTo-SecureString -String 'gwk_secret' -AsPlainText -Force
        Test-GatewayApiKey -Key $secure | Should -BeFalse
        (Test-GatewayApiKey -Key $secure -Detailed).Reason | Should -Be 'Unknown'
        Should -Invoke -ModuleName GatewayApiKeys Invoke-GatewayRpc -Times 2 -Exactly -ParameterFilter { $Params.key -ceq 'gwk_secret' }
    }

    It 'Test-GatewayApiKey sends a value read by Get-Content as the bare string, without its PSPath (Windows PowerShell 5.1 would serialise those)' {
        $file = Join-Path $TestDrive 'billing.key'
        Set-Content -Path $file -Value 'gwk_fromfile'
        Get-Content -Path $file | Test-GatewayApiKey | Should -BeFalse
        Should -Invoke -ModuleName GatewayApiKeys Invoke-GatewayRpc -Times 1 -Exactly -ParameterFilter {
            $Params.key -ceq 'gwk_fromfile' -and $null -eq $Params.key.PSObject.Properties['PSPath'] -and $null -eq $Params.key.PSObject.Properties['ReadCount']
        }
    }

    It 'accepts a name of the longest length as the daemon counts it (code points), even when longer in UTF-16' {
        $longest = (Get-GeneratedRules).NameMaxLength
        $astral = [char]::ConvertFromUtf32(0x1F511) * $longest
        $astral.Length | Should -Be (2 * $longest)
        $null = New-GatewayApiKey -Name $astral
        Should -Invoke -ModuleName GatewayApiKeys Invoke-GatewayRpc -Times 1 -Exactly -ParameterFilter { $Method -eq 'apiKey.create' }
    }
}

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestDaemon.psm1') -Force
    $rules = Get-GeneratedRules
    $shortName = 'n' * ($rules.NameMinLength - 1)
    $longName = 'n' * ($rules.NameMaxLength + 1)
    $longDescription = 'd' * ($rules.DescriptionMaxLength + 1)
}

Describe 'Validation mirrors the schema: the daemon''s code and message, no round trip for a mistake' {
    BeforeAll {
        Mock -ModuleName GatewayApiKeys Invoke-GatewayRpc { throw 'no request may be sent' }
        $rules = Get-GeneratedRules
        $shortName = 'n' * ($rules.NameMinLength - 1)
    }

    It '<Command> refuses <Why> with <Code>' -TestCases @(
        @{ Command = 'New-GatewayApiKey'; Why = 'a name too short'; Splat = @{ Name = $shortName }; Code = 'NameTooShort'; Rule = 'NameTooShort' }
        @{ Command = 'New-GatewayApiKey'; Why = 'an empty name'; Splat = @{ Name = '' }; Code = 'NameTooShort'; Rule = 'NameTooShort' }
        @{ Command = 'New-GatewayApiKey'; Why = 'a name too long'; Splat = @{ Name = $longName }; Code = 'NameTooLong'; Rule = 'NameTooLong' }
        @{ Command = 'New-GatewayApiKey'; Why = 'a name with leading white space'; Splat = @{ Name = ' Leading' }; Code = 'NameInvalid'; Rule = 'NameInvalid' }
        @{ Command = 'New-GatewayApiKey'; Why = 'a name with trailing white space'; Splat = @{ Name = "Trailing$([char]0x00A0)" }; Code = 'NameInvalid'; Rule = 'NameInvalid' }
        @{ Command = 'New-GatewayApiKey'; Why = 'a name with a control character'; Splat = @{ Name = "Tab`there" }; Code = 'NameInvalid'; Rule = 'NameInvalid' }
        @{ Command = 'New-GatewayApiKey'; Why = 'a name with an unpaired surrogate'; Splat = @{ Name = "Half$([char]0xD83D)key" }; Code = 'NameInvalid'; Rule = 'NameInvalid' }
        @{ Command = 'New-GatewayApiKey'; Why = 'a description too long'; Splat = @{ Name = 'Unit key'; Description = $longDescription }; Code = 'DescriptionTooLong'; Rule = 'DescriptionTooLong' }
        @{ Command = 'New-GatewayApiKey'; Why = 'a description with NUL'; Splat = @{ Name = 'Unit key'; Description = "a$([char]0)b" }; Code = 'InvalidParams'; Rule = 'DescriptionInvalid' }
        @{ Command = 'New-GatewayApiKey'; Why = '-ValidFor 2q (no such unit)'; Splat = @{ Name = 'Unit key'; ValidFor = '2q' }; Code = 'ExpiryInvalid'; Rule = 'ValidForInvalid' }
        @{ Command = 'New-GatewayApiKey'; Why = '-ValidFor P1H (not a date duration)'; Splat = @{ Name = 'Unit key'; ValidFor = 'P1H' }; Code = 'ExpiryInvalid'; Rule = 'ValidForInvalid' }
        @{ Command = 'New-GatewayApiKey'; Why = '-ValidFor P (no amount)'; Splat = @{ Name = 'Unit key'; ValidFor = 'P' }; Code = 'ExpiryInvalid'; Rule = 'ValidForInvalid' }
        @{ Command = 'Set-GatewayApiKey'; Why = 'a -NewName too short'; Splat = @{ Name = 'Unit key'; NewName = $shortName }; Code = 'NameTooShort'; Rule = 'NameTooShort' }
        @{ Command = 'Set-GatewayApiKey'; Why = 'a description too long'; Splat = @{ Name = 'Unit key'; Description = $longDescription }; Code = 'DescriptionTooLong'; Rule = 'DescriptionTooLong' }
        @{ Command = 'Set-GatewayApiKey'; Why = 'a -ValidFor outside the grammar'; Splat = @{ Name = 'Unit key'; ValidFor = '1.5y' }; Code = 'ExpiryInvalid'; Rule = 'ValidForInvalid' }
        @{ Command = 'Set-GatewayApiKey'; Why = 'a name too long'; Splat = @{ Name = $longName; Description = 'x' }; Code = 'NameTooLong'; Rule = 'NameTooLong' }
        @{ Command = 'Remove-GatewayApiKey'; Why = 'a name too short'; Splat = @{ Name = $shortName; Force = $true }; Code = 'NameTooShort'; Rule = 'NameTooShort' }
        @{ Command = 'Show-GatewayApiKey'; Why = 'a name too long'; Splat = @{ Name = $longName }; Code = 'NameTooLong'; Rule = 'NameTooLong' }
    ) {
        $failed = { & $Command @Splat -ErrorAction Stop } | Should -Throw -ErrorId "$Code,$Command" -PassThru
        $failed.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $failed.Exception | Should -BeOfType [System.ArgumentException]
        $failed.Exception.Message | Should -BeExactly $rules.Messages[$Rule]
        $rules.ErrorIds[$Rule] | Should -Be $Code
        Should -Invoke -ModuleName GatewayApiKeys Invoke-GatewayRpc -Times 0 -Exactly
    }

    It 'reports a mistake in one pipeline input and goes on with the next, as the daemon''s errors do' {
        $made = @([pscustomobject]@{ Name = $shortName }, [pscustomobject]@{ Name = 'Unit key'; ValidFor = 'soon' }) |
            New-GatewayApiKey -ErrorVariable failed -ErrorAction SilentlyContinue
        $made | Should -BeNullOrEmpty
        @($failed | ForEach-Object FullyQualifiedErrorId) | Should -Be 'NameTooShort,New-GatewayApiKey', 'ExpiryInvalid,New-GatewayApiKey'
        $failed[1].TargetObject | Should -Be 'Unit key'
    }

    It 'Get-GatewayApiKey refuses <Why> at parameter binding' -TestCases @(
        @{ Why = 'an unknown status'; Splat = @{ Status = 'Soon' }; Message = 'Soon' }
        @{ Why = 'an unknown sort column'; Splat = @{ SortBy = 'Hint' }; Message = 'Hint' }
    ) {
        $failed = { Get-GatewayApiKey @Splat } | Should -Throw -ErrorId 'ParameterArgumentValidationError,Get-GatewayApiKey' -PassThru
        $failed.Exception.Message | Should -Match ([regex]::Escape($Message))
        Should -Invoke -ModuleName GatewayApiKeys Invoke-GatewayRpc -Times 0 -Exactly
    }

    It 'refuses -ExpiresOn together with -ValidFor with InvalidParams, as the daemon does' {
        { New-GatewayApiKey -Name 'Unit key' -ExpiresOn '2027-01-01' -ValidFor 30d -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidParams,New-GatewayApiKey'
        { Set-GatewayApiKey -Name 'Unit key' -ExpiresOn '2027-01-01' -ValidFor 30d -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidParams,Set-GatewayApiKey'
        Should -Invoke -ModuleName GatewayApiKeys Invoke-GatewayRpc -Times 0 -Exactly
    }
}

BeforeDiscovery {
    $errorCodes = (Get-Content -Raw (Join-Path $PSScriptRoot '../../schemas/defs.json') | ConvertFrom-Json).'$defs'.ErrorCode.enum
}

Describe 'Errors: the daemon''s code as ErrorId, a fitting category, the message intact' {
    BeforeAll {
        $expectedCategory = @{
            Unauthenticated = 'PermissionDenied'; Forbidden = 'PermissionDenied'; NameTaken = 'ResourceExists'
            KeyNotFound = 'ObjectNotFound'; Internal = 'NotSpecified'; KeyDisabled = 'InvalidOperation'
            BackupInvalid = 'InvalidData'; PassphraseWrong = 'AuthenticationError'; TooManySessions = 'LimitsExceeded'
            Conflict = 'ResourceBusy'; StoreUnavailable = 'ConnectionError'
        }
    }

    It 'knows the 20 codes of schemas/defs.json' -TestCases @{ Count = @($errorCodes).Count } {
        $Count | Should -Be 20
    }

    It 'maps <_> from the daemon to ErrorId <_> and its category' -ForEach $errorCodes {
        $code = $_
        $rpcError = ConvertFrom-Json "{""code"":-32000,""message"":""Message of $code."",""data"":{""code"":""$code"",""field"":""name""}}"
        Mock -ModuleName GatewayApiKeys Invoke-GatewayRpc {
            throw (& (Get-Module GatewayApiKeys) { param($e, $t) ConvertFrom-GatewayRpcError -RpcError $e -TargetObject $t } $rpcError $Params.name)
        }
        $category = $expectedCategory[$code]
        if (-not $category) { $category = 'InvalidArgument' }

        $errors = $null
        try {
            'First key', 'Second key' | Remove-GatewayApiKey -Force -ErrorVariable errors -ErrorAction SilentlyContinue
        } catch {
            $errors = @($_)
        }
        # -ErrorVariable also holds what the module caught on the way; the cmdlet's own errors end in its name.
        $written = @($errors | Where-Object FullyQualifiedErrorId -EQ "$code,Remove-GatewayApiKey")
        $calls = 2
        # A terminating code ends the pipeline at the first key (x-codes' terminating).
        if ($code -in 'Unauthenticated', 'Forbidden', 'TooManySessions', 'StoreUnavailable') { $calls = 1 }
        $written.Count | Should -Be $calls
        $written = $written[0]
        $written.CategoryInfo.Category | Should -Be $category
        $written.Exception.Message | Should -Be "Message of $code."
        $written.Exception.Data['Field'] | Should -Be 'name'
        $written.TargetObject | Should -Be 'First key'
        # A refused session ends the command; a problem with one key does not stop the next.
        Should -Invoke -ModuleName GatewayApiKeys Invoke-GatewayRpc -Times $calls -Exactly
    }

    It 'keeps the JSON-RPC number of an error without a code: JsonRpc-32601' {
        $record = InModuleScope GatewayApiKeys { ConvertFrom-GatewayRpcError -RpcError (ConvertFrom-Json '{"code":-32601,"message":"Unhandled method x"}') }
        $record.FullyQualifiedErrorId | Should -Be 'JsonRpc-32601'
        $record.Exception.Message | Should -Be 'Unhandled method x'
    }
}

Describe 'Framing (Content-Length, UTF-8 bytes, short reads)' {
    It 'writes Content-Length as the UTF-8 byte count of the body' {
        $stream = [GatewayTest.TrickleStream]::new((New-FrameBytes '{"jsonrpc":"2.0","id":7,"result":{}}'))
        $connection = New-TestConnection -Stream $stream -NextId 7
        $null = Invoke-TestExchange $connection 'apiKey.create' @{ name = "Clé 🔑 ünïcödé" }
        $sent = $stream.Sent.ToArray()
        $text = [System.Text.Encoding]::UTF8.GetString($sent)
        $header = [regex]::Match($text, "^Content-Length: (\d+)`r`n`r`n")
        $header.Success | Should -BeTrue
        $headerLength = [System.Text.Encoding]::UTF8.GetByteCount($header.Value)
        [int]$header.Groups[1].Value | Should -Be ($sent.Length - $headerLength)
        $request = [System.Text.Encoding]::UTF8.GetString($sent, $headerLength, $sent.Length - $headerLength) | ConvertFrom-Json
        $request.jsonrpc | Should -Be '2.0'
        $request.id | Should -Be 7
        $request.method | Should -Be 'apiKey.create'
        $request.params.name | Should -Be "Clé 🔑 ünïcödé"
        $connection.NextId | Should -Be 8
        $connection.Sent | Should -BeTrue
    }

    It 'reads answers that arrive a few bytes at a time, multi-byte characters split, two frames back to back' {
        $bytes = New-FrameBytes '{"jsonrpc":"2.0","id":1,"result":{"name":"Ключ 🔑 one"}}', '{"jsonrpc":"2.0","id":2,"result":{"name":"2026-01-01T00:00:00Z"}}'
        # A small buffer, so that it has to grow to hold a frame.
        $connection = New-TestConnection -Stream ([GatewayTest.TrickleStream]::new($bytes)) -BufferSize 64
        $results = (Invoke-TestExchange $connection 'apiKey.get' @{ name = 'one' }).result, (Invoke-TestExchange $connection 'apiKey.get' @{ name = 'two' }).result
        $results[0].name | Should -Be 'Ключ 🔑 one'
        # A name that looks like an instant stays the text it is.
        $results[1].name | Should -BeOfType [string]
        $results[1].name | Should -Be '2026-01-01T00:00:00Z'
    }

    It 'refuses <Why> as DaemonProtocolError' -TestCases @(
        @{ Why = 'a frame without Content-Length'; Text = "Content-Type: x`r`n`r`n{}" }
        @{ Why = 'a header section over 4 KiB'; Text = 'X' * 5000 }
        @{ Why = 'an answer to another request'; Text = "Content-Length: 36`r`n`r`n" + '{"jsonrpc":"2.0","id":9,"result":{}}' }
        @{ Why = 'an answer that is not JSON'; Text = "Content-Length: 5`r`n`r`n" + '{"jso' }
        @{ Why = 'an answer that is no response object'; Text = "Content-Length: 2`r`n`r`n" + '42' }
        @{ Why = 'a frame over 500 MiB, before a byte of it is allocated'; Text = "Content-Length: 524288001`r`n`r`n{" }
    ) {
        $connection = New-TestConnection -Stream ([GatewayTest.TrickleStream]::new([System.Text.Encoding]::ASCII.GetBytes($Text)))
        $failed = { Invoke-TestExchange $connection } | Should -Throw -ErrorId 'DaemonProtocolError' -PassThru
        $failed.CategoryInfo.Category | Should -Be 'ProtocolError'
        $connection.Buffer.Length | Should -Be 65536
    }

    It 'before hello has answered, refuses <Why> as DaemonImpostor: what answers has proved nothing' -TestCases @(
        @{ Why = 'a frame over 4 KiB'; Text = "Content-Length: 4097`r`n`r`n{"; Problem = 'a frame of 4097 bytes is over the limit of 4096' }
        @{ Why = 'a frame without Content-Length'; Text = "Content-Type: x`r`n`r`n{}"; Problem = 'a frame has no Content-Length' }
        @{ Why = 'an answer that is not JSON'; Text = "Content-Length: 5`r`n`r`n" + '{"jso'; Problem = 'an answer is not JSON' }
    ) {
        $connection = New-TestConnection -Stream ([GatewayTest.TrickleStream]::new([System.Text.Encoding]::ASCII.GetBytes($Text))) -Hello $null
        $failed = { Invoke-TestExchange $connection 'session.challenge' } | Should -Throw -ErrorId 'DaemonImpostor' -PassThru
        $failed.CategoryInfo.Category | Should -Be 'SecurityError'
        $failed.Exception.Message | Should -Be "What answers on 'test' is not the gateway-apikeys daemon: it answers with what no daemon sends ($Problem). Nothing secret was sent to it."
    }

    It 'turns a connection closed in mid-frame into DaemonConnectionLost and drops the connection' {
        $partial = [System.Text.Encoding]::ASCII.GetBytes("Content-Length: 50`r`n`r`n{""jsonrpc""")
        $connection = New-TestConnection -Stream ([GatewayTest.TrickleStream]::new($partial))
        $failed = {
            InModuleScope GatewayApiKeys -Parameters @{ Connection = $connection } {
                param($Connection)
                $script:GatewayConnection = $Connection
                Invoke-GatewayRpc -Method 'daemon.status'
            }
        } | Should -Throw -ErrorId 'DaemonConnectionLost' -PassThru
        $failed.CategoryInfo.Category | Should -Be 'ConnectionError'
        $failed.Exception.Message | Should -Be "The connection to the gateway-apikeys daemon at 'test' was lost: The daemon closed the connection."
        InModuleScope GatewayApiKeys { $script:GatewayConnection } | Should -BeNullOrEmpty
    }
}

Describe 'Why a connection could not be opened (what only Windows shows, with mocks)' {
    It 'fails at once, without waiting the timeout, when no Windows pipe of that name exists' {
        # NamedPipeClientStream.Connect(timeout) retries a missing pipe until the timeout ends.
        Mock -ModuleName GatewayApiKeys Test-GatewayWindows { $true }
        Mock -ModuleName GatewayApiKeys Test-GatewayPipeExists { $false }
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        $failed = {
            InModuleScope GatewayApiKeys { Open-GatewayStream -Pipe '\\.\pipe\gwk-nobody-here' -TimeoutMilliseconds 4000 }
        } | Should -Throw -ErrorId 'DaemonUnreachable' -PassThru
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 2
        $failed.Exception.Message | Should -BeLike "Cannot connect to the gateway-apikeys daemon at '\\.\pipe\gwk-nobody-here': there is no pipe of that name on this machine, so the daemon is not running or its pipe is elsewhere. *"
        Should -Invoke -ModuleName GatewayApiKeys Test-GatewayPipeExists -Times 1 -Exactly -ParameterFilter { $Name -eq 'gwk-nobody-here' }
    }

    It 'takes a pipe for there when the pipe list cannot be read (as under Wine), leaving the wait to Connect' {
        if ($IsWindows) { Skip-TestBecause 'Windows lists \\.\pipe\ (only elsewhere does reading it fail, as it does under Wine)'; return }
        InModuleScope GatewayApiKeys { Test-GatewayPipeExists -Name 'gwk-nobody-here' } | Should -BeTrue
    }

    It 'asks the pipe list only for pipes on this machine' {
        Mock -ModuleName GatewayApiKeys Test-GatewayWindows { $true }
        Mock -ModuleName GatewayApiKeys Test-GatewayPipeExists { $false }
        { InModuleScope GatewayApiKeys { Open-GatewayStream -Pipe '\\server\pipe\gwk' -TimeoutMilliseconds 10 } } | Should -Throw
        Should -Invoke -ModuleName GatewayApiKeys Test-GatewayPipeExists -Times 0 -Exactly
    }

    It 'says DaemonAccessDenied (PermissionDenied) with the account when Windows refuses the pipe' {
        Mock -ModuleName GatewayApiKeys Test-GatewayWindows { $true }
        $record = InModuleScope GatewayApiKeys {
            ConvertTo-GatewayConnectFailure -Pipe '\\.\pipe\gateway-apikeys' -Exception ([System.UnauthorizedAccessException]::new('Access to the path is denied.'))
        }
        $record.FullyQualifiedErrorId | Should -Be 'DaemonAccessDenied'
        $record.CategoryInfo.Category | Should -Be 'PermissionDenied'
        $record.Exception | Should -BeOfType [System.UnauthorizedAccessException]
        $account = [System.Environment]::UserDomainName + '\' + [System.Environment]::UserName
        $record.Exception.Message | Should -BeLike "Cannot connect to the gateway-apikeys daemon at '\\.\pipe\gateway-apikeys': Windows denied the account '$account' access to this pipe. *"
        $record.Exception.Message | Should -Not -Match 'not running'
    }

    It 'ends every message as a sentence: <Why>' -TestCases @(
        @{ Why = 'no socket'; Id = 'DaemonUnreachable'; Exception = [System.Net.Sockets.SocketException]::new([int][System.Net.Sockets.SocketError]::AddressNotAvailable) }
        @{ Why = 'refused'; Id = 'DaemonUnreachable'; Exception = [System.Net.Sockets.SocketException]::new([int][System.Net.Sockets.SocketError]::ConnectionRefused) }
        @{ Why = 'a timeout'; Id = 'DaemonUnreachable'; Exception = [System.TimeoutException]::new('No answer within 10 ms.') }
        @{ Why = 'a reason without a full stop'; Id = 'DaemonUnreachable'; Exception = [System.IO.IOException]::new('Broken pipe') }
        @{ Why = 'access denied'; Id = 'DaemonAccessDenied'; Exception = [System.Net.Sockets.SocketException]::new([int][System.Net.Sockets.SocketError]::AccessDenied) }
    ) {
        $record = InModuleScope GatewayApiKeys -Parameters @{ Exception = $Exception } {
            param($Exception)
            ConvertTo-GatewayConnectFailure -Pipe '/tmp/gwk-unit.sock' -Exception ([System.AggregateException]::new($Exception)) -TimeoutMilliseconds 10
        }
        $record.Exception.Message | Should -Match '[^.]\.$'
        $record.FullyQualifiedErrorId | Should -Be $Id
        $record.Exception.Message | Should -Not -Match '\.\.'
    }
}

Describe 'The session proofs of protocol 3 (the worked example of docs/protocol.md)' {
    BeforeAll {
        $script:Example = Get-Content -Raw (Join-Path $PSScriptRoot '../../test/fixtures/session-proof-example.json') | ConvertFrom-Json
    }

    It 'computes the published proofs for the binding <Binding>' -TestCases @(
        @{ Binding = '' }
        @{ Binding = '4242:5151' }
    ) {
        $published = @($Example.bindings | Where-Object { $_.binding -eq $Binding })[0]
        $proofs = InModuleScope GatewayApiKeys -Parameters @{ Example = $Example; Binding = $Binding } {
            param($Example, $Binding)
            @{
                Server = Get-GatewaySessionProof -Token $Example.token -Label 'gateway-apikeys server v3' -First $Example.clientNonce -Second $Example.serverNonce -Binding $Binding
                Client = Get-GatewaySessionProof -Token $Example.token -Label 'gateway-apikeys client v3' -First $Example.serverNonce -Second $Example.clientNonce -Binding $Binding
            }
        }
        $proofs.Server | Should -BeExactly $published.serverProof
        $proofs.Client | Should -BeExactly $published.clientProof
    }

    It 'sends protocolVersion 3 in its challenge, and shows a daemon''s refusal of it as the daemon words it' {
        $answer = '{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"Unknown field ''protocolVersion''.","data":{"code":"InvalidParams","field":"protocolVersion"}}}'
        $stream = [GatewayTest.TrickleStream]::new((New-FrameBytes $answer))
        $connection = New-TestConnection -Stream $stream -Hello $null
        $connection.Binding = ''
        { InModuleScope GatewayApiKeys -Parameters @{ Connection = $connection } { param($Connection) Open-GatewaySession -Connection $Connection -Role 'admin' -Token 'gwt_x' } } |
            Should -Throw -ErrorId 'InvalidParams'
        $sent = [System.Text.Encoding]::UTF8.GetString($stream.Sent.ToArray())
        $sent | Should -Match '"protocolVersion":3'
        $sent | Should -Match '"method":"session.challenge"'
    }
}

Describe 'The Windows named pipe is opened at the Identification level' {
    It 'asks for TokenImpersonationLevel.Identification and only the rights a client needs (recorded call: .NET allows PipeAccessRights only on Windows)' {
        # Windows itself honours the level and the rights (Wine ignores both); what is checked here is that the module asks for them.
        Mock -ModuleName GatewayApiKeys New-Object { 'recorded' } -ParameterFilter { $TypeName -eq 'System.IO.Pipes.NamedPipeClientStream' }
        InModuleScope GatewayApiKeys { New-GatewayPipeStream -Server '.' -Name 'gwk-unit-level' } | Should -Be 'recorded'
        Should -Invoke -ModuleName GatewayApiKeys New-Object -Times 1 -Exactly -ParameterFilter {
            $ArgumentList.Count -eq 6 -and $ArgumentList[0] -eq '.' -and $ArgumentList[1] -eq 'gwk-unit-level' -and
            [int] $ArgumentList[2] -eq 0x100183 -and
            ([int] $ArgumentList[2] -band 0x4) -eq 0 -and
            $ArgumentList[4] -eq [System.Security.Principal.TokenImpersonationLevel]::Identification
        }
    }

    It 'Open-GatewayStream makes its Windows stream there' {
        Mock -ModuleName GatewayApiKeys Test-GatewayWindows { $true }
        Mock -ModuleName GatewayApiKeys Test-GatewayPipeExists { $true }
        Mock -ModuleName GatewayApiKeys New-GatewayPipeStream { throw [System.TimeoutException]::new('stopped here') }
        { InModuleScope GatewayApiKeys { Open-GatewayStream -Pipe '\\.\pipe\gwk-unit' -TimeoutMilliseconds 10 } } | Should -Throw -ErrorId 'DaemonUnreachable'
        Should -Invoke -ModuleName GatewayApiKeys New-GatewayPipeStream -Times 1 -Exactly -ParameterFilter { $Server -eq '.' -and $Name -eq 'gwk-unit' }
    }
}

Describe 'Stop-GatewayApiKeyService, with mocks' {
    BeforeAll {
        Mock -ModuleName GatewayApiKeys Invoke-GatewayRpc { [pscustomobject]@{ stopping = $true } } -ParameterFilter { $Method -eq 'daemon.shutdown' }
        Mock -ModuleName GatewayApiKeys Close-GatewayConnection { }
    }

    It 'asks nothing of the daemon with -WhatIf' {
        Stop-GatewayApiKeyService -WhatIf
        Should -Invoke -ModuleName GatewayApiKeys Invoke-GatewayRpc -Times 0 -Exactly
    }

    It 'sends daemon.shutdown with -Force and forgets the connection the daemon closes' {
        Stop-GatewayApiKeyService -Force | Should -BeNullOrEmpty
        Should -Invoke -ModuleName GatewayApiKeys Invoke-GatewayRpc -Times 1 -Exactly -ParameterFilter { $Method -eq 'daemon.shutdown' }
        Should -Invoke -ModuleName GatewayApiKeys Close-GatewayConnection -Times 1 -Exactly
    }

    It 'is ConfirmImpact High, like Remove-' {
        (Get-Command Stop-GatewayApiKeyService).ScriptBlock.Attributes.Where({ $_ -is [System.Management.Automation.CmdletBindingAttribute] }).ConfirmImpact |
            Should -Be 'High'
    }
}

Describe 'The clipboard (Copy-GatewayApiKey), with mocks' {
    BeforeAll {
        Mock -ModuleName GatewayApiKeys Invoke-GatewayRpc { [pscustomobject]@{ name = 'Unit key'; key = 'gwk_unit' } } -ParameterFilter { $Method -eq 'apiKey.reveal' }
        Mock -ModuleName GatewayApiKeys Get-GatewayClipboardProblem { $null }
        Mock -ModuleName GatewayApiKeys Set-Clipboard { }
        Mock -ModuleName GatewayApiKeys Start-GatewayClipboardClear { }
    }

    It 'on Windows, puts the value on the clipboard out of clipboard history, without Set-Clipboard' {
        Mock -ModuleName GatewayApiKeys Test-GatewayWindows { $true }
        Mock -ModuleName GatewayApiKeys Set-GatewayWindowsClipboard { $true }
        Copy-GatewayApiKey -Name 'Unit key'
        Should -Invoke -ModuleName GatewayApiKeys Set-GatewayWindowsClipboard -Times 1 -Exactly -ParameterFilter { $Text -eq 'gwk_unit' }
        Should -Invoke -ModuleName GatewayApiKeys Set-Clipboard -Times 0 -Exactly
    }

    It 'on Windows, falls back to Set-Clipboard when the history-free way is not available (not STA)' {
        Mock -ModuleName GatewayApiKeys Test-GatewayWindows { $true }
        Mock -ModuleName GatewayApiKeys Set-GatewayWindowsClipboard { $false }
        Copy-GatewayApiKey -Name 'Unit key'
        Should -Invoke -ModuleName GatewayApiKeys Set-Clipboard -Times 1 -Exactly -ParameterFilter { $Value -eq 'gwk_unit' }
    }

    It 'refuses a name too short with NameTooShort, asking nothing of the daemon' {
        { Copy-GatewayApiKey -Name 'no' -ErrorAction Stop } | Should -Throw -ErrorId 'NameTooShort,Copy-GatewayApiKey'
        Should -Invoke -ModuleName GatewayApiKeys Invoke-GatewayRpc -Times 0 -Exactly
    }

    It 'gives the process that clears the clipboard the value''s hash, never the value' {
        $script = InModuleScope GatewayApiKeys { "& { $(${function:Clear-GatewayClipboardIfUnchanged}) } -Hash '$(Get-GatewayTextHash 'gwk_unit')'" }
        $script | Should -Not -Match 'gwk_unit'
        $script | Should -Match ([regex]::Escape((InModuleScope GatewayApiKeys { Get-GatewayTextHash 'gwk_unit' })))
    }
}

Describe 'Clearing the clipboard (what the hidden process runs)' {
    It 'clears the clipboard only if it still holds the value: <Why>' -TestCases @(
        @{ Why = 'it does'; Now = "gwk_unit`n"; Cleared = 1 }
        @{ Why = 'something else was copied since'; Now = 'other text'; Cleared = 0 }
        @{ Why = 'it is empty'; Now = $null; Cleared = 0 }
    ) {
        # Stand-ins found before the cmdlets by the function's own command lookup (its caller's scope).
        $set = InModuleScope GatewayApiKeys -Parameters @{ Now = $Now } {
            param($Now)
            $set = New-Object System.Collections.Generic.List[string]
            function Get-Clipboard([switch] $Raw) { $Now }
            function Set-Clipboard([string] $Value) { $set.Add($Value) }
            Clear-GatewayClipboardIfUnchanged -Seconds 0 -Hash (Get-GatewayTextHash 'gwk_unit')
            , $set
        }
        @($set | Where-Object { $_ -eq '' }).Count | Should -Be $Cleared
        $set.Count | Should -Be $Cleared
    }
}

Describe 'A daemon that does not answer' {
    It 'is DaemonTimeout after the timeout, on a pipe (asynchronous read)' {
        $connection = New-TestConnection -Stream ([GatewayTest.SilentStream]::new())
        $failed = { Invoke-TestExchange $connection } | Should -Throw -ErrorId 'DaemonTimeout' -PassThru
        $failed.CategoryInfo.Category | Should -Be 'OperationTimeout'
        $failed.Exception.Message | Should -Be "The gateway-apikeys daemon at 'test' did not answer within 300 ms."
    }

    It 'is DaemonTimeout after the timeout, on a socket (blocking read with ReadTimeout)' -Skip:$IsWindows {
        # A listener that accepts and never says a word.
        $path = "/tmp/gwk-silent-$PID.sock"
        $listener = [System.Net.Sockets.Socket]::new([System.Net.Sockets.AddressFamily]::Unix, [System.Net.Sockets.SocketType]::Stream, [System.Net.Sockets.ProtocolType]::Unspecified)
        try {
            $listener.Bind([System.Net.Sockets.UnixDomainSocketEndPoint]::new($path))
            $listener.Listen(1)
            $watch = [System.Diagnostics.Stopwatch]::StartNew()
            $failed = { Connect-GatewayApiKeyService -Pipe $path -Token (ConvertTo-TestSecureString 'any') -TimeoutSec 1 } |
                Should -Throw -ErrorId 'DaemonTimeout,Connect-GatewayApiKeyService' -PassThru
            $watch.Elapsed.TotalSeconds | Should -BeLessThan 3
            $failed.Exception.Message | Should -Match 'did not answer the handshake within 1000 ms: it is not the gateway-apikeys daemon, or the daemon is stuck'
        } finally {
            $listener.Dispose()
            Remove-Item -Path $path -ErrorAction Ignore
        }
    }
}

Describe 'Output objects' {
    It 'keeps the display-only Color out of Export-Csv, ConvertTo-Json and Format-List *, and $key.Color reads it' {
        $key = InModuleScope GatewayApiKeys -Parameters @{ Info = (New-KeyInfo -Color 'Orange' -Status 'Expiring') } { param($Info) ConvertTo-GatewayApiKeyObject $Info }
        $key.Color | Should -Be 'Orange'
        ($key | ConvertTo-Csv -NoTypeInformation)[0] | Should -Not -Match 'Color'
        $key | ConvertTo-Json -Depth 3 | Should -Not -Match 'Color'
        ($key | ConvertTo-Json -Depth 3 | ConvertFrom-Json).Status | Should -Be 'Expiring'
        $key | Format-List * | Out-String | Should -Not -Match 'Color'
        $key.PSObject.Properties.Name | Should -Not -Contain 'Color'
    }

    It 'types LastUsed, RotatedAt and PreviousValidUntil [Nullable[datetime]], ExpiresOn, Created and Updated [datetime], DaysLeft [int], Enabled [bool]' {
        $key = InModuleScope GatewayApiKeys -Parameters @{ Info = (New-KeyInfo) } { param($Info) ConvertTo-GatewayApiKeyObject $Info }
        $type = $key.GetType()
        foreach ($name in 'LastUsed', 'RotatedAt', 'PreviousValidUntil') { $type.GetProperty($name).PropertyType | Should -Be ([Nullable[datetime]]) }
        $type.GetProperty('Enabled').PropertyType | Should -Be ([bool])
        $key.Enabled | Should -BeTrue
        $key.RotatedAt | Should -BeNullOrEmpty
        $rotated = InModuleScope GatewayApiKeys -Parameters @{ Info = (New-KeyInfo -PreviousValidUntil '2026-11-28T11:00:00.000Z' -Status Disabled -Color Gray) } {
            param($Info)
            ConvertTo-GatewayApiKeyObject $Info
        }
        $rotated.PreviousValidUntil.ToUniversalTime() | Should -Be ([datetime]::new(2026, 11, 28, 11, 0, 0, [System.DateTimeKind]::Utc))
        $rotated.RotatedAt.Kind | Should -Be 'Local'
        $rotated.Enabled | Should -BeFalse
        $type.GetProperty('LastUsed').PropertyType | Should -Be ([Nullable[datetime]])
        foreach ($name in 'ExpiresOn', 'Created', 'Updated') { $type.GetProperty($name).PropertyType | Should -Be ([datetime]) }
        $type.GetProperty('DaysLeft').PropertyType | Should -Be ([int])
        $key.PSObject.TypeNames[0] | Should -Be 'GatewayApiKeys.ApiKey'
    }

    It 'has [datetime] dates: instants in local time, the expiry a date, LastUsed $null when never used' {
        $key = InModuleScope GatewayApiKeys -Parameters @{ Info = (New-KeyInfo -LastUsedAt '2026-11-28T09:30:15.250Z') } {
            param($Info)
            ConvertTo-GatewayApiKeyObject $Info
        }
        $key.PSObject.TypeNames[0] | Should -Be 'GatewayApiKeys.ApiKey'
        $key.ExpiresOn | Should -Be ([datetime]'2027-01-02')
        $key.LastUsed.Kind | Should -Be 'Local'
        $key.LastUsed.ToUniversalTime() | Should -Be ([datetime]::new(2026, 11, 28, 9, 30, 15, 250, [System.DateTimeKind]::Utc))
        $key.Created.ToUniversalTime() | Should -Be ([datetime]::new(2026, 11, 27, 10, 0, 0, [System.DateTimeKind]::Utc))
        $key.DaysLeft | Should -BeOfType [int]
        $never = InModuleScope GatewayApiKeys -Parameters @{ Info = (New-KeyInfo) } { param($Info) ConvertTo-GatewayApiKeyObject $Info }
        $never.LastUsed | Should -BeNullOrEmpty
    }

    It 'takes instants that PowerShell 7 before 7.5 has already read as UTC [datetime] values' {
        $info = New-KeyInfo -LastUsedAt '2026-11-28T09:30:00Z'
        $info.lastUsedAt = [datetime]::new(2026, 11, 28, 9, 30, 0, [System.DateTimeKind]::Utc)
        $info.createdAt = [datetime]::new(2026, 11, 27, 10, 0, 0, [System.DateTimeKind]::Utc)
        $key = InModuleScope GatewayApiKeys -Parameters @{ Info = $info } { param($Info) ConvertTo-GatewayApiKeyObject $Info }
        $key.LastUsed.Kind | Should -Be 'Local'
        $key.LastUsed.ToUniversalTime() | Should -Be ([datetime]::new(2026, 11, 28, 9, 30, 0, [System.DateTimeKind]::Utc))
        $key.Created.ToUniversalTime() | Should -Be ([datetime]::new(2026, 11, 27, 10, 0, 0, [System.DateTimeKind]::Utc))
    }
}

Describe 'Keys read by System.Text.Json (PowerShell 7) are the objects FromInfo makes of ConvertFrom-Json''s' {
    BeforeAll {
        # In a zone other than UTC, so that an instant left in UTC differs from local time by more than its Kind.
        $savedZone = $env:TZ
        $env:TZ = 'America/New_York'
        [System.TimeZoneInfo]::ClearCachedData()
        $keysJson = @'
[{"name":"Cl\u00e9 🔑 Ключ","description":"line\nbreak \"quoted\" back\\slash\ttab \u00e9 \ud83d\udd11 </script>","createdAt":"2026-11-27T10:00:00.000Z","updatedAt":"2026-11-27T11:00:00.123Z",
  "expiresOn":"2027-01-02","lastUsedAt":"2026-11-28T09:30:15.250Z","status":"Active","color":"Green","daysLeft":36,"hint":"gwk_AbCd","enabled":true,"rotatedAt":null,"previousValidUntil":null,"disabledAt":null,"disabledReason":null},
 {"name":"expiring","description":"","createdAt":"2026-06-30T23:59:59.999Z","updatedAt":"2026-07-01T00:00:00.000Z",
  "expiresOn":"2026-12-10","lastUsedAt":null,"status":"Expiring","color":"Orange","daysLeft":10,"hint":"gwk_0000","enabled":true,"rotatedAt":null,"previousValidUntil":null,"disabledAt":null,"disabledReason":null},
 {"name":"rotated","description":"d","createdAt":"2026-01-01T00:00:00.000Z","updatedAt":"2026-11-30T12:00:00.000Z",
  "expiresOn":"2026-12-02","lastUsedAt":"2026-11-30T12:00:01.000Z","status":"ExpiresSoon","color":"Red","daysLeft":2,"hint":"gwk_zzzz","enabled":true,"rotatedAt":"2026-11-30T12:00:00.000Z","previousValidUntil":"2026-12-01T12:00:00.000Z","disabledAt":null,"disabledReason":null},
 {"name":"expired","description":"d","createdAt":"2025-01-01T00:00:00.000Z","updatedAt":"2025-01-01T00:00:00.000Z",
  "expiresOn":"2025-02-28","lastUsedAt":null,"status":"Expired","color":"DarkRed","daysLeft":-640,"hint":"gwk_AAAA","enabled":true,"rotatedAt":null,"previousValidUntil":null,"disabledAt":null,"disabledReason":null},
 {"name":"disabled","description":"d","createdAt":"2026-03-01T08:00:00.000Z","updatedAt":"2026-03-02T08:00:00.000Z",
  "expiresOn":"2027-03-01","lastUsedAt":"2026-03-01T09:00:00.000Z","status":"Disabled","color":"Gray","daysLeft":90,"hint":"gwk_BBBB","enabled":false,"rotatedAt":null,"previousValidUntil":null,"disabledAt":"2026-03-02T08:00:00.000Z","disabledReason":"Contractor left: \"ACME\" \u2014 gwk_BBBB"},
 {"name":"disabled without reason","description":"d","createdAt":"2026-03-01T08:00:00.000Z","updatedAt":"2026-03-02T08:00:00.000Z",
  "expiresOn":"2027-03-01","lastUsedAt":null,"status":"Disabled","color":"Gray","daysLeft":90,"hint":"gwk_CCCC","enabled":false,"rotatedAt":null,"previousValidUntil":null,"disabledAt":null,"disabledReason":null},
 {"name":"2026-01-01T00:00:00Z","description":"from a daemon before disabledAt","createdAt":"2026-03-01T08:00:00Z","updatedAt":"2026-03-01T08:00:00Z",
  "expiresOn":"2026-12-31","lastUsedAt":null,"status":"Active","color":"Green","daysLeft":24,"hint":"gwk_DDDD","enabled":true,"rotatedAt":null,"previousValidUntil":null,"extra":{"a":[1]}}]
'@
        # Every property of the output class, hidden Color included, and the type names: equal, and dates of the same Kind.
        function Assert-SameKey([psobject] $Actual, [psobject] $Expected) {
            $Actual.PSTypeNames -join ',' | Should -Be ($Expected.PSTypeNames -join ',')
            foreach ($property in $Expected.PSObject.BaseObject.GetType().GetProperties()) {
                $want = $property.GetValue($Expected.PSObject.BaseObject)
                $got = $property.GetValue($Actual.PSObject.BaseObject)
                if ($null -eq $want) { $got | Should -BeNullOrEmpty -Because $property.Name; $null -eq $got | Should -BeTrue -Because $property.Name; continue }
                $null -eq $got | Should -BeFalse -Because "$($property.Name) is '$want'"
                $got.GetType() | Should -Be $want.GetType() -Because $property.Name
                if ($want -is [datetime]) {
                    "$($got.Ticks) $($got.Kind)" | Should -Be "$($want.Ticks) $($want.Kind)" -Because $property.Name
                } else {
                    $got | Should -BeExactly $want -Because $property.Name
                }
            }
        }

        # The same answer through Invoke-GatewayExchange, by System.Text.Json unless -General.
        function Get-TestKeyAnswer([string] $Body, [string] $As, [switch] $General) {
            $connection = New-TestConnection -Stream ([GatewayTest.TrickleStream]::new((New-FrameBytes $Body)))
            InModuleScope GatewayApiKeys -Parameters @{ Connection = $connection; As = $As; General = [bool]$General } {
                param($Connection, $As, $General)
                $options = $script:GatewayKeyJsonOptions
                if ($General) { $script:GatewayKeyJsonOptions = $null }
                try { (Invoke-GatewayExchange $Connection 'apiKey.list' @{} $As).result } finally { $script:GatewayKeyJsonOptions = $options }
            }
        }
    }
    AfterAll {
        $env:TZ = $savedZone
        [System.TimeZoneInfo]::ClearCachedData()
    }

    It 'reads a page of keys of every status, null fields, unicode and escapes, an unknown field, to the same objects' {
        $body = '{"jsonrpc":"2.0","id":1,"result":{"total":7,"items":' + $keysJson + '}}'
        $fast = Get-TestKeyAnswer $body 'KeyPage'
        $general = Get-TestKeyAnswer $body 'KeyPage' -General
        $fast.total | Should -Be 7
        $general.total | Should -Be 7
        $fast.items.Count | Should -Be 7
        $general.items.Count | Should -Be 7
        for ($i = 0; $i -lt 7; $i++) { Assert-SameKey $fast.items[$i] $general.items[$i] }
        $general.items[0].Description | Should -BeExactly "line`nbreak ""quoted"" back\slash`ttab é 🔑 </script>"
        $general.items[0].LastUsed.Kind | Should -Be 'Local'
    }

    It 'reads one key (apiKey.get) to the same object' {
        $keys = ConvertFrom-Json $keysJson
        foreach ($i in 0, 2, 4, 6) {
            $body = '{"jsonrpc":"2.0","id":1,"result":' + (ConvertTo-Json -Compress -InputObject $keys[$i]) + '}'
            Assert-SameKey (Get-TestKeyAnswer $body 'Key') (Get-TestKeyAnswer $body 'Key' -General)
        }
    }

    It 'takes System.Text.Json''s path for a well-formed answer, and leaves the rest to the general path' -Skip:($PSVersionTable.PSEdition -ne 'Core') {
        $read = {
            param([string] $Body, [string] $As)
            $bytes = [System.Text.Encoding]::UTF8.GetBytes($Body)
            InModuleScope GatewayApiKeys -Parameters @{ Bytes = $bytes; As = $As } { param($Bytes, $As) Read-GatewayKeyAnswer $Bytes 0 $Bytes.Length 1 $As }
        }
        InModuleScope GatewayApiKeys { $null -ne $script:GatewayKeyJsonOptions } | Should -BeTrue
        (& $read ('{"jsonrpc":"2.0","id":1,"result":{"total":7,"items":' + $keysJson + '}}') 'KeyPage').result.items.Count | Should -Be 7
        foreach ($other in '{"jsonrpc":"2.0","id":2,"result":{"total":0,"items":[]}}', '{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"x"}}',
            '{"jsonrpc":"2.0","id":1,"result":{"items":[]}}', '{"jsonrpc":"2.0","id":1,"result":{"total":1,"items":[{"name":"x","daysLeft":"many"}]}}', '[1]', '{"jso') {
            & $read $other 'KeyPage' | Should -BeNullOrEmpty -Because $other
        }
    }

    It 'reports a key that is no ApiKeyInfo as DaemonProtocolError, on either path' {
        $body = '{"jsonrpc":"2.0","id":1,"result":{"total":1,"items":[{"name":"x","createdAt":"yesterday"}]}}'
        { Get-TestKeyAnswer $body 'KeyPage' } | Should -Throw -ErrorId 'DaemonProtocolError'
        { Get-TestKeyAnswer $body 'KeyPage' -General } | Should -Throw -ErrorId 'DaemonProtocolError'
    }
}

Describe 'The key table (format view)' {
    BeforeAll {
        $keys = InModuleScope GatewayApiKeys -Parameters @{ Infos = @(
                (New-KeyInfo -Name 'Green key' -Status Active -Color Green -DaysLeft 40)
                (New-KeyInfo -Name 'Orange key' -Status Expiring -Color Orange -DaysLeft 10)
                (New-KeyInfo -Name 'Soon key' -Status ExpiresSoon -Color Red -DaysLeft 2)
                (New-KeyInfo -Name 'Red key' -Status Expired -Color Red -DaysLeft -3 -LastUsedAt '2026-11-20T08:05:00Z')
                (New-KeyInfo -Name 'Gray key' -Status Disabled -Color Gray -DaysLeft 12)) } {
            param($Infos)
            foreach ($info in $Infos) { ConvertTo-GatewayApiKeyObject $info }
        }
        $savedRendering = $PSStyle.OutputRendering
        $savedNoColor = $env:NO_COLOR
    }
    AfterEach {
        $PSStyle.OutputRendering = $savedRendering
        $env:NO_COLOR = $savedNoColor
    }

    It 'shows name, expiry, days left, last use and hint, Status last' {
        $PSStyle.OutputRendering = 'PlainText'
        $lines = ($keys | Out-String -Width 120) -split "`r?`n" | Where-Object { $_ -match '\S' }
        $lines[0] | Should -Match '^Name\s+ExpiresOn\s+DaysLeft\s+LastUsed\s+Hint\s+Status$'
        $lines[2] | Should -Match '^Green key\s+2027-01-02\s+40 never\s+gwk_AbCd Active$'
        $lines[5] | Should -Match ('^Red key\s+2027-01-02\s+-3 ' + (Get-Date '2026-11-20T08:05:00Z').ToString('yyyy-MM-dd HH:mm') + ' gwk_AbCd Expired$')
    }

    It 'colours Status red, orange and green with $PSStyle' {
        $PSStyle.OutputRendering = 'Ansi'
        $text = $keys | Out-String -Width 120
        $text | Should -Match ([regex]::Escape("$($PSStyle.Foreground.Green)Active$($PSStyle.Reset)"))
        $text | Should -Match ([regex]::Escape("$($PSStyle.Foreground.FromRgb(255, 140, 0))Expiring$($PSStyle.Reset)"))
        $text | Should -Match ([regex]::Escape("$($PSStyle.Foreground.Red)ExpiresSoon$($PSStyle.Reset)"))
        $text | Should -Match ([regex]::Escape("$($PSStyle.Foreground.Red)Expired$($PSStyle.Reset)"))
        $text | Should -Match ([regex]::Escape("$($PSStyle.Foreground.BrightBlack)Disabled$($PSStyle.Reset)"))
    }

    It 'has no colour at all when <Why>' -TestCases @(
        @{ Why = 'NO_COLOR is set'; Rendering = 'Ansi'; NoColor = '1' }
        @{ Why = 'output is plain text (redirected)'; Rendering = 'PlainText'; NoColor = $null }
    ) {
        $PSStyle.OutputRendering = $Rendering
        $env:NO_COLOR = $NoColor
        # The rows; PowerShell itself may still colour the header when it renders ANSI.
        $rows = ($keys | Out-String -Width 120) -split "`r?`n" | Where-Object { $_ -match 'gwk_AbCd' }
        @($rows).Count | Should -Be 5
        $rows | Should -Not -Match ([char]27)
        $rows[3] | Should -Match 'Red key.* Expired$'
        $rows[4] | Should -Match 'Gray key.* Disabled$'
    }

    It 'falls back, without $PSStyle (Windows PowerShell 5.1), to plain text when output is redirected' {
        [Console]::IsOutputRedirected | Should -BeTrue -Because 'the suite runs with redirected output'
        $format = [xml](Get-Content -Raw (Join-Path $PSScriptRoot '../GatewayApiKeys/GatewayApiKeys.format.ps1xml'))
        $statusCell = [scriptblock]::Create(($format.Configuration.ViewDefinitions.View[0].TableControl.TableRowEntries.TableRowEntry.TableColumnItems.TableColumnItem)[-1].ScriptBlock)
        $PSStyle.OutputRendering = 'Ansi'
        $env:NO_COLOR = $null
        $cell = & { $PSStyle = $null; $keys[3] | ForEach-Object $statusCell }
        $cell | Should -Be 'Expired'
    }
}

Describe 'What a confirmation says will break (test/fixtures/impact-cases.json, the same cases as the CLI)' {
    BeforeDiscovery {
        $impact = Get-Content -Raw (Join-Path $PSScriptRoot '../../test/fixtures/impact-cases.json') | ConvertFrom-Json
        $impactCases = @($impact.cases | ForEach-Object {
                @{ Connectors = $_.connectors; Unattributed = $_.unattributedCount; LastUsedAt = $_.lastUsedAt; Text = $_.text; Now = $impact.now }
            })
    }

    It '<Text>' -TestCases $impactCases {
        $said = InModuleScope GatewayApiKeys -Parameters @{ Case = $_ } {
            param($Case)
            $lastUsed = $null
            if ($null -ne $Case.LastUsedAt) { $lastUsed = [datetime]$Case.LastUsedAt }
            Format-GatewayImpact -ConnectorCount $Case.Connectors -UnattributedCount $Case.Unattributed -LastUsed $lastUsed -Now ([datetime]$Case.Now)
        }
        $said | Should -BeExactly $Text
    }

    It 'asks the daemon for it only when a person will read it: <Why>' -TestCases @(
        @{ Why = 'High impact at the default preference'; Impact = 'High'; Confirm = 'High'; WhatIf = $false; Shown = $true }
        @{ Why = 'Medium impact at the default preference'; Impact = 'Medium'; Confirm = 'High'; WhatIf = $false; Shown = $false }
        @{ Why = '-Confirm (Low)'; Impact = 'Medium'; Confirm = 'Low'; WhatIf = $false; Shown = $true }
        @{ Why = '-Force or -Confirm:$false (None)'; Impact = 'High'; Confirm = 'None'; WhatIf = $false; Shown = $false }
        @{ Why = '-WhatIf'; Impact = 'High'; Confirm = 'None'; WhatIf = $true; Shown = $true }
    ) {
        $shown = InModuleScope GatewayApiKeys -Parameters @{ Impact = $Impact; Confirm = $Confirm; WhatIf = $WhatIf } {
            param($Impact, $Confirm, $WhatIf)
            Test-GatewayConfirmationShown -Impact $Impact -ConfirmPreference $Confirm -WhatIfPreference $WhatIf
        }
        $shown | Should -Be $Shown
    }

    It 'costs no round trip under -Force: Remove-, Disable- and Reset- send only their change' {
        Mock -ModuleName GatewayApiKeys Invoke-GatewayRpc { [pscustomobject]@{ deleted = $true } }
        Remove-GatewayApiKey -Name 'Forced key' -Force
        Should -Invoke -ModuleName GatewayApiKeys Invoke-GatewayRpc -Times 1 -Exactly
        Should -Invoke -ModuleName GatewayApiKeys Invoke-GatewayRpc -Times 0 -Exactly -ParameterFilter { $Method -eq 'apiKey.usage' }
        Disable-GatewayApiKey -Name 'Forced key' -Force
        Should -Invoke -ModuleName GatewayApiKeys Invoke-GatewayRpc -Times 0 -Exactly -ParameterFilter { $Method -eq 'apiKey.usage' }
    }
}

Describe 'The grace of Reset-GatewayApiKey' {
    It 'reads -GracePeriod <Given> as <Hours> hours' -TestCases @(
        @{ Given = 48; Hours = 48 }
        @{ Given = '48'; Hours = 48 }
        @{ Given = '48h'; Hours = 48 }
        @{ Given = '2D'; Hours = 48 }
        @{ Given = '0'; Hours = 0 }
        @{ Given = '1.00:00:00'; Hours = 24 }
        @{ Given = (New-TimeSpan -Days 7); Hours = 168 }
    ) {
        Mock -ModuleName GatewayApiKeys Invoke-GatewayRpc { New-KeyInfo | Add-Member -NotePropertyName key -NotePropertyValue 'gwk_x' -PassThru }
        $null = Reset-GatewayApiKey -Name 'Graceful key' -GracePeriod $Given -Force
        Should -Invoke -ModuleName GatewayApiKeys Invoke-GatewayRpc -Times 1 -Exactly -ParameterFilter { $Method -eq 'apiKey.rotate' -and $Params.graceHours -eq $Hours }
    }

    It 'reads a TimeSpan written in the command itself, as the help''s example does (a value PowerShell wraps)' {
        Mock -ModuleName GatewayApiKeys Invoke-GatewayRpc { New-KeyInfo | Add-Member -NotePropertyName key -NotePropertyValue 'gwk_x' -PassThru }
        $null = Reset-GatewayApiKey -Name 'Graceful key' -GracePeriod (New-TimeSpan -Hours 2) -Force
        $null = Reset-GatewayApiKey -Name 'Graceful key' -GracePeriod (Write-Output 4) -Force
        Should -Invoke -ModuleName GatewayApiKeys Invoke-GatewayRpc -Times 1 -Exactly -ParameterFilter { $Method -eq 'apiKey.rotate' -and $Params.graceHours -eq 2 }
        Should -Invoke -ModuleName GatewayApiKeys Invoke-GatewayRpc -Times 1 -Exactly -ParameterFilter { $Method -eq 'apiKey.rotate' -and $Params.graceHours -eq 4 }
    }

    It 'sends no graceHours without -GracePeriod: the daemon''s default' {
        Mock -ModuleName GatewayApiKeys Invoke-GatewayRpc { New-KeyInfo | Add-Member -NotePropertyName key -NotePropertyValue 'gwk_x' -PassThru }
        $null = Reset-GatewayApiKey -Name 'Graceful key' -Force
        Should -Invoke -ModuleName GatewayApiKeys Invoke-GatewayRpc -Times 1 -Exactly -ParameterFilter { -not $Params.ContainsKey('graceHours') }
    }

    It 'refuses <Given> with GraceInvalid, sending nothing' -TestCases @(
        @{ Given = 1.5 }
        @{ Given = '90m' }
        @{ Given = (New-TimeSpan -Minutes 30) }
        @{ Given = 169 }
    ) {
        Mock -ModuleName GatewayApiKeys Invoke-GatewayRpc { throw 'sent' }
        $failed = $null
        try { $null = Reset-GatewayApiKey -Name 'Graceful key' -GracePeriod $Given -Force -ErrorAction Stop } catch { $failed = $_ }
        # '90m' is no TimeSpan at all: PowerShell refuses it at binding, before the module sees it.
        $failed.FullyQualifiedErrorId | Should -Match '^(GraceInvalid,Reset-GatewayApiKey|ParameterArgumentTransformationError,Reset-GatewayApiKey)$'
        Should -Invoke -ModuleName GatewayApiKeys Invoke-GatewayRpc -Times 0 -Exactly
    }
}

Describe 'The days a validity spans (the DSC resource''s renewal period)' {
    It '<ValidFor> from <From> is <Days> days, as the daemon adds it' -TestCases @(
        @{ ValidFor = 'P1Y'; From = '2027-01-01'; Days = 365 }
        @{ ValidFor = 'P1Y'; From = '2027-03-01'; Days = 366 }
        @{ ValidFor = 'P1Y'; From = '2028-02-29'; Days = 365 }
        @{ ValidFor = 'P1M'; From = '2027-01-31'; Days = 28 }
        @{ ValidFor = 'P1Y1M'; From = '2028-02-29'; Days = 394 }
        @{ ValidFor = 'P2W3D'; From = '2027-01-01'; Days = 17 }
        @{ ValidFor = 'P90D'; From = '2027-01-01'; Days = 90 }
    ) {
        InModuleScope GatewayApiKeys -Parameters @{ ValidFor = $ValidFor; From = [datetime]$From } {
            param($ValidFor, $From)
            Get-GatewayValidityDays -ValidFor $ValidFor -From $From
        } | Should -Be $Days
    }

    It 'refuses what is not a duration' {
        { InModuleScope GatewayApiKeys { Get-GatewayValidityDays -ValidFor '1y' -From ([datetime]'2027-01-01') } } | Should -Throw -ExceptionType ([System.ArgumentException])
    }
}
