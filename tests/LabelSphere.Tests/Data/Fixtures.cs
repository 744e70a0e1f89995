using System.IO.Compression;
using System.Text;
using LabelSphere.Data;

namespace LabelSphere.Tests.Data;

/// <summary>A temporary folder for the fixture files a test writes; deleted with its contents on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    /// <summary>Creates a new, empty folder under the system's temporary folder.</summary>
    public TempFolder() => Path = Directory.CreateTempSubdirectory("labelsphere-tests-").FullName;

    /// <summary>The folder's full path.</summary>
    public string Path { get; }

    /// <summary>Writes <paramref name="text"/> (UTF-8, no byte-order mark) to a file of the folder and returns its path.</summary>
    public string Write(string name, string text)
    {
        var path = System.IO.Path.Combine(Path, name);
        File.WriteAllText(path, text, new UTF8Encoding(false));
        return path;
    }

    /// <summary>Writes <paramref name="text"/> gzip-compressed and returns the path.</summary>
    public string WriteGzip(string name, string text)
    {
        var path = System.IO.Path.Combine(Path, name);
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        gzip.Write(Encoding.UTF8.GetBytes(text));
        return path;
    }

    /// <summary>Deletes the folder and everything in it.</summary>
    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>Views of an <see cref="AnnotationSet"/> that make assertions read like the fixture.</summary>
internal static class Sets
{
    /// <summary>Each instance's label names, sorted ordinally.</summary>
    public static string[][] LabelNames(AnnotationSet set)
    {
        var rows = new string[set.Count][];
        for (int r = 0; r < set.Count; r++)
        {
            var ids = set.Labels.Row(r);
            var names = new string[ids.Length];
            for (int k = 0; k < ids.Length; k++) names[k] = set.Vocabulary[ids[k]];
            Array.Sort(names, StringComparer.Ordinal);
            rows[r] = names;
        }
        return rows;
    }

    /// <summary>Reads <paramref name="path"/> as <paramref name="format"/>, optionally skipping invalid instances.</summary>
    public static AnnotationSet Read(string path, AnnotationFormat format, bool skipInvalid = false) =>
        AnnotationReader.Read(path, new ReaderOptions { Format = format, SkipInvalid = skipInvalid });

    /// <summary>The error a read of <paramref name="path"/> stops with.</summary>
    public static AnnotationError ErrorOf(string path, AnnotationFormat format) =>
        Assert.Throws<AnnotationFormatException>(() => Read(path, format)).Error;
}
