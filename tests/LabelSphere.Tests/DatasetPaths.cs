namespace LabelSphere.Tests;

/// <summary>Finds ../shared/datasets beside the repository; tests that need it skip with a clear reason when absent.</summary>
internal static class DatasetPaths
{
    public static readonly string? Root = Find();

    static string? Find()
    {
        if (Environment.GetEnvironmentVariable("LABELSPHERE_DATASETS") is { Length: > 0 } env && Directory.Exists(env)) return env;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "datasets");
            if (Directory.Exists(candidate)) return candidate;
            candidate = Path.Combine(dir.FullName, "..", "shared", "datasets");
            if (dir.GetDirectories(".git").Length > 0 || File.Exists(Path.Combine(dir.FullName, "LabelSphere.slnx")))
                return Directory.Exists(candidate) ? Path.GetFullPath(candidate) : null;
        }
        return null;
    }

    /// <summary>The path of a file under the datasets folder, or null when that folder or file is absent.</summary>
    public static string? Get(params string[] parts) =>
        Root is null ? null : Path.Combine([Root, .. parts]) is var p && (File.Exists(p) || Directory.Exists(p)) ? p : null;

    public const string Missing = "../shared/datasets is absent (set LABELSPHERE_DATASETS to its path to run this test)";
}
