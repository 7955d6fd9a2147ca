using System;
using System.Buffers;
using System.Text.Json;

namespace GatewayApiKeys.Client.Internal
{
    /// <summary>Parameters that write themselves (the hot path's, connector.authenticate): no serializer between them and the frame.</summary>
    internal interface IWireParams
    {
        void WriteTo(Utf8JsonWriter writer);
    }

    /// <summary>
    /// A request's JSON, written into a buffer and by a writer that one thread reuses from request to request
    /// (DaemonConnection.Frame), so that framing allocates only the frame itself.
    /// </summary>
    internal sealed class FrameBuilder : IBufferWriter<byte>
    {
        /// <summary>A buffer grown past this by a large request is not kept for the next.</summary>
        private const int KeptBytes = 16 * 1024;

        private byte[] buffer = new byte[512];
        private int written;
        private Utf8JsonWriter? writer;

        internal Utf8JsonWriter Start()
        {
            written = 0;
            if (writer == null) writer = new Utf8JsonWriter(this);
            else writer.Reset(this);
            return writer;
        }

        internal ArraySegment<byte> Written => new ArraySegment<byte>(buffer, 0, written);

        /// <summary>Clears the buffer (what a request that failed half-way left unflushed too): a request may hold a key value, which must not stay in memory longer than it must.</summary>
        internal void Finish()
        {
            written = 0;
            if (buffer.Length > KeptBytes) buffer = new byte[512];
            else Array.Clear(buffer, 0, buffer.Length);
        }

        public void Advance(int count) => written += count;

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            Reserve(sizeHint);
            return new Memory<byte>(buffer, written, buffer.Length - written);
        }

        public Span<byte> GetSpan(int sizeHint = 0)
        {
            Reserve(sizeHint);
            return new Span<byte>(buffer, written, buffer.Length - written);
        }

        private void Reserve(int sizeHint)
        {
            var needed = Math.Max(sizeHint, 1);
            if (buffer.Length - written >= needed) return;
            var grown = new byte[Math.Max(buffer.Length * 2, written + needed)];
            Buffer.BlockCopy(buffer, 0, grown, 0, written);
            Array.Clear(buffer, 0, written);
            buffer = grown;
        }
    }
}
