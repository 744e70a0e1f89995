using System.Text;
using LabelSphere.IO;

namespace LabelSphere.Data;

/// <summary>
/// A text file read line by line (UTF-8 unless a byte-order mark says otherwise), gunzipped on the fly when its name
/// ends in <c>.gz</c>; counts lines (1-based) and reports how many bytes of the file itself were consumed.
/// </summary>
internal sealed class LineSource : IDisposable
{
    readonly FileStream file;
    readonly StreamReader reader;
    long lastPosition;
    bool disposed;

    /// <summary>
    /// Opens <paramref name="path"/>; files ending in <c>.gz</c> are decompressed as they are read, and one that is not
    /// gzip, is corrupt or stops before its end is an <see cref="InvalidDataException"/> naming the file.
    /// </summary>
    public LineSource(string path)
    {
        file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        Stream stream = IsGzip(path) ? new CheckedGzipStream(file, path) : file;
        reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
    }

    /// <summary>The 1-based number of the line last returned by <see cref="ReadLine"/> (0 before the first).</summary>
    public long LineNumber { get; private set; }

    /// <summary>Bytes of the file (compressed bytes for .gz) consumed so far, read ahead by at most one buffer.</summary>
    public long BytesRead => disposed ? lastPosition : file.Position;

    /// <summary>Whether <paramref name="path"/> names a gzip file (by its extension).</summary>
    public static bool IsGzip(string path) => path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase);

    /// <summary>The next line without its line break, or null at the end of the file.</summary>
    public string? ReadLine()
    {
        var line = reader.ReadLine();
        if (line is not null) LineNumber++;
        return line;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (disposed) return;
        lastPosition = file.Position;
        disposed = true;
        reader.Dispose();
    }
}
