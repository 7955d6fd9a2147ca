using System;
using System.ComponentModel;
using System.Diagnostics;
using System.IO;
using System.IO.Pipes;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Win32.SafeHandles;

namespace GatewayApiKeys.Client.Internal
{
    /// <summary>Nothing answers at the pipe (yet): the pool retries with backoff until its connect timeout.</summary>
    internal sealed class PipeConnectException : Exception
    {
        internal PipeConnectException(string reason, bool accessDenied, Exception? inner = null)
            : base(reason, inner)
        {
            AccessDenied = accessDenied;
        }

        /// <summary>The system refuses this account the pipe: waiting will not help.</summary>
        internal bool AccessDenied { get; }
    }

    /// <summary>An open stream to the daemon and the endpoint binding <c>cb</c> of protocol 3 for it.</summary>
    internal sealed class PipeStreamInfo
    {
        internal PipeStreamInfo(Stream stream, string binding)
        {
            Stream = stream;
            Binding = binding;
        }

        internal Stream Stream { get; }
        internal string Binding { get; }
    }

    /// <summary>
    /// Opens the daemon's pipe: a Unix domain socket, or on Windows a named pipe opened at the Identification level with
    /// only the rights a client needs (docs/security.md): not GENERIC_WRITE, which includes FILE_CREATE_PIPE_INSTANCE.
    /// </summary>
    internal static class PipeConnector
    {
        internal static Task<PipeStreamInfo> OpenAsync(string pipe, TimeSpan timeout, CancellationToken cancellationToken)
        {
            if (GatewayApiKeysClientOptions.IsWindows) return Task.Run(() => OpenWindowsPipe(pipe, timeout), cancellationToken);
            if (cancellationToken.IsCancellationRequested) return Task.FromCanceled<PipeStreamInfo>(cancellationToken);
            try
            {
                return Task.FromResult(OpenUnixSocket(pipe));
            }
            catch (Exception error)
            {
                return Task.FromException<PipeStreamInfo>(error);
            }
        }

        /// <summary>
        /// Connects without async: a socket that has had an async operation is non-blocking for good, and its reads
        /// then wait on the socket engine's thread, not in the kernel (DaemonConnection reads with a blocking call).
        /// A local socket connects at once, or is refused.
        /// </summary>
        private static PipeStreamInfo OpenUnixSocket(string path)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
#if NETSTANDARD2_0
                socket.Connect(UnixEndPoint(path));
#else
                socket.Connect(new UnixDomainSocketEndPoint(path));
#endif
            }
            catch (SocketException error)
            {
                socket.Dispose();
                throw new PipeConnectException($"Cannot connect to {path} ({error.SocketErrorCode}).", error.SocketErrorCode == SocketError.AccessDenied, error);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
            // On Unix cb is empty: only the daemon's account can create the socket in its directory, and process ids are not comparable across PID namespaces (docs/protocol.md, "Sessions").
            return new PipeStreamInfo(new NetworkStream(socket, ownsSocket: true), "");
        }

#if NETSTANDARD2_0
        /// <summary>netstandard2.0 has no UnixDomainSocketEndPoint, but every runtime that runs it on Unix (.NET Core 2.1 and later) does.</summary>
        private static EndPoint UnixEndPoint(string path)
        {
            var type = typeof(Socket).Assembly.GetType("System.Net.Sockets.UnixDomainSocketEndPoint")
                ?? throw new PlatformNotSupportedException("This runtime has no Unix domain sockets.");
            return (EndPoint)Activator.CreateInstance(type, path)!;
        }
#endif

        private const uint FileReadData = 0x0001;
        private const uint FileWriteData = 0x0002;
        private const uint FileReadAttributes = 0x0080;
        private const uint FileWriteAttributes = 0x0100;
        private const uint Synchronize = 0x00100000;
        private const uint OpenExisting = 3;
        private const uint FileFlagOverlapped = 0x40000000;
        private const uint SecuritySqosPresent = 0x00100000;
        private const uint SecurityIdentification = 0x00010000;
        private const int ErrorFileNotFound = 2;
        private const int ErrorAccessDenied = 5;
        private const int ErrorPipeBusy = 231;

        private static PipeStreamInfo OpenWindowsPipe(string pipe, TimeSpan timeout)
        {
            var path = pipe.StartsWith(@"\\", StringComparison.Ordinal) ? pipe : @"\\.\pipe\" + pipe;
            var deadline = Stopwatch.StartNew();
            while (true)
            {
                var handle = CreateFileW(path, FileReadData | FileWriteData | FileReadAttributes | FileWriteAttributes | Synchronize, 0, IntPtr.Zero,
                    OpenExisting, FileFlagOverlapped | SecuritySqosPresent | SecurityIdentification, IntPtr.Zero);
                if (!handle.IsInvalid)
                {
                    try
                    {
                        if (!GetNamedPipeServerProcessId(handle, out var serverPid)) throw new Win32Exception(Marshal.GetLastWin32Error());
                        int clientPid;
                        using (var self = Process.GetCurrentProcess()) clientPid = self.Id;
                        var stream = new NamedPipeClientStream(PipeDirection.InOut, isAsync: true, isConnected: true, handle);
                        return new PipeStreamInfo(stream, serverPid + ":" + clientPid);
                    }
                    catch
                    {
                        handle.Dispose();
                        throw;
                    }
                }
                var error = Marshal.GetLastWin32Error();
                handle.Dispose();
                var left = timeout - deadline.Elapsed;
                // Every instance is busy with another client: wait for one, within the time left.
                if (error == ErrorPipeBusy && left > TimeSpan.Zero && WaitNamedPipeW(path, (uint)Math.Max(1, left.TotalMilliseconds))) continue;
                throw new PipeConnectException($"Cannot connect to {path} ({(error == ErrorFileNotFound ? "no such pipe" : new Win32Exception(error).Message)}).",
                    error == ErrorAccessDenied, new Win32Exception(error));
            }
        }

        [DllImport("kernel32.dll", CharSet = CharSet.Unicode, SetLastError = true)]
        private static extern SafePipeHandle CreateFileW(string fileName, uint desiredAccess, uint shareMode, IntPtr securityAttributes,
            uint creationDisposition, uint flagsAndAttributes, IntPtr templateFile);

        [DllImport("kernel32.dll", CharSet = CharSet.Unicode, SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        private static extern bool WaitNamedPipeW(string name, uint timeoutMs);

        [DllImport("kernel32.dll", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        private static extern bool GetNamedPipeServerProcessId(SafePipeHandle pipe, out uint serverProcessId);
    }
}
