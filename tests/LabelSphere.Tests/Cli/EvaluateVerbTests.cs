using System.Globalization;
using System.Text;
using System.Text.Json;
using LabelSphere.Data;
using LabelSphere.Evaluation;
using LabelSphere.Training;
using LabelSphere.Tests.Training;
using static TorchSharp.torch;

namespace LabelSphere.Tests.Cli;

[Collection(TorchCollection.Name)]
public sealed class EvaluateVerbTests : IDisposable
{
    readonly string dir = CliRunner.TempFolder();

    public void Dispose() => Directory.Delete(dir, true);

    string WriteExtremeText(string prefix, int instances, int seed, (string From, string To)? rename = null, int? declaredFeatures = null) =>
        CliFixtures.WriteExtremeText(dir, prefix, instances, seed, rename, declaredFeatures);

    string TrainCosine(string train)
    {
        // k = 11: at lower k the labels of one topic share a direction, and their cosines tie; predict (topk) and the
        // metrics (lower label id first) order tied labels differently, so P@1 from predict would not be comparable.
        var embedding = Path.Combine(dir, "emb");
        var embed = CliRunner.Run("embed", train, "--dim", "11", "--out", embedding, "--json");
        Assert.True(embed.ExitCode == 0, embed.Err);
        var run = Path.Combine(dir, "run");
        var trained = CliRunner.Run("train", train, "--embedding", embedding, "--head", "embedding", "--model", "mlp", "--out", run,
            "--steps", "60", "--hidden", "32", "--lr", "0.003", "--validation", "0", "--json");
        Assert.True(trained.ExitCode == 0, trained.Err);
        return run;
    }

    static JsonElement Json(CliRunner.Result result)
    {
        Assert.True(result.ExitCode == 0, result.Err);
        using var doc = JsonDocument.Parse(result.Out);
        return doc.RootElement.Clone();
    }

    static double[] Doubles(JsonElement array) => array.EnumerateArray().Select(e => e.GetDouble()).ToArray();

    [Fact]
    public void Evaluate_draws_each_class_ap_into_the_plot_file_and_replaces_only_a_figure_and_only_with_overwrite()
    {
        // Given a trained model
        var train = WriteExtremeText("syn", 200, 7);
        var test = WriteExtremeText("syntest", 60, 8);
        var run = TrainCosine(train);
        var figure = Path.Combine(dir, "ap.png");

        // When it is evaluated with --plot, then the figure is written
        Json(CliRunner.Run("evaluate", run, test, "--plot", figure, "--json"));
        PlotTests.AssertFigure(figure);

        // and a second time it is refused without --overwrite, replaced with it, and another file is never replaced
        CliRunner.OneErrorLine(CliRunner.Run("evaluate", run, test, "--plot", figure), "--plot:", "exists; replace it with --overwrite");
        Json(CliRunner.Run("evaluate", run, test, "--plot", figure, "--overwrite", "--json"));
        var notes = Path.Combine(dir, "notes.png");
        File.WriteAllText(notes, "mine");
        CliRunner.OneErrorLine(CliRunner.Run("evaluate", run, test, "--plot", notes, "--overwrite"), "--plot:", "is not a PNG image");
        Assert.Equal("mine", File.ReadAllText(notes));
    }

