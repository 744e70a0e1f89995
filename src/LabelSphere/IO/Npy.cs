using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace LabelSphere.IO;

/// <summary>
/// Reads and writes NumPy's .npy format (version 1.0, little-endian, C order) for float32, float64 and int64
/// arrays, so that numpy.load opens every array LabelSphere saves.
/// </summary>
internal static partial class Npy
{
    static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Writes <paramref name="data"/> with <paramref name="shape"/> to <paramref name="path"/>.</summary>
    public static void Write<T>(string path, ReadOnlySpan<T> data, params long[] shape) where T : unmanaged
    {
        long size = 1;
        foreach (var d in shape) size *= d;
        if (size != data.Length) throw new ArgumentException($"shape ({string.Join(", ", shape)}) holds {size} values, data {data.Length}");
        var shapeText = shape.Length == 1 ? $"({shape[0]},)" : "(" + string.Join(", ", shape) + ")";
        var header = $"{{'descr': '{Descr<T>()}', 'fortran_order': False, 'shape': {shapeText}, }}";
        int total = Magic.Length + 2 + 2 + header.Length + 1;
        header += new string(' ', (64 - total % 64) % 64) + "\n";
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        stream.Write(Magic);
        stream.Write([1, 0]);
        Span<byte> length = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)header.Length);
        stream.Write(length);
        stream.Write(Encoding.ASCII.GetBytes(header));
        stream.Write(MemoryMarshal.AsBytes(data));
    }

    /// <summary>Reads an array of element type <typeparamref name="T"/>; returns its values and shape.</summary>
    public static (T[] Data, long[] Shape) Read<T>(string path) where T : unmanaged
    {
        using var stream = File.OpenRead(path);
        Span<byte> prefix = stackalloc byte[10];
        if (stream.ReadAtLeast(prefix, 10, throwOnEndOfStream: false) < 10 || !prefix[..6].SequenceEqual(Magic))
            throw new InvalidDataException($"{path}: not a .npy file");
        int major = prefix[6];
        int headerLength;
        if (major == 1) headerLength = BinaryPrimitives.ReadUInt16LittleEndian(prefix[8..]);
        else
        {
            Span<byte> more = stackalloc byte[2];
            if (stream.ReadAtLeast(more, 2, throwOnEndOfStream: false) < 2) throw CutInHeader(path);
            headerLength = (int)BinaryPrimitives.ReadUInt32LittleEndian([prefix[8], prefix[9], more[0], more[1]]);
        }
        if (headerLength < 0 || headerLength > stream.Length - stream.Position) throw CutInHeader(path);
        var headerBytes = new byte[headerLength];
        if (stream.ReadAtLeast(headerBytes, headerLength, throwOnEndOfStream: false) < headerLength) throw CutInHeader(path);
        var header = Encoding.ASCII.GetString(headerBytes);
        var descr = DescrPattern().Match(header);
        var order = OrderPattern().Match(header);
        var shapeMatch = ShapePattern().Match(header);
        if (!descr.Success || !order.Success || !shapeMatch.Success)
            throw new InvalidDataException($"{path}: unreadable .npy header: {Printable.Shorten(header.Trim())}");
        if (descr.Groups[1].Value != Descr<T>())
            throw new InvalidDataException($"{path}: holds '{descr.Groups[1].Value}', expected '{Descr<T>()}'");
        if (order.Groups[1].Value != "False")
            throw new InvalidDataException($"{path}: Fortran-ordered arrays are not supported");
        var dimensions = shapeMatch.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var shape = new long[dimensions.Length];
        long size = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (!long.TryParse(dimensions[i], NumberStyles.None, CultureInfo.InvariantCulture, out shape[i]))
                throw new InvalidDataException($"{path}: the .npy header's shape holds '{Printable.Shorten(dimensions[i])}', not a size");
            size = shape[i] == 0 || size <= Array.MaxLength / shape[i] ? size * shape[i] : throw new InvalidDataException(
                $"{path}: the .npy header's shape ({string.Join(", ", dimensions)}) is larger than an array can be");
        }
        var data = new T[size];
        var bytes = MemoryMarshal.AsBytes(data.AsSpan());
        if (stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false) != bytes.Length)
            throw new InvalidDataException($"{path}: truncated: the header promises {size} values");
        if (stream.ReadByte() != -1) throw new InvalidDataException($"{path}: data continues past the header's shape");
        return (data, shape);
    }

    static InvalidDataException CutInHeader(string path) =>
        new($"{path}: the file ends inside its .npy header (truncated file?)");

    static string Descr<T>() => typeof(T) == typeof(float) ? "<f4"
        : typeof(T) == typeof(double) ? "<f8"
        : typeof(T) == typeof(long) ? "<i8"
        : typeof(T) == typeof(int) ? "<i4"
        : throw new NotSupportedException($"{typeof(T)} arrays are not supported in .npy files");

    [GeneratedRegex(@"'descr':\s*'([^']+)'")] private static partial Regex DescrPattern();
    [GeneratedRegex(@"'fortran_order':\s*(True|False)")] private static partial Regex OrderPattern();
    [GeneratedRegex(@"'shape':\s*\(([^)]*)\)")] private static partial Regex ShapePattern();
}
