namespace LabelSphere.IO;

/// <summary>The check every reader makes before it opens a file the user named.</summary>
internal static class InputFile
{
    /// <summary>
    /// Throws <see cref="FileNotFoundException"/> naming <paramref name="path"/> and what it should be
    /// (<paramref name="what"/>, e.g. "label XML file") when it does not exist or is a folder.
    /// </summary>
    public static void Require(string path, string what = "file")
    {
        if (File.Exists(path)) return;
        if (Directory.Exists(path)) throw new FileNotFoundException($"{path}: is a folder, not a {what}", path);
        throw new FileNotFoundException($"{path}: no such {what}", path);
    }
}
