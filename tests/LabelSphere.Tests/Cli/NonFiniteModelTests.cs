using LabelSphere.IO;

namespace LabelSphere.Tests.Cli;

/// <summary>A model whose weights or scores are not finite is refused in one line; predict never prints NaN ranks or half a JSON.</summary>
[Collection(TorchCollection.Name)]
public sealed class NonFiniteModelTests : IDisposable
{
    readonly string dir = CliRunner.TempFolder();

    public void Dispose() => Directory.Delete(dir, true);

    (string Run, string Data) TrainSigmoid()
    {
        var data = CliFixtures.WriteExtremeText(dir, "syn", 120, 7);
        var run = Path.Combine(dir, "run");
        var trained = CliRunner.Run("train", data, "--head", "sigmoid", "--model", "mlp", "--hidden", "8", "--steps", "10",
            "--validation", "0", "--out", run, "--json");
        Assert.True(trained.ExitCode == 0, trained.Err);
        return (run, data);
    }

    static void Rewrite(string file, Func<int, float, float> value)
    {
        var (data, shape) = Npy.Read<float>(file);
        for (int i = 0; i < data.Length; i++) data[i] = value(i, data[i]);
        Npy.Write<float>(file, data, shape);
    }

    [Fact]
    public void A_model_with_a_nan_weight_is_refused_in_one_line_naming_the_file()
    {
        // Given a trained model with one NaN in the first layer's weights
        var (run, data) = TrainSigmoid();
        var weights = Directory.GetFiles(Path.Combine(run, "model", "weights"), "*linear0.weight.npy").Single();
        Rewrite(weights, (i, v) => i == 3 ? float.NaN : v);

        // When it predicts, as JSON and as TSV
        var json = CliRunner.Run("predict", run, data, "--json");
        var tsv = CliRunner.Run("predict", run, data);

        // Then both fail in one line naming the weights file, and print nothing on standard output
        foreach (var result in new[] { json, tsv })
        {
            var line = CliRunner.OneErrorLine(result);
            Assert.Contains(weights, line);
            Assert.Contains("not finite", line);
            Assert.Equal("", result.Out);
        }
    }

    [Fact]
    public void Scores_that_overflow_are_refused_instead_of_ranked_and_no_json_is_half_written()
    {
        // Given finite weights so large that the network's outputs overflow: every first-layer weight 3e38 (its units
        // become infinite) and head weights of alternating sign (infinity minus infinity is NaN)
        var (run, data) = TrainSigmoid();
        foreach (var file in Directory.GetFiles(Path.Combine(run, "model", "weights"), "*.weight.npy"))
        {
            var name = Path.GetFileName(file);
            if (name.Contains("linear0")) Rewrite(file, (_, _) => 3e38f);
            else if (name.StartsWith("head")) Rewrite(file, (i, _) => i % 2 == 0 ? 1f : -1f);
        }

        // When it predicts as JSON and as TSV, and evaluates
        foreach (var result in new[] { CliRunner.Run("predict", run, data, "--json"), CliRunner.Run("predict", run, data), CliRunner.Run("evaluate", run, data, "--json") })
        {
            // Then each fails in one line saying the scores cannot be ranked, and standard output stays empty
            var line = CliRunner.OneErrorLine(result);
            Assert.Matches("not a number it can rank by|cannot be ranked", line);
            Assert.Equal("", result.Out);
        }
    }
}
