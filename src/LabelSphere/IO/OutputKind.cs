using System.Text.Json;

namespace LabelSphere.IO;

/// <summary>
/// A kind of folder LabelSphere writes (an embedding, a model, a training run, ...): how to recognise one, and the
/// names it may hold at its top level, so that a folder is replaced only when it is this kind's own output and holds
/// nothing else.
/// </summary>
internal sealed class OutputKind
{
    readonly Func<string, bool> recognises;
    readonly HashSet<string> names;
    readonly Func<string, bool>? ownSubfolder;

    /// <param name="name">What it is, with its article ("an embedding"), as messages name it.</param>
    /// <param name="recognises">Whether a folder (its full path) is one: typically its manifest's format field.</param>
    /// <param name="names">The files and folders it may hold at its top level.</param>
    /// <param name="ownSubfolder">Whether a subfolder not in <paramref name="names"/> (its full path) is one it wrote too (a training run of a comparison), or null.</param>
    public OutputKind(string name, Func<string, bool> recognises, IEnumerable<string> names, Func<string, bool>? ownSubfolder = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
        this.recognises = recognises;
        this.names = new HashSet<string>(names, StringComparer.Ordinal);
        this.ownSubfolder = ownSubfolder;
    }

    /// <summary>What it is, with its article ("an embedding").</summary>
    public string Name { get; }

    /// <summary>Whether <paramref name="folder"/> is one of these and holds nothing else (see <see cref="Foreign"/>).</summary>
    public bool Holds(string folder) => Directory.Exists(folder) && recognises(Path.GetFullPath(folder)) && Foreign(folder).Count == 0;

    /// <summary>Whether <paramref name="folder"/> looks like one of these (its marker), whatever else it holds.</summary>
    public bool Recognises(string folder) => Directory.Exists(folder) && recognises(Path.GetFullPath(folder));

    /// <summary>The names at the top level of <paramref name="folder"/> that this kind never writes, sorted.</summary>
    public IReadOnlyList<string> Foreign(string folder)
    {
        var foreign = new List<string>();
        foreach (var entry in new DirectoryInfo(folder).EnumerateFileSystemInfos())
        {
            if (names.Contains(entry.Name) || IsOwnSubfolder(entry)) continue;
            // What a run killed while writing one of its entries left: a temporary or old copy, or the entry's lock.
            if (AtomicFolder.IsWorkingName(entry.Name) && (!entry.Name.EndsWith(".lock", StringComparison.Ordinal) || OwnLock(folder, entry.Name))) continue;
            foreign.Add(entry.Name);
        }
        foreign.Sort(StringComparer.Ordinal);
        return foreign;
    }

    bool IsOwnSubfolder(FileSystemInfo entry) => entry is DirectoryInfo && ownSubfolder is not null && ownSubfolder(entry.FullName);

    // ".name.lock" is ours when name is one of this kind's entries.
    bool OwnLock(string folder, string lockName)
    {
        var name = lockName[1..^".lock".Length];
        return names.Contains(name) || Directory.Exists(Path.Combine(folder, name)) && IsOwnSubfolder(new DirectoryInfo(Path.Combine(folder, name)));
    }

    /// <summary>A recogniser for folders whose <c>manifest.json</c> has <c>"format": <paramref name="format"/></c>.</summary>
    public static Func<string, bool> ManifestFormat(string format) => folder =>
    {
        var manifest = Path.Combine(folder, "manifest.json");
        if (!File.Exists(manifest)) return false;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(manifest));
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("format", out var f)
                && f.ValueKind == JsonValueKind.String && f.GetString() == format;
        }
        catch (JsonException)
        {
            return false;
        }
    };
}
