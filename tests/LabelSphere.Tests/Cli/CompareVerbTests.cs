using System.Text.Json;

namespace LabelSphere.Tests.Cli;

[Collection(TorchCollection.Name)]
public sealed class CompareVerbTests : IDisposable
{
    readonly string dir = CliRunner.TempFolder();

    public void Dispose() => Directory.Delete(dir, true);

    [Fact]
    public void Compare_trains_every_head_named_by_heads_and_reports_each_at_its_kept_step()
    {
        // Given synthetic training and test data and an embedding of the training labels
        var train = CliFixtures.WriteExtremeText(dir, "syn", 300, 7);
        var test = CliFixtures.WriteExtremeText(dir, "syntest", 60, 8);
        var embedding = Path.Combine(dir, "emb");
        Assert.Equal(0, CliRunner.Run("embed", train, "--dim", "6", "--out", embedding, "--json").ExitCode);

        // When compare trains all four heads for 20 steps, measured every 10, at its defaults
        var output = Path.Combine(dir, "compare");
        var run = CliRunner.Run("compare", train, test, "--embedding", embedding, "--heads", "sigmoid,embedding,cosine-logit,joint",
            "--steps", "20", "--eval-every", "10", "--hidden", "16", "--out", output, "--json");

        // Then each has a curve and a row with its kept step and convergence figures; the protocol is stated
        Assert.True(run.ExitCode == 0, run.Err);
        using var doc = JsonDocument.Parse(run.Out);
        var models = doc.RootElement.GetProperty("models").EnumerateArray().ToArray();
        Assert.Equal(["sigmoid", "embedding k=6", "cosine-logit k=6", "joint k=6"], models.Select(m => m.GetProperty("name").GetString()));
        foreach (var model in models)
        {
            int kept = model.GetProperty("keptStep").GetInt32();
            Assert.Contains(kept, new[] { 10, 20 });
            Assert.Equal(kept, model.GetProperty("final").GetProperty("step").GetInt32());
            Assert.True(model.GetProperty("convergence").TryGetProperty("baselineReaches", out _));
        }
        var results = File.ReadAllText(Path.Combine(output, "results.md"));
        Assert.Contains("10% of the training data carved off for validation (seed 0)", results);
        Assert.Contains("| joint k=6 |", results);
        Assert.Contains("baseline first reached it", results);
        // and the joint head was ranked by the mix fitted on the validation split, compare's default
        Assert.Contains("ranked by fitted", results);
    }

    [Theory]
    [InlineData(2, "--heads", "sigmoid,softmax", "--heads: 'softmax' is not one of")]
    [InlineData(2, "--validation", "1", "--validation must be at least 0 and below 1")]
    [InlineData(2, "--validation", "0", "--keep best chooses weights on the validation split, and this run has none", "--keep", "best")]
    public void Compare_refuses_bad_heads_and_validation_shares_in_one_line(int exitCode, string option, string value, string message, params string[] more)
    {
        var train = CliFixtures.WriteExtremeText(dir, "syn", 50, 7);
        var embedding = Path.Combine(dir, "emb");
        Assert.Equal(0, CliRunner.Run("embed", train, "--dim", "4", "--out", embedding, "--json").ExitCode);
        var run = CliRunner.Run(["compare", train, train, "--embedding", embedding, option, value, .. more, "--steps", "2", "--out", Path.Combine(dir, "out")]);
        Assert.Equal(exitCode, run.ExitCode);
        Assert.Contains(message, run.Err);
        Assert.Single(run.Err.Trim().Split('\n'));
    }
}
