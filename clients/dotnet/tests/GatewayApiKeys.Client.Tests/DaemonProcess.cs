using System;
using System.Diagnostics;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace GatewayApiKeys.Client.Tests
{
    /// <summary>
    /// The real daemon (<c>node dist/cli.js serve</c>, built by <c>npm run build</c>) on a data dir and socket of its own,
    /// as test/helpers/daemon.ts starts it; it can be killed and started again on the same ones.
    /// </summary>
    public sealed class DaemonProcess : IDisposable
    {
        private Process? process;
        private readonly StringBuilder output = new StringBuilder();

        public DaemonProcess()
        {
            DataDir = TestPaths.PrivateDirectory("gwk-dotnet-data-");
            PipeDir = TestPaths.PrivateDirectory("gwk-");
            Pipe = Path.Combine(PipeDir, "d.sock");
        }

        public string DataDir { get; }
        public string PipeDir { get; }
        public string Pipe { get; }
        public string AdminToken => File.ReadAllText(Path.Combine(DataDir, "admin.token")).Trim();
        public string GatewayToken => File.ReadAllText(Path.Combine(DataDir, "gateway.token")).Trim();
        public string Output { get { lock (output) return output.ToString(); } }

        /// <summary>Starts the daemon and waits until it serves; <paramref name="now"/> sets its clock (GATEWAY_APIKEYS_NOW, the README's "The daemon").</summary>
        public void Start(string? now = null)
        {
            var start = new ProcessStartInfo(TestPaths.Node)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in new[] { Path.Combine(TestPaths.Repository, "dist", "cli.js"), "serve", "--data-dir", DataDir, "--pipe", Pipe, "--time-zone", "UTC" }) start.ArgumentList.Add(argument);
            start.Environment.Remove("GATEWAY_APIKEYS_NOW");
            start.Environment.Remove("NODE_OPTIONS");
            if (now != null) start.Environment["GATEWAY_APIKEYS_NOW"] = now;
            var serving = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            var started = new Process { StartInfo = start, EnableRaisingEvents = true };
            started.OutputDataReceived += (_, line) =>
            {
                if (line.Data == null) return;
                lock (output) output.AppendLine(line.Data);
                if (line.Data.Contains("is serving")) serving.TrySetResult(true);
            };
            started.ErrorDataReceived += (_, line) =>
            {
                if (line.Data != null) lock (output) output.AppendLine(line.Data);
            };
            started.Exited += (_, _) => serving.TrySetResult(false);
            started.Start();
            started.BeginOutputReadLine();
            started.BeginErrorReadLine();
            process = started;
            if (!serving.Task.Wait(TimeSpan.FromSeconds(60)) || !serving.Task.Result) throw new InvalidOperationException($"The daemon did not start serving:\n{Output}");
        }

        /// <summary>SIGKILL: a crash, as far as the clients can tell.</summary>
        public void Kill()
        {
            if (process == null) return;
            try
            {
                process.Kill();
            }
            catch (InvalidOperationException)
            {
                // It had exited already.
            }
            process.WaitForExit();
            process.Dispose();
            process = null;
        }

        public GatewayApiKeysClient Client(GatewayApiKeysRole role, Action<GatewayApiKeysClientOptions>? configure = null)
        {
            var options = new GatewayApiKeysClientOptions { Pipe = Pipe, DataDirectory = DataDir, Role = role };
            configure?.Invoke(options);
            return new GatewayApiKeysClient(options);
        }

        public void Dispose()
        {
            Kill();
            foreach (var directory in new[] { DataDir, PipeDir })
            {
                try
                {
                    Directory.Delete(directory, recursive: true);
                }
                catch (IOException)
                {
                    // Best effort: the temp folder is cleaned anyway.
                }
            }
        }
    }

    /// <summary>A daemon shared by the tests of a class.</summary>
    public sealed class DaemonFixture : IDisposable
    {
        public DaemonFixture()
        {
            Daemon = new DaemonProcess();
            Daemon.Start();
        }

        public DaemonProcess Daemon { get; }

        public void Dispose() => Daemon.Dispose();
    }

    public static class TestPaths
    {
        /// <summary>The repository: GATEWAY_APIKEYS_REPO (build/run-dotnet-tests.mjs sets it), else found above the test assembly.</summary>
        public static readonly string Repository = FindRepository();

        /// <summary>The Node that runs the daemon: GATEWAY_TEST_NODE, else node on the PATH.</summary>
        public static readonly string Node = Environment.GetEnvironmentVariable("GATEWAY_TEST_NODE") ?? "node";

        private static int counter;

        private static string FindRepository()
        {
            var fromEnvironment = Environment.GetEnvironmentVariable("GATEWAY_APIKEYS_REPO");
            if (!string.IsNullOrEmpty(fromEnvironment)) return fromEnvironment;
            for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory != null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "package.json")) && Directory.Exists(Path.Combine(directory.FullName, "clients", "dotnet"))) return directory.FullName;
            }
            throw new InvalidOperationException("The repository was not found above the test assembly: set GATEWAY_APIKEYS_REPO.");
        }

        /// <summary>A new 0700 directory under the temp folder: the daemon refuses a socket in a directory others can write to.</summary>
        public static string PrivateDirectory(string prefix)
        {
            var path = Path.Combine(Path.GetTempPath(), prefix + Environment.ProcessId + "-" + Interlocked.Increment(ref counter) + "-" + Guid.NewGuid().ToString("N").Substring(0, 6));
            Directory.CreateDirectory(path);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            return path;
        }
    }
}
