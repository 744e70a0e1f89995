namespace LabelSphere.Tests.Cli;

[Collection(TorchCollection.Name)]
public sealed class DemoTests : IDisposable
{
    readonly string dir = CliRunner.TempFolder();

    public void Dispose() => Directory.Delete(dir, true);

    [Fact]
    public void The_demo_runs_the_paper_end_to_end_and_writes_its_report()
    {
        // When the demo runs with no data
        var report = Path.Combine(dir, "report");
        var result = CliRunner.Run("demo", "--out", report);

        // Then it succeeds, shows neighbours and the comparison table of the baseline, the paper's head and the joint
        // head (its mix and kept weights chosen on a validation split), and leaves the report files
        Assert.True(result.ExitCode == 0, result.Err);
        Assert.Contains("closest to", result.Out);
        Assert.Contains("| sigmoid |", result.Out);
        Assert.Contains("| embedding k=64 |", result.Out);
        Assert.Contains("| joint k=64 |", result.Out);
        foreach (var file in new[] { "comparison/results.md", "comparison/convergence.png", "comparison/convergence.svg", "comparison/curves.csv",
                                     "comparison/sigmoid/train.jsonl", "comparison/embedding-k-64/train.jsonl", "comparison/joint-k-64/train.jsonl", "embedding/manifest.json",
                                     "embedding/spectrum.png", "world/truth.json" })
            Assert.True(File.Exists(Path.Combine(report, file)), file);
        Assert.Contains("10% of the training data carved off for validation", File.ReadAllText(Path.Combine(report, "comparison/results.md")));
        // 800 steps measured every 100: 8 points per model and a header
        Assert.Equal(1 + 3 * 8, File.ReadAllLines(Path.Combine(report, "comparison/curves.csv")).Length);
    }

    [Fact]
    public void The_demo_refuses_a_report_folder_that_is_not_empty()
    {
        File.WriteAllText(Path.Combine(dir, "something.txt"), "x");
        var result = CliRunner.Run("demo", "--out", dir);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("is not empty", result.Err);
    }

    [Fact]
    public void The_demo_refuses_test_images_it_would_ignore_in_one_usage_line()
    {
        // Given a demo on data whose test images are named apart (demo holds out a share of --data instead)
        var report = Path.Combine(dir, "report");
        var result = CliRunner.Run("demo", "--data", Path.Combine(dir, "data.csv"), "--images", dir, "--test-images", dir, "--out", report);

        // Then it is a usage error naming the option, and nothing is written
        CliRunner.OneUsageLine(result, "--test-images does not apply to demo");
        Assert.False(Directory.Exists(report));
    }
}