    [Fact]
    public void Json_metrics_equal_an_in_process_evaluation_and_p_at_1_equals_a_count_of_predicts_top_labels()
    {
        // Given a cosine model trained on synthetic data, and test data one of whose labels the model never saw
        var train = WriteExtremeText("syn", 300, 7);
        var test = WriteExtremeText("syntest", 80, 8, rename: ("tag11", "unseen"));
        var run = TrainCosine(train);

        // When it is evaluated on the command line
        var json = Json(CliRunner.Run("evaluate", run, test, "--json"));

        // Then the unknown label is counted, and the weights and propensities come from the recorded training counts
        var testSet = AnnotationReader.Read(test, new ReaderOptions());
        var unseen = testSet.Vocabulary.IndexOf("unseen");
        Assert.Equal(1, json.GetProperty("unknownLabels").GetInt32());
        Assert.Equal(["unseen"], json.GetProperty("firstUnknownLabels").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(testSet.Labels.LabelCounts()[unseen], json.GetProperty("droppedAssignments").GetInt64());
        Assert.Equal("training-data", json.GetProperty("classWeights").GetString());
        Assert.Equal("training-data", json.GetProperty("propensities").GetString());
        Assert.Equal(80, json.GetProperty("instances").GetInt32());
        Assert.Equal(12, json.GetProperty("classes").GetInt32());

        // And every metric equals ModelEvaluation.Evaluate run here on the saved network, with the weights and
        // propensities computed from the training file itself
        var folder = ModelFolder.Find(run)!;
        var manifest = ModelFolder.ReadManifest(folder);
        var vocabulary = new LabelVocabulary(manifest.LabelNames);
        var trainSet = AnnotationReader.Read(train, new ReaderOptions());
        var trainLabels = LabelMapping.Map(trainSet.Vocabulary, trainSet.Labels, vocabulary).Labels;
        var testLabels = LabelMapping.Map(testSet.Vocabulary, testSet.Labels, vocabulary).Labels;
        MetricsReport expected;
        using (var model = ModelFolder.LoadNetwork(folder, manifest, ModelFolder.ReadEmbedding(folder, manifest)))
        {
            var source = new FeatureSource(testSet.Features!, testLabels, vocabulary, ModelFolder.ReadFeatures(folder, manifest)!);
            expected = ModelEvaluation.Evaluate(model, source, CPU, new MetricsOptions(), ClassWeights.FromLabels(trainLabels),
                Propensity.Inverse(trainLabels), exactAveragePrecision: true, cancellationToken: TestContext.Current.CancellationToken);
        }
        var metrics = json.GetProperty("metrics");
        Assert.Equal(expected.PaperMap, json.GetProperty("paperMap").GetDouble(), 12);
        Assert.Equal(expected.WeightedPaperMap!.Value, json.GetProperty("weightedPaperMap").GetDouble(), 12);
        Assert.Equal(expected.MeanAveragePrecisionAtDepth, json.GetProperty("meanAveragePrecisionAtDepth").GetDouble(), 12);
        Assert.Equal(expected.MeanAveragePrecision!.Value, json.GetProperty("meanAveragePrecision").GetDouble(), 12);
        Assert.Equal(expected.ClassesWithoutPositives, json.GetProperty("classesWithoutPositives").GetInt32());
        var instances = metrics.GetProperty("instances");
        Assert.Equal(expected.Instances.Precision, Doubles(instances.GetProperty("precision")));
        Assert.Equal(expected.Instances.Ndcg, Doubles(instances.GetProperty("ndcg")));
        Assert.Equal(expected.Instances.PropensityScoredPrecision!, Doubles(instances.GetProperty("propensityScoredPrecision")));
        Assert.Equal(expected.Instances.NormalisedPropensityScoredPrecision!, Doubles(instances.GetProperty("normalisedPropensityScoredPrecision")));
        Assert.Equal(expected.Classes.Positives, metrics.GetProperty("classes").GetProperty("positives").EnumerateArray().Select(e => e.GetInt64()));

        // And, independently of the metrics code, P@1 is the share of instances whose top label from predict is a true label
        using var top1 = JsonDocument.Parse(Json(CliRunner.Run("predict", run, test, "--top", "1", "--json")).GetRawText());
        int hits = 0;
        foreach (var record in top1.RootElement.EnumerateArray())
        {
            int row = int.Parse(record.GetProperty("instance").GetString()!, CultureInfo.InvariantCulture);
            var label = record.GetProperty("labels")[0].GetProperty("label").GetString()!;
            foreach (var id in testSet.Labels.Row(row)) if (testSet.Vocabulary[id] == label) hits++;
        }
        Assert.Equal(80, top1.RootElement.GetArrayLength());
        Assert.Equal(hits / 80.0, json.GetProperty("metrics").GetProperty("instances").GetProperty("precision")[0].GetDouble(), 12);
    }

    [Fact]
    public void Class_weights_change_the_weighted_map_and_nothing_else()
    {
        // Given a cosine model and its test data
        var train = WriteExtremeText("syn", 300, 7);
        var test = WriteExtremeText("syntest", 80, 8);
        var run = TrainCosine(train);

        // When it is evaluated with the default weights, with weights from its own training file, and with weights
        // from annotations in which tag0 is frequent, every other label rare, and one label unknown to the model
        var skewed = Path.Combine(dir, "skewed.csv");
        File.WriteAllLines(skewed, [
            "image,label",
            .. Enumerable.Range(0, 200).Select(i => $"a{i},tag0"),
            .. Enumerable.Range(1, 11).Select(i => $"b{i},tag{i}"),
            "c,not-a-model-label",
        ]);
        var byDefault = Json(CliRunner.Run("evaluate", run, test, "--json"));
        var fromTraining = Json(CliRunner.Run("evaluate", run, test, "--class-weights", train, "--json"));
        var fromSkewed = Json(CliRunner.Run("evaluate", run, test, "--class-weights", skewed, "--json"));

        // Then weights from the training file equal the default (the training counts recorded in the model)
        Assert.Equal("class-weights-file", fromTraining.GetProperty("classWeights").GetString());
        Assert.Equal(byDefault.GetProperty("weightedPaperMap").GetDouble(), fromTraining.GetProperty("weightedPaperMap").GetDouble(), 12);

        // And skewed weights change the weighted MAP@100 but not the unweighted one nor any instance-wise metric,
        // while propensities stay with the training counts recorded in the model
        Assert.Equal(1, fromSkewed.GetProperty("classWeightsUnknownLabels").GetInt32());
        Assert.Equal("training-data", fromSkewed.GetProperty("propensities").GetString());
        Assert.True(Math.Abs(byDefault.GetProperty("weightedPaperMap").GetDouble() - fromSkewed.GetProperty("weightedPaperMap").GetDouble()) > 1e-4,
            $"{byDefault.GetProperty("weightedPaperMap")} vs {fromSkewed.GetProperty("weightedPaperMap")}");
        Assert.Equal(byDefault.GetProperty("paperMap").GetDouble(), fromSkewed.GetProperty("paperMap").GetDouble(), 15);
        Assert.Equal(byDefault.GetProperty("meanAveragePrecision").GetDouble(), fromSkewed.GetProperty("meanAveragePrecision").GetDouble(), 15);
        Assert.Equal(byDefault.GetProperty("metrics").GetProperty("instances").GetRawText(), fromSkewed.GetProperty("metrics").GetProperty("instances").GetRawText());
    }

    [Fact]
    public void A_model_without_recorded_label_counts_says_so_and_takes_weights_and_propensities_from_class_weights()
    {
        // Given a sigmoid baseline without an embedding whose manifest lacks the training label counts (as models
        // written before they were recorded do)
        var train = WriteExtremeText("syn", 200, 7);
        var test = WriteExtremeText("syntest", 40, 8);
        var run = Path.Combine(dir, "run");
        var trained = CliRunner.Run("train", train, "--head", "sigmoid", "--model", "mlp", "--out", run, "--steps", "20", "--hidden", "16", "--json");
        Assert.True(trained.ExitCode == 0, trained.Err);
        var manifestPath = Path.Combine(run, "model", "manifest.json");
        var manifest = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(manifestPath))!;
        Assert.NotNull(manifest["training"]!["labelCounts"]);
        manifest["training"]!.AsObject().Remove("labelCounts");
        File.WriteAllText(manifestPath, manifest.ToJsonString());

        // When it is evaluated without and with --class-weights
        var without = CliRunner.Run("evaluate", run, test);
        var withoutJson = Json(CliRunner.Run("evaluate", run, test, "--json"));
        var withJson = Json(CliRunner.Run("evaluate", run, test, "--class-weights", train, "--json"));

        // Then without, MAP is unweighted only and PSP absent, and the summary says how to get them
        Assert.True(without.ExitCode == 0, without.Err);
        Assert.Contains("--class-weights", without.Out);
        Assert.Equal("none", withoutJson.GetProperty("classWeights").GetString());
        Assert.Equal("none", withoutJson.GetProperty("propensities").GetString());
        Assert.Equal(JsonValueKind.Null, withoutJson.GetProperty("weightedPaperMap").ValueKind);
        Assert.Equal(JsonValueKind.Null, withoutJson.GetProperty("metrics").GetProperty("instances").GetProperty("propensityScoredPrecision").ValueKind);

        // And with, both come from the file, and P@k is unchanged
        Assert.Equal("class-weights-file", withJson.GetProperty("classWeights").GetString());
        Assert.Equal("class-weights-file", withJson.GetProperty("propensities").GetString());
        Assert.Equal(JsonValueKind.Number, withJson.GetProperty("weightedPaperMap").ValueKind);
        Assert.Equal(3, withJson.GetProperty("metrics").GetProperty("instances").GetProperty("propensityScoredPrecision").GetArrayLength());
        Assert.Equal(withoutJson.GetProperty("metrics").GetProperty("instances").GetProperty("precision").GetRawText(),
            withJson.GetProperty("metrics").GetProperty("instances").GetProperty("precision").GetRawText());
    }

