// pwshhost: runs one PowerShell script file in PowerShell 7 (Microsoft.PowerShell.SDK), hosted in
// this process. Built for win-x64 it is PowerShell on Windows ($IsWindows), and it runs under Wine,
// where the Windows suite uses it to run the module's Windows tests (test/windows/wine-powershell.test.ts,
// docs/architecture.md, "The Windows suite").
//
//   pwshhost.exe <script.ps1> [script arguments...]
//       Exit code: 1 when the script threw (or could not be run); N when it ran `exit N` or left
//       $LASTEXITCODE = N; 0 otherwise.
//
// Why not PowerShell's own console host: under Wine with stdout sent to a file it dies at once
// ("Invalid handle" for the console output buffer) and still exits 0. Under Wine the process needs
// DOTNET_EnableWriteXorExecute=0 in its environment, read by the CLR before any of this code runs.
// The execution policy is Bypass for the process: Windows' default refuses the module's .ps1xml.
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Management.Automation.Runspaces;
using System.Text;

namespace PwshHost;

public static class Program
{
    public static int Main(string[] args)
    {
        // Output as UTF-8 whatever the console code page: under Wine stdout is a file or a pipe.
        var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = true };
        var stderr = new StreamWriter(Console.OpenStandardError(), new UTF8Encoding(false)) { AutoFlush = true };
        Console.SetOut(stdout);
        Console.SetError(stderr);

        if (args.Length == 0)
        {
            Console.Error.WriteLine("usage: pwshhost <script.ps1> [args...]");
            return 2;
        }

        var iss = InitialSessionState.CreateDefault2();
        iss.ExecutionPolicy = Microsoft.PowerShell.ExecutionPolicy.Bypass;
        return RunScript(iss, args[0], args.Skip(1).ToArray());
    }

    private static int RunScript(InitialSessionState iss, string scriptPath, string[] scriptArgs)
    {
        var host = new NonInteractiveHost();
        using var runspace = RunspaceFactory.CreateRunspace(host, iss);
        runspace.Open();
        using var ps = PowerShell.Create();
        ps.Runspace = runspace;

        // Output and errors go through Out-Default, as pwsh -File shows them; warnings, verbose,
        // debug and Write-Host go to this host's UI directly. (Merging the information stream too
        // would put each Write-Host -NoNewline fragment on a line of its own.)
        ps.AddScript(
            "param([string] $__path, [object[]] $__args)\n" +
            "Set-ExecutionPolicy -Scope Process -ExecutionPolicy Bypass -Force\n" +
            "$PSStyle.OutputRendering = 'PlainText'\n" +
            "$global:LASTEXITCODE = 0\n" +
            "& $__path @__args\n");
        ps.AddParameter("__path", Path.GetFullPath(scriptPath));
        ps.AddParameter("__args", scriptArgs);
        ps.Commands.Commands[0].MergeMyResults(PipelineResultTypes.Error, PipelineResultTypes.Output);
        ps.AddCommand("Out-Default");

        try
        {
            ps.Invoke();
        }
        catch (ExitException e)
        {
            host.ExitCode ??= e.Argument is int i ? i : 1;
        }
        catch (RuntimeException e)
        {
            ShowTerminatingError(e.ErrorRecord);
            return 1;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"pwshhost: {e.GetType().FullName}: {e.Message}");
            return 1;
        }
        if (host.ExitCode is int code) return code;
        var last = runspace.SessionStateProxy.GetVariable("LASTEXITCODE");
        return last is int n ? n : 0;
    }

    private static void ShowTerminatingError(ErrorRecord record)
    {
        Console.Error.WriteLine($"Exception: {record.Exception.GetType().FullName}: {record.Exception.Message}");
        Console.Error.WriteLine($"  ErrorId: {record.FullyQualifiedErrorId}  Category: {record.CategoryInfo.Category}");
        if (record.InvocationInfo?.PositionMessage is { Length: > 0 } where) Console.Error.WriteLine(where);
        if (record.ScriptStackTrace is { Length: > 0 } stack) Console.Error.WriteLine(stack);
    }
}

