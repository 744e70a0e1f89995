using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;

namespace LabelSphere.IO;

/// <summary>
/// Decompresses a gzip file and, at its end, checks that the last member ended with its trailer: .NET's
/// <see cref="GZipStream"/> verifies the CRC-32 and length of every member it finishes, but returns end-of-stream
/// without a word when the file stops inside a member, so a file cut short would read as a shorter one. Here the
/// CRC-32 and length (mod 2³²) of the decompressed bytes are compared with the file's last eight bytes, the trailer
/// of its last member; a multi-member file, whose trailer covers the last member only, is checked by a second pass
/// that hashes the suffix the trailer describes. Every defect is an <see cref="InvalidDataException"/> naming the file.
/// </summary>
internal sealed class CheckedGzipStream : Stream
{
    const int HeaderAndTrailer = 18;

    readonly string path;
    readonly GZipStream inner;
    readonly Crc32 crc = new();
    readonly uint trailerCrc;
    readonly uint trailerSize;
    long total;
    bool ended;

    /// <summary>Reads gzip data from <paramref name="file"/> (positioned at its start; owned by this stream), the file at <paramref name="path"/>.</summary>
    public CheckedGzipStream(FileStream file, string path)
    {
        this.path = path;
        Span<byte> bytes = stackalloc byte[8];
        if (file.Length < HeaderAndTrailer || file.ReadAtLeast(bytes[..2], 2, throwOnEndOfStream: false) < 2 || bytes[0] != 0x1f || bytes[1] != 0x8b)
        {
            file.Dispose();
            throw new InvalidDataException($"{path}: not gzip data (a .gz file starts with the bytes 1f 8b); decompress it or give it a name without .gz");
        }
        file.Seek(-8, SeekOrigin.End);
        file.ReadExactly(bytes);
        trailerCrc = BinaryPrimitives.ReadUInt32LittleEndian(bytes);
        trailerSize = BinaryPrimitives.ReadUInt32LittleEndian(bytes[4..]);
        file.Seek(0, SeekOrigin.Begin);
        inner = new GZipStream(file, CompressionMode.Decompress);
    }

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    /// <inheritdoc />
    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty || ended) return 0;
        int n;
        try
        {
            n = inner.Read(buffer);
        }
        catch (InvalidDataException)
        {
            throw Corrupt();
        }
        if (n > 0)
        {
            crc.Append(buffer[..n]);
            total += n;
            return n;
        }
        ended = true;
        if (!(crc.GetCurrentHashAsUInt32() == trailerCrc && (uint)total == trailerSize) && !LastMemberChecks())
            throw new InvalidDataException($"{path}: the gzip data stops before the end of its last member ({total:N0} bytes decompressed); the file is cut short or has bytes after its end");
        return 0;
    }

    /// <summary>
    /// Whether some suffix of the decompressed bytes, of the trailer's length mod 2³², has the trailer's CRC-32: the
    /// last member of a multi-member file, finished (a member cut short has no trailer of its own).
    /// </summary>
    bool LastMemberChecks()
    {
        var starts = new List<long>();
        for (long start = total - trailerSize; start > 0; start -= 1L << 32) starts.Add(start);
        if (starts.Count == 0) return false;
        var hashes = new Crc32[starts.Count];
        for (int i = 0; i < hashes.Length; i++) hashes[i] = new Crc32();
        using var again = new GZipStream(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan), CompressionMode.Decompress);
        var buffer = new byte[1 << 16];
        long position = 0;
        int n;
        try
        {
            while ((n = again.Read(buffer)) > 0)
            {
                for (int i = 0; i < starts.Count; i++)
                {
                    long skip = Math.Max(0, starts[i] - position);
                    if (skip < n) hashes[i].Append(buffer.AsSpan((int)skip, n - (int)skip));
                }
                position += n;
            }
        }
        catch (InvalidDataException)
        {
            throw Corrupt();
        }
        if (position != total) throw new InvalidDataException($"{path}: changed while it was read");
        foreach (var hash in hashes)
            if (hash.GetCurrentHashAsUInt32() == trailerCrc) return true;
        return false;
    }

    InvalidDataException Corrupt() =>
        new($"{path}: the gzip data is corrupt (a compressed block or a member's CRC-32 or length does not check)");

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }

    /// <inheritdoc />
    public override bool CanRead => true;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override bool CanWrite => false;

    /// <inheritdoc />
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc />
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <inheritdoc />
    public override void Flush() { }

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