    [Theory]
    [InlineData("model")]
    [InlineData("data")]
    [InlineData("features")]
    [InlineData("weights")]
    public void Bad_input_is_one_line_naming_the_file_and_exit_code_1(string defect)
    {
        // Given a trained model, and a wrong model path, a missing data file, data with more features than the
        // model was trained on, or a missing class-weights file
        var train = WriteExtremeText("syn", 100, 7);
        var run = Path.Combine(dir, "run");
        var trained = CliRunner.Run("train", train, "--head", "sigmoid", "--model", "mlp", "--out", run, "--steps", "5", "--hidden", "8", "--json");
        Assert.True(trained.ExitCode == 0, trained.Err);
        var missing = Path.Combine(dir, "missing");
        var wide = WriteExtremeText("wide", 20, 8, declaredFeatures: 55);
        string[] args = defect switch
        {
            "model" => ["evaluate", missing, train],
            "data" => ["evaluate", run, missing + ".txt"],
            "features" => ["evaluate", run, wide],
            "weights" => ["evaluate", run, train, "--class-weights", missing + ".csv"],
            _ => throw new ArgumentOutOfRangeException(nameof(defect)),
        };
        string named = defect switch { "model" => missing, "data" => missing + ".txt", "features" => wide, _ => missing + ".csv" };

        // When it is evaluated
        var result = CliRunner.Run(args);

        // Then it fails with exit code 1 and one line on standard error that names the file, without a stack trace
        Assert.Equal(1, result.ExitCode);
        var lines = result.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, result.Err);
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(named, lines[0]);
        Assert.DoesNotContain("   at ", result.Err);
        Assert.Equal("", result.Out);
    }
}