/// <summary>A non-interactive host: output to stdout, nothing read from stdin.</summary>
internal sealed class NonInteractiveHost : PSHost
{
    private readonly NonInteractiveHostUI _ui = new();
    private readonly Guid _id = Guid.NewGuid();
    public int? ExitCode { get; set; }
    public override string Name => "pwshhost";
    public override Version Version => new(0, 1);
    public override Guid InstanceId => _id;
    public override PSHostUserInterface UI => _ui;
    public override CultureInfo CurrentCulture => CultureInfo.CurrentCulture;
    public override CultureInfo CurrentUICulture => CultureInfo.CurrentUICulture;
    public override void SetShouldExit(int exitCode) => ExitCode = exitCode;
    public override void EnterNestedPrompt() => throw new NotSupportedException("No nested prompt in pwshhost.");
    public override void ExitNestedPrompt() => throw new NotSupportedException();
    public override void NotifyBeginApplication() { }
    public override void NotifyEndApplication() { }
}

internal sealed class NonInteractiveHostUI : PSHostUserInterface
{
    private readonly NonInteractiveRawUI _raw = new();
    public override PSHostRawUserInterface RawUI => _raw;
    public override bool SupportsVirtualTerminal => false;

    // Output goes to a file or pipe: no colours. (A custom host must strip the table headers'
    // ANSI sequences itself; $PSStyle.OutputRendering = 'PlainText' is not enough.)
    private static readonly System.Text.RegularExpressions.Regex Ansi = new("\u001b\\[[0-9;?]*[A-Za-z]");
    private static string Plain(string value) => value.Contains('\u001b') ? Ansi.Replace(value, "") : value;

    public override void Write(string value) => Console.Out.Write(Plain(value));
    public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) => Console.Out.Write(Plain(value));
    public override void WriteLine(string value) => Console.Out.WriteLine(Plain(value));
    public override void WriteErrorLine(string value) => Console.Out.WriteLine(Plain(value));
    public override void WriteDebugLine(string message) => Console.Out.WriteLine("DEBUG: " + message);
    public override void WriteVerboseLine(string message) => Console.Out.WriteLine("VERBOSE: " + message);
    public override void WriteWarningLine(string message) => Console.Out.WriteLine("WARNING: " + message);
    public override void WriteProgress(long sourceId, ProgressRecord record) { }

    public override string ReadLine() => throw NoInput();
    public override System.Security.SecureString ReadLineAsSecureString() => throw NoInput();
    public override Dictionary<string, PSObject> Prompt(string caption, string message, System.Collections.ObjectModel.Collection<FieldDescription> descriptions) => throw NoInput();
    public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName) => throw NoInput();
    public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName, PSCredentialTypes allowedCredentialTypes, PSCredentialUIOptions options) => throw NoInput();
    public override int PromptForChoice(string caption, string message, System.Collections.ObjectModel.Collection<ChoiceDescription> choices, int defaultChoice) => throw NoInput();

    private static Exception NoInput() => new PSInvalidOperationException("pwshhost is not interactive: nothing can be read or prompted for.");
}

internal sealed class NonInteractiveRawUI : PSHostRawUserInterface
{
    public override ConsoleColor ForegroundColor { get; set; } = ConsoleColor.Gray;
    public override ConsoleColor BackgroundColor { get; set; } = ConsoleColor.Black;
    public override Coordinates CursorPosition { get; set; }
    public override Coordinates WindowPosition { get; set; }
    public override int CursorSize { get; set; } = 25;
    public override Size BufferSize { get; set; } = new(160, 9999);
    public override Size WindowSize { get; set; } = new(160, 50);
    public override Size MaxWindowSize => new(160, 50);
    public override Size MaxPhysicalWindowSize => new(160, 50);
    public override bool KeyAvailable => false;
    public override string WindowTitle { get; set; } = "pwshhost";
    public override KeyInfo ReadKey(ReadKeyOptions options) => throw new PSInvalidOperationException("pwshhost is not interactive.");
    public override void FlushInputBuffer() { }
    public override void SetBufferContents(Coordinates origin, BufferCell[,] contents) { }
    public override void SetBufferContents(Rectangle rectangle, BufferCell fill) { }
    public override BufferCell[,] GetBufferContents(Rectangle rectangle) => new BufferCell[0, 0];
    public override void ScrollBufferContents(Rectangle source, Coordinates destination, Rectangle clip, BufferCell fill) { }
}
