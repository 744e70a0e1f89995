namespace LabelSphere.IO;

/// <summary>
/// Writes a folder so that readers see either the old one or the complete new one: everything goes to a hidden
/// sibling, which is renamed into place only after the last file is closed.
/// </summary>
public static class AtomicFolder
{
    /// <summary>Runs <paramref name="write"/> on a temporary folder, then moves it to <paramref name="target"/>.</summary>
    public static void Write(string target, Action<string> write)
    {
        target = Path.GetFullPath(target.TrimEnd(Path.DirectorySeparatorChar));
        if (File.Exists(target)) throw new IOException($"{target} is a file; an output folder was expected there");
        var parent = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(parent);
        var name = Path.GetFileName(target);
        var temp = Path.Combine(parent, $".{name}.tmp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try
        {
            write(temp);
            string? old = null;
            if (Directory.Exists(target))
            {
                old = Path.Combine(parent, $".{name}.old-{Guid.NewGuid():N}");
                Directory.Move(target, old);
            }
            Directory.Move(temp, target);
            if (old is not null) Directory.Delete(old, recursive: true);
        }
        catch
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
            throw;
        }
    }

    /// <summary>Writes a file through a temporary sibling and a rename.</summary>
    public static void WriteFile(string target, Action<Stream> write)
    {
        target = Path.GetFullPath(target);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var temp = target + $".tmp-{Guid.NewGuid():N}";
        try
        {
            using (var stream = File.Create(temp)) write(stream);
            File.Move(temp, target, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8 (no byte-order mark) through a temporary sibling and a rename.</summary>
    public static void WriteText(string target, string text) =>
        WriteFile(target, stream => stream.Write(new System.Text.UTF8Encoding(false).GetBytes(text)));
}
