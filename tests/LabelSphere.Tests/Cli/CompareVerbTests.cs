using System.Text.Json;

namespace LabelSphere.Tests.Cli;

[Collection(TorchCollection.Name)]
public sealed class CompareVerbTests : IDisposable
{
    readonly string dir = CliRunner.TempFolder();

    public void Dispose() => Directory.Delete(dir, true);

    // Synthetic training and test data, and an embedding (k = 6) of the training labels.
    (string Train, string Test, string Embedding) Data()
    {
        var train = CliFixtures.WriteExtremeText(dir, "syn", 300, 7);
        var test = CliFixtures.WriteExtremeText(dir, "syntest", 60, 8);
        var embedding = Path.Combine(dir, "emb");
        Assert.Equal(0, CliRunner.Run("embed", train, "--dim", "6", "--out", embedding, "--json").ExitCode);
        return (train, test, embedding);
    }

    [Fact]
    public void Compare_trains_every_head_named_by_heads_and_reports_each_at_its_kept_step()
    {
        // Given synthetic training and test data and an embedding of the training labels
        var (train, test, embedding) = Data();

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

    [Fact]
    public void Compare_tunes_every_model_on_the_same_grid_and_reports_the_setting_each_chose()
    {
        // Given synthetic training and test data and an embedding of the training labels
        var (train, test, embedding) = Data();

        // When compare tunes the learning rate and the feature scaling of the baseline and the joint head
        var output = Path.Combine(dir, "compare");
        var run = CliRunner.Run("compare", train, test, "--embedding", embedding, "--heads", "joint", "--tune-lr", "1e-4,1e-2", "--tune-features", "none,tf-idf",
            "--steps", "20", "--eval-every", "10", "--hidden", "16", "--out", output, "--json");

        // Then each model tried the four settings and reports the one it chose, which has its best validation score
        Assert.True(run.ExitCode == 0, run.Err);
        using var doc = JsonDocument.Parse(run.Out);
        var tuning = doc.RootElement.GetProperty("tuning").EnumerateArray().ToArray();
        string[] settings = ["lr 0.0001, features none", "lr 0.01, features none", "lr 0.0001, features tf-idf", "lr 0.01, features tf-idf"];
        foreach (var model in doc.RootElement.GetProperty("models").EnumerateArray())
        {
            var name = model.GetProperty("name").GetString();
            var rows = tuning.Where(r => r.GetProperty("model").GetString() == name).ToArray();
            Assert.Equal(settings, rows.Select(r => r.GetProperty("setting").GetString()));
            var chosen = Assert.Single(rows, r => r.GetProperty("chosen").GetBoolean());
            Assert.Equal(rows.Max(r => r.GetProperty("validation").GetDouble()), chosen.GetProperty("validation").GetDouble());
            Assert.Equal(chosen.GetProperty("setting").GetString(), model.GetProperty("setting").GetString());
        }
        // and results.md says what was tuned and lists every setting; tuning.csv has a line per model and setting
        var results = File.ReadAllText(Path.Combine(output, "results.md"));
        Assert.Contains("Learning rate tuned", results);
        Assert.Contains("features tuned", results);
        Assert.Contains("Tuned for every model alike, on the validation split: lr, features", results);
        Assert.Contains("## Tuning", results);
        Assert.Equal(1 + 2 * 4, File.ReadAllLines(Path.Combine(output, "tuning.csv")).Length);
        Assert.Equal(["convergence.png", "convergence.svg", "curves.csv", "joint-k-6", "results.md", "sigmoid", "tuning.csv"],
            Directory.GetFileSystemEntries(output).Select(Path.GetFileName).Order());
    }

    [Theory]
    [InlineData(2, "--tune-lr", "1e-3,0", "--tune-lr: '0' is not a learning rate above 0")]
    [InlineData(2, "--tune-dropout", "0,1", "--tune-dropout: '1' is not a dropout probability of at least 0 and below 1")]
    [InlineData(2, "--tune-features", "raw", "--tune-features: 'raw' is not one of none, l2, tf-idf")]
    [InlineData(2, "--tune-lr", "1e-3,3e-3", "--tune-lr: the values to try replace --lr; give one or the other", "--lr", "1e-3")]
    [InlineData(2, "--tune-weight-decay", "0,1e-4", "--tune-weight-decay: the grid chooses each model's setting on the validation split, and this run has none; give --validation above 0",
        "--validation", "0", "--keep", "last")]
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
