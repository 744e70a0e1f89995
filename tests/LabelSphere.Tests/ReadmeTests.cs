namespace LabelSphere.Tests;

/// <summary>What the README shows of the library is what CI builds and runs.</summary>
public sealed class ReadmeTests
{
    [Fact]
    public void The_readme_shows_the_quick_start_sample_as_it_is()
    {
        // Given the README and the sample project CI builds against the packed packages
        var root = LibraryBoundaryTests.RepositoryRoot();
        if (root is null) Assert.Skip("the repository's sources are not beside the test binaries");
        var readme = File.ReadAllText(Path.Combine(root, "README.md")).ReplaceLineEndings("\n");
        var program = File.ReadAllText(Path.Combine(root, "samples", "QuickStart", "Program.cs")).ReplaceLineEndings("\n").TrimEnd('\n');

        // Then the README holds the sample's whole program in a C# block, and the program is under 60 lines
        Assert.Contains("```csharp\n" + program + "\n```", readme, StringComparison.Ordinal);
        Assert.True(program.Split('\n').Length < 60, $"the sample has {program.Split('\n').Length} lines");
    }

    [Theory]
    [InlineData("ServeClient")]
    [InlineData("OnnxMlNet")]
    public void The_deployment_guide_shows_the_samples_CI_builds_as_they_are(string sample)
    {
        // Given docs/deploy.md and a sample project CI builds (and, for OnnxMlNet, runs) against the packed packages
        var root = LibraryBoundaryTests.RepositoryRoot();
        if (root is null) Assert.Skip("the repository's sources are not beside the test binaries");
        var guide = File.ReadAllText(Path.Combine(root, "docs", "deploy.md")).ReplaceLineEndings("\n");
        var program = File.ReadAllText(Path.Combine(root, "samples", sample, "Program.cs")).ReplaceLineEndings("\n").TrimEnd('\n');

        // Then the guide holds the sample's whole program in a C# block
        Assert.Contains("```csharp\n" + program + "\n```", guide, StringComparison.Ordinal);
    }
}
