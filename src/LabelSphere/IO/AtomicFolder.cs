using System.Text.RegularExpressions;

namespace LabelSphere.IO;

/// <summary>
/// Writes a folder so that readers see either the old one or the complete new one: everything goes to a hidden
/// sibling (<c>.name.tmp-&lt;id&gt;</c>), which is renamed into place only after the last file is closed; an old
/// folder is first renamed aside (<c>.name.old-&lt;id&gt;</c>) and deleted last. <see cref="Recover"/> puts back what a
/// process killed between those steps left. Callers hold the folder's lock (<see cref="OutputFolder"/>), or own the
/// folder that contains it.
/// </summary>
internal static partial class AtomicFolder
{
    /// <summary>Runs <paramref name="write"/> on a temporary folder, then moves it to <paramref name="target"/>.</summary>
    public static void Write(string target, Action<string> write)
    {
        target = Path.GetFullPath(target.TrimEnd(Path.DirectorySeparatorChar));
        if (File.Exists(target)) throw new IOException($"{target} is a file; an output folder was expected there");
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var temp = NewSibling(target, "tmp");
        Directory.CreateDirectory(temp);
        try
        {
            write(temp);
        }
        catch
        {
            DeleteQuietly(temp);
            throw;
        }
        Replace(target, temp);
    }

    /// <summary>
    /// Moves the complete folder <paramref name="source"/> (a sibling made by <see cref="NewSibling"/>) to
    /// <paramref name="target"/>, replacing what is there: an empty folder is removed, a full one renamed aside
    /// and deleted once the new one is in place.
    /// </summary>
    internal static void Replace(string target, string source)
    {
        string? old = null;
        if (Directory.Exists(target))
        {
            if (!Directory.EnumerateFileSystemEntries(target).Any()) Directory.Delete(target);
            else
            {
                old = NewSibling(target, "old");
                Directory.Move(target, old);
            }
        }
        try
        {
            Directory.Move(source, target);
        }
        catch
        {
            // Put the old folder back, so that a failed rename loses nothing.
            if (old is not null && !Directory.Exists(target)) Directory.Move(old, target);
            DeleteQuietly(source);
            throw;
        }
        if (old is not null) Directory.Delete(old, recursive: true);
    }

    /// <summary>
    /// Cleans up after a process killed while writing <paramref name="target"/>: when the target is missing but a
    /// <c>.name.old-*</c> sibling exists (a kill between the two renames of <see cref="Write"/>), the newest one is
    /// renamed back into place; every other <c>.name.tmp-*</c> and <c>.name.old-*</c> sibling, and every
    /// <c>name.tmp-*</c> file of <see cref="WriteFile"/>, is deleted. Only names this class makes for this target are
    /// touched. Returns whether an old folder was restored.
    /// </summary>
    public static bool Recover(string target)
    {
        target = Path.GetFullPath(target.TrimEnd(Path.DirectorySeparatorChar));
        var parent = Path.GetDirectoryName(target);
        if (parent is null || !Directory.Exists(parent)) return false;
        var name = Path.GetFileName(target);
        var folders = new Regex($"^\\.{Regex.Escape(name)}\\.(tmp|old)-[0-9a-f]{{32}}$", RegexOptions.CultureInvariant);
        var files = new Regex($"^{Regex.Escape(name)}\\.tmp-[0-9a-f]{{32}}$", RegexOptions.CultureInvariant);
        var stale = new List<string>();
        var olds = new List<DirectoryInfo>();
        foreach (var entry in new DirectoryInfo(parent).EnumerateFileSystemInfos())
        {
            if (entry is DirectoryInfo folder && folders.Match(entry.Name) is { Success: true } m)
            {
                if (m.Groups[1].Value == "old") olds.Add(folder);
                else stale.Add(entry.FullName);
            }
            else if (entry is FileInfo && files.IsMatch(entry.Name)) stale.Add(entry.FullName);
        }
        bool restored = false;
        if (!Directory.Exists(target) && !File.Exists(target) && olds.Count > 0)
        {
            var newest = olds.MaxBy(o => o.LastWriteTimeUtc)!;
            Directory.Move(newest.FullName, target);
            olds.Remove(newest);
            restored = true;
        }
        stale.AddRange(olds.Select(o => o.FullName));
        foreach (var path in stale)
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
            else if (File.Exists(path)) File.Delete(path);
        }
        return restored;
    }

    /// <summary>Whether <paramref name="name"/> is one of the hidden working names this class and <see cref="OutputFolder"/> give beside a target.</summary>
    public static bool IsWorkingName(string name) => WorkingName().IsMatch(name);

    [GeneratedRegex("^(\\..+\\.(tmp|old)-[0-9a-f]{32}|\\..+\\.lock|.+\\.tmp-[0-9a-f]{32})$", RegexOptions.CultureInvariant)]
    private static partial Regex WorkingName();

    /// <summary>A fresh hidden sibling name of <paramref name="target"/>: <c>.name.tmp-&lt;id&gt;</c> or <c>.name.old-&lt;id&gt;</c>.</summary>
    internal static string NewSibling(string target, string role) =>
        Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.{role}-{Guid.NewGuid():N}");

    static void DeleteQuietly(string folder)
    {
        try
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // Left for Recover: the next run on this target deletes it.
        }
        catch (UnauthorizedAccessException)
        {
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
