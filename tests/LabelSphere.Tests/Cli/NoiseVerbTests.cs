using System.Text.Json;

namespace LabelSphere.Tests.Cli;

[Collection(TorchCollection.Name)]
public sealed class NoiseVerbTests : IDisposable
{
    readonly string dir = CliRunner.TempFolder();

    public void Dispose() => Directory.Delete(dir, true);

    [Fact]
    public void Noise_trains_both_heads_on_clean_dropped_and_added_labels_and_writes_the_table()
    {
        // Given synthetic training and test data and an embedding of the clean training labels
        var train = CliFixtures.WriteExtremeText(dir, "syn", 300, 7);
        var test = CliFixtures.WriteExtremeText(dir, "syntest", 60, 8);
        var embedding = Path.Combine(dir, "emb");
        var embed = CliRunner.Run("embed", train, "--dim", "6", "--out", embedding, "--json");
        Assert.True(embed.ExitCode == 0, embed.Err);

        // When the denoising experiment runs for a few steps, once as a table and once as JSON
        string[] Args(string output) =>
            ["noise", train, test, "--embedding", embedding, "--drop", "0.3", "--add", "0.3", "--steps", "20", "--hidden", "16", "--out", output];
        var output = Path.Combine(dir, "noise");
        var run = CliRunner.Run(Args(output));
        var json = CliRunner.Run([.. Args(Path.Combine(dir, "noise-json")), "--json"]);

        // Then the table on standard output and in results.md has the three conditions and both heads, and the CSV a row per condition
        Assert.True(run.ExitCode == 0, run.Err);
        var results = File.ReadAllText(Path.Combine(output, "results.md"));
        foreach (var text in new[] { run.Out, results })
        {
            var rows = text.Split('\n').Where(l => l.StartsWith("| ", StringComparison.Ordinal)).ToArray();
            Assert.Contains("sigmoid", rows[0]);
            Assert.Contains("embedding", rows[0]);
            Assert.Equal(["clean", "drop 30%", "add 30%"], rows.Skip(1).Select(r => r.Split('|')[1].Trim()));
        }
        Assert.Contains("separate annotation set", results);
        var csv = File.ReadAllLines(Path.Combine(output, "results.csv"));
        Assert.Equal(4, csv.Length);
        Assert.StartsWith("condition,", csv[0]);
        PlotTests.AssertFigure(Path.Combine(output, "noise.png"));
        foreach (var condition in new[] { "clean", "drop-30", "add-30" })
        {
            Assert.True(File.Exists(Path.Combine(output, condition, "curves.csv")), condition);
            Assert.True(Directory.Exists(Path.Combine(output, condition, "sigmoid", "model")), condition);
            Assert.True(Directory.Exists(Path.Combine(output, condition, "embedding-k-6", "model")), condition);
        }

        // And the JSON counts the labels the noise removed and added, each head measured once per condition
        Assert.True(json.ExitCode == 0, json.Err);
        using var document = JsonDocument.Parse(json.Out);
        var conditions = document.RootElement.GetProperty("conditions").EnumerateArray().ToArray();
        Assert.Equal(["clean", "drop 30%", "add 30%"], conditions.Select(c => c.GetProperty("name").GetString()));
        Assert.Equal(0, conditions[0].GetProperty("removed").GetInt64() + conditions[0].GetProperty("added").GetInt64());
        Assert.True(conditions[1].GetProperty("removed").GetInt64() > 0);
        Assert.True(conditions[2].GetProperty("added").GetInt64() > 0);
        Assert.Equal(conditions[0].GetProperty("trainingLabels").GetInt64() - conditions[1].GetProperty("removed").GetInt64(),
            conditions[1].GetProperty("trainingLabels").GetInt64());
        Assert.All(conditions, c => Assert.InRange(c.GetProperty("embedding").GetProperty("precisionAt1").GetDouble(), 0, 1));
        var curve = File.ReadAllLines(Path.Combine(dir, "noise-json", "drop-30", "curves.csv"));
        Assert.Equal(3, curve.Length);
    }

    [Theory]
    [InlineData("--drop", "1.5", "--drop must be at least 0 and below 1")]
    [InlineData("--add", "-0.2", "--add must be between 0 and 1")]
    public void A_fraction_out_of_range_is_a_usage_error_in_one_line(string option, string value, string message)
    {
        // Given a fraction outside its range (checked before any data is read)
        var output = Path.Combine(dir, "bad");

        // When the experiment is asked for
        var run = CliRunner.Run("noise", Path.Combine(dir, "missing.txt"), Path.Combine(dir, "missing-test.txt"), "--embedding", dir, option, value, "--out", output);

        // Then it stops with exit code 2 (called wrongly) and one line naming the rule, and writes nothing
        Assert.Equal(2, run.ExitCode);
        var line = Assert.Single(run.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: " + message, line);
        Assert.Contains(value, line);
        Assert.False(Directory.Exists(output));
    }
}
