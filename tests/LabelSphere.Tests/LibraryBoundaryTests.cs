using System.Text.RegularExpressions;
using LabelSphere.Embedding;
using LabelSphere.Training.Images;

namespace LabelSphere.Tests;

/// <summary>What the library packages may depend on and say: no image codec in the core, no command-line flags anywhere.</summary>
public sealed partial class LibraryBoundaryTests
{
    [Fact]
    public void The_core_library_does_not_depend_on_SkiaSharp_and_the_images_library_does()
    {
        // Given the two library assemblies
        var core = typeof(LabelEmbedding).Assembly;
        var images = typeof(ImageSource).Assembly;

        // Then only LabelSphere.Images references the image codec (TorchSharp's own reference is TorchSharp's business)
        Assert.Equal("LabelSphere", core.GetName().Name);
        Assert.Equal("LabelSphere.Images", images.GetName().Name);
        Assert.DoesNotContain(core.GetReferencedAssemblies(), a => a.Name!.StartsWith("SkiaSharp", StringComparison.Ordinal));
        Assert.Contains(images.GetReferencedAssemblies(), a => a.Name == "SkiaSharp");
    }

    [Fact]
    public void No_string_in_the_library_sources_names_a_command_line_flag()
    {
        // Given the library sources (the CLI maps parameter names to its flags, in ErrorLine)
        var root = RepositoryRoot();
        if (root is null) Assert.Skip("the repository's sources are not beside the test binaries");
        var offences = new List<string>();
        foreach (var project in new[] { "LabelSphere", "LabelSphere.Images" })
            foreach (var file in Directory.EnumerateFiles(Path.Combine(root, "src", project), "*.cs", SearchOption.AllDirectories))
            {
                if (file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)) continue;
                var lines = File.ReadAllLines(file);
                for (int i = 0; i < lines.Length; i++)
                {
                    if (lines[i].TrimStart().StartsWith("//", StringComparison.Ordinal)) continue;
                    // When every string literal is searched for "--word"
                    foreach (Match literal in StringLiteral().Matches(lines[i]))
                        if (Flag().IsMatch(literal.Value)) offences.Add($"{Path.GetRelativePath(root, file)}:{i + 1}: {literal.Value}");
                }
            }

        // Then none names a flag
        Assert.Empty(offences);
    }

    internal static string? RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "LabelSphere.slnx"))) return dir.FullName;
        return null;
    }

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"")]
    private static partial Regex StringLiteral();

    [GeneratedRegex("(?<![\\w-])--[a-z]")]
    private static partial Regex Flag();
}
