using System.Globalization;
using System.Text;
using System.Text.Json;

namespace LabelSphere.Tests.Cli;

/// <summary>predict and evaluate refuse data whose features are not the model's: another count or other names.</summary>
[Collection(TorchCollection.Name)]
public sealed class FeatureSpaceTests : IDisposable
{
    readonly string dir = CliRunner.TempFolder();

    public void Dispose() => Directory.Delete(dir, true);

    /// <summary>Writes toy-<paramref name="name"/>.arff: features named by <paramref name="features"/>, then labels a, b, c.</summary>
    string WriteArff(string name, string[] features, int rows, int seed)
    {
        File.WriteAllText(Path.Combine(dir, "toy.xml"),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<labels xmlns=\"http://mulan.sourceforge.net/labels\">\n" +
            "<label name=\"a\"></label>\n<label name=\"b\"></label>\n<label name=\"c\"></label>\n</labels>\n");
        var text = new StringBuilder("@relation toy\n");
        foreach (var f in features) text.Append($"@attribute {f} numeric\n");
        foreach (var l in new[] { "a", "b", "c" }) text.Append($"@attribute {l} {{0,1}}\n");
        text.Append("@data\n");
        var random = new Random(seed);
        for (int r = 0; r < rows; r++)
        {
            int label = random.Next(3);
            var values = features.Select((_, i) => (i % 3 == label ? 1 + random.NextDouble() : random.NextDouble() * 0.2).ToString("F3", CultureInfo.InvariantCulture));
            text.Append(string.Join(",", values)).Append(',').Append(string.Join(",", Enumerable.Range(0, 3).Select(l => l == label ? "1" : "0"))).Append('\n');
        }
        var path = Path.Combine(dir, $"toy-{name}.arff");
        File.WriteAllText(path, text.ToString());
        return path;
    }

    string Train(string data)
    {
        var run = Path.Combine(dir, "run");
        var trained = CliRunner.Run("train", data, "--head", "sigmoid", "--model", "mlp", "--hidden", "8", "--steps", "10",
            "--validation", "0", "--out", run, "--json");
        Assert.True(trained.ExitCode == 0, trained.Err);
        return run;
    }

    [Fact]
    public void Predict_and_evaluate_refuse_data_with_fewer_features_than_the_model()
    {
        // Given a model trained on four features, and test data that lacks the last one
        var run = Train(WriteArff("train", ["f1", "f2", "f3", "f4"], 60, 1));
        var test = WriteArff("three", ["f1", "f2", "f3"], 20, 2);

        // When predict and evaluate are given that data
        foreach (var verb in new[] { "predict", "evaluate" })
        {
            var result = verb == "predict" ? CliRunner.Run(verb, run, test, "--top", "3") : CliRunner.Run(verb, run, test);

            // Then each refuses it in one line naming the file and both counts, and prints no result
            var line = CliRunner.OneErrorLine(result);
            Assert.Contains(test, line);
            Assert.Contains("has 3 features; the model was trained on 4", line);
            Assert.Equal("", result.Out);
        }
    }

    [Fact]
    public void Predict_refuses_data_whose_feature_names_differ_from_the_models()
    {
        // Given a model trained on features f1..f4, and data of four features with another name in third place
        var run = Train(WriteArff("train", ["f1", "f2", "f3", "f4"], 60, 1));
        var renamed = WriteArff("renamed", ["f1", "f2", "g3", "f4"], 20, 2);
        var same = WriteArff("same", ["f1", "f2", "f3", "f4"], 20, 3);

        // When it predicts both
        var refused = CliRunner.Run("predict", run, renamed, "--top", "3");
        var accepted = CliRunner.Run("predict", run, same, "--top", "3");

        // Then the renamed feature space is refused by name, and the same one is ranked
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains(renamed, refused.Err);
        Assert.Contains("feature names", refused.Err);
        Assert.True(accepted.ExitCode == 0, accepted.Err);
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "model", "manifest.json")));
        Assert.Equal(JsonValueKind.String, manifest.RootElement.GetProperty("featureNames").ValueKind);
    }
}
