using System.Text.Json;
using LabelSphere.Data;
using LabelSphere.Embedding;
using LabelSphere.Onnx;
using LabelSphere.Tests.Cli;
using LabelSphere.Tests.Training;
using LabelSphere.Training;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace LabelSphere.Tests.Onnx;

/// <summary>
/// The ONNX export against <c>predict</c>: models of every head and feature scaling, trained here on the synthetic
/// world, exported and run with ONNX Runtime, must give predict's scores (within 1e-4) and its top-p lists.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class OnnxExportTests : IDisposable
{
    readonly string dir = CliRunner.TempFolder();

    public void Dispose() => Directory.Delete(dir, true);

    static CancellationToken Token => TestContext.Current.CancellationToken;

    static readonly TrainingFixtures.FeatureData World = TrainingFixtures.Synthetic(300);

    static LabelData AsData(TrainingFixtures.FeatureData data) =>
        new(new AnnotationSet(data.Vocabulary, data.Labels, new ReadReport("synthetic", AnnotationFormat.ExtremeText, data.Count, 0, 0, []), data.Features));

    // A small model of the head, saved to a folder of its own; the joint head's fitted ranking needs validation data.
    string Train(HeadKind head, FeatureScaling scaling = FeatureScaling.TfIdf, JointRanking ranking = JointRanking.Sum, int[]? hidden = null,
                 TrainingFixtures.FeatureData? data = null, int dimension = 6)
    {
        var world = data ?? World;
        var training = new TrainingOptions
        {
            Head = head, Hidden = hidden ?? [16, 8], BatchSize = 32, Steps = 30, LearningRate = 3e-3, EvalEvery = 0, Scaling = scaling,
            JointRanking = ranking, Dropout = 0.3,
        };
        using var classifier = LabelClassifier.Fit(AsData(world), new LabelClassifierOptions
        {
            Training = training, Embedding = head.UsesEmbedding() ? world.Embed(dimension) : null,
            ValidationFraction = ranking == JointRanking.Fitted ? 0.2 : 0,
        }, cancellationToken: Token);
        var folder = Path.Combine(dir, $"{head.Name()}-{scaling}-{ranking}-{hidden?.Length}");
        classifier.Save(folder);
        return folder;
    }

    // Test rows: the synthetic world's, plus one with a negative value and a NaN (read as 0), and one of zeros.
    static float[][] Rows()
    {
        var test = TrainingFixtures.Synthetic(40, seed: 42);
        var rows = new List<float[]>();
        for (int r = 0; r < test.Count; r++)
        {
            var row = new float[test.Features.Columns];
            test.Features.CopyRowTo(r, row);
            rows.Add(row);
        }
        var odd = (float[])rows[0].Clone();
        odd[1] = -2;
        odd[2] = float.NaN;
        odd[3] = 0.5f;
        rows.Add(odd);
        rows.Add(new float[test.Features.Columns]);
        return [.. rows];
    }

    sealed record Outputs(float[] Scores, long[] TopIndices, float[] TopScores, string[] TopLabels, int Labels);

    static Outputs RunOnnx(string path, float[][] rows)
    {
        using var session = new InferenceSession(path);
        int features = rows[0].Length;
        var input = new DenseTensor<float>(rows.SelectMany(r => r).ToArray(), [rows.Length, features]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("features", input)]);
        var scores = results.Single(r => r.Name == "scores").AsTensor<float>();
        return new Outputs(scores.ToArray(), results.Single(r => r.Name == "top_indices").AsTensor<long>().ToArray(),
            results.Single(r => r.Name == "top_scores").AsTensor<float>().ToArray(),
            results.Single(r => r.Name == "top_labels").AsTensor<string>().ToArray(), scores.Dimensions[1]);
    }

    // predict's top p of every row equals the graph's: the same labels in the same order, scores within 1e-4, and the
    // graph's score vector agrees with its own top p.
    static void AssertSameAsPredict(string folder, string onnx, int top, float[][]? rows = null)
    {
        rows ??= Rows();
        using var classifier = LabelClassifier.Load(folder);
        var expected = classifier.PredictBatch(rows, top, Token);
        var actual = RunOnnx(onnx, rows);
        Assert.Equal(classifier.Vocabulary.Count, actual.Labels);
        // Every label's score, not only the top p (predict's full ranking), then the top p lists.
        var all = classifier.PredictBatch(rows, classifier.Vocabulary.Count, Token);
        for (int r = 0; r < rows.Length; r++)
            foreach (var label in all[r])
                Assert.True(Math.Abs(label.Score - actual.Scores[r * actual.Labels + label.Id]) <= 1e-4,
                    $"row {r}, label {label.Name}: predict scores {label.Score}, the graph {actual.Scores[r * actual.Labels + label.Id]}");
        for (int r = 0; r < rows.Length; r++)
        {
            for (int t = 0; t < top; t++)
            {
                // The same label at every rank, but for labels whose scores tie within the tolerance (labels of one
                // topic of the synthetic world lie close together), which either runtime may order either way.
                long id = actual.TopIndices[r * top + t];
                if (id != expected[r][t].Id)
                    Assert.True(Math.Abs(expected[r][t].Score - all[r].Single(l => l.Id == id).Score) <= 1e-4,
                        $"row {r}, rank {t + 1}: predict ranks '{expected[r][t].Name}' ({expected[r][t].Score}), the graph '{classifier.Vocabulary[(int)id]}'");
                Assert.Equal(classifier.Vocabulary[(int)id], actual.TopLabels[r * top + t]);
                Assert.Equal(expected[r][t].Score, actual.TopScores[r * top + t], 1e-4);
                Assert.Equal(expected[r][t].Score, actual.Scores[r * actual.Labels + expected[r][t].Id], 1e-4);
            }
        }
    }

    public static TheoryData<HeadKind, FeatureScaling, JointRanking> Models => new()
    {
        { HeadKind.Sigmoid, FeatureScaling.TfIdf, JointRanking.Sum },
        { HeadKind.Sigmoid, FeatureScaling.None, JointRanking.Sum },
        { HeadKind.Embedding, FeatureScaling.TfIdf, JointRanking.Sum },
        { HeadKind.Embedding, FeatureScaling.L2, JointRanking.Sum },
        { HeadKind.CosineLogit, FeatureScaling.TfIdf, JointRanking.Sum },
        { HeadKind.Joint, FeatureScaling.TfIdf, JointRanking.Sum },
        { HeadKind.Joint, FeatureScaling.TfIdf, JointRanking.Sigmoid },
        { HeadKind.Joint, FeatureScaling.TfIdf, JointRanking.Fitted },
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void An_exported_model_scores_and_ranks_as_predict_does_under_onnx_runtime(HeadKind head, FeatureScaling scaling, JointRanking ranking)
    {
        // Given a model trained with that head, ranking and feature scaling
        var folder = Train(head, scaling, ranking);

        // When it is exported with the top 4
        var onnx = Path.Combine(dir, "model.onnx");
        var result = OnnxExport.Export(folder, onnx, top: 4);

        // Then ONNX Runtime gives predict's scores and top lists for every row
        Assert.Equal(40, result.Features);
        AssertSameAsPredict(folder, onnx, 4);
    }

    [Fact]
    public void An_exported_bibtex_model_of_the_joint_head_scores_the_test_set_as_predict_does()
    {
        // Given a joint-head model with the fitted ranking, trained briefly on bibtex
        if (TrainingFixtures.Bibtex() is not var (train, test)) { Assert.Skip(DatasetPaths.Missing); return; }
        var folder = Train(HeadKind.Joint, ranking: JointRanking.Fitted, hidden: [64], data: train, dimension: 32);

        // When it is exported, then ONNX Runtime ranks the first 300 test instances as predict does
        var onnx = Path.Combine(dir, "bibtex.onnx");
        OnnxExport.Export(folder, onnx, top: 10);
        var rows = new float[300][];
        for (int r = 0; r < rows.Length; r++)
        {
            rows[r] = new float[test.Features.Columns];
            test.Features.CopyRowTo(r, rows[r]);
        }
        AssertSameAsPredict(folder, onnx, 10, rows);
    }

    [Fact]
    public void A_model_without_hidden_layers_exports_as_a_linear_model()
    {
        var folder = Train(HeadKind.Sigmoid, hidden: []);
        var onnx = Path.Combine(dir, "linear.onnx");
        OnnxExport.Export(folder, onnx, top: 3);
        AssertSameAsPredict(folder, onnx, 3);
    }

    [Theory]
    [InlineData(HeadKind.Embedding)]
    [InlineData(HeadKind.CosineLogit)]
    [InlineData(HeadKind.Joint)]
    [InlineData(HeadKind.Joint, JointRanking.Fitted)]
    public void Labels_added_zero_shot_are_ranked_by_the_exported_model_as_predict_ranks_them(HeadKind head, JointRanking ranking = JointRanking.Sum)
    {
        // Given a model whose embedding has a label added after training (it co-occurs with labels 0 and 3)
        var folder = Train(head, ranking: ranking);
        var embedding = LabelEmbedding.Load(Path.Combine(folder, "embedding"));
        var cooccurrences = new long[embedding.LabelCount];
        cooccurrences[0] = 40;
        cooccurrences[3] = 30;
        var extended = embedding.AddLabel("added", 50, cooccurrences);
        ModelFolder.ReplaceEmbedding(folder, extended, folder, new LabelSphere.IO.OutputOptions { Overwrite = true });

        // When it is exported
        var onnx = Path.Combine(dir, "zero-shot.onnx");
        var result = OnnxExport.Export(folder, onnx, top: 13);

        // Then the graph scores all 13 labels, the added one included, as predict does
        Assert.Equal(13, result.Labels);
        AssertSameAsPredict(folder, onnx, 13);
    }

    [Fact]
    public void A_model_of_text_exports_from_its_term_counts_and_scores_them_as_predict_scores_the_text()
    {
        // Given a model fitted on the topics corpus as raw text (TF-IDF over its vocabulary)
        var text = Path.Combine(AppContext.BaseDirectory, "TestData", "text");
        using var classifier = LabelClassifier.Fit(LabelData.Read(Path.Combine(text, "topics_train.txt")), new LabelClassifierOptions
        {
            Training = new TrainingOptions { Head = HeadKind.Sigmoid, Hidden = [16], BatchSize = 32, Steps = 20, EvalEvery = 0 },
            ValidationFraction = 0,
        }, cancellationToken: Token);
        var folder = Path.Combine(dir, "text-model");
        classifier.Save(folder);

        // When it is exported: tokenising has no ONNX operator, so the graph takes the vectoriser's term counts
        var onnx = Path.Combine(dir, "text.onnx");
        var result = OnnxExport.Export(folder, onnx, top: 3);

        // Then the term counts of the test documents, run through the graph, get predict's labels for their text
        var testPath = Path.Combine(text, "topics_test.tsv");
        var documents = File.ReadLines(testPath).Take(12).Select(l => l.Split('\t')[^1]).ToArray();
        var counts = classifier.Transform!.Text!.Transform(documents);
        var rows = new float[documents.Length][];
        for (int r = 0; r < rows.Length; r++)
        {
            rows[r] = new float[result.Features!.Value];
            counts.CopyRowTo(r, rows[r]);
        }
        AssertSameAsPredict(folder, onnx, 3, rows);
        var fromText = classifier.PredictBatch(LabelData.Read(testPath), 3, Token);
        var graph = RunOnnx(onnx, rows);
        for (int r = 0; r < rows.Length; r++)
            Assert.Equal(fromText[r].Select(l => l.Name), graph.TopLabels.Skip(r * 3).Take(3));
        using var session = new InferenceSession(onnx);
        Assert.Contains("term counts", session.ModelMetadata.CustomMetadataMap["labelsphere.input"]);
    }

    [Fact]
    public void The_exported_model_names_its_labels_head_and_dimension_in_its_metadata()
    {
        var folder = Train(HeadKind.Joint);
        var onnx = Path.Combine(dir, "joint.onnx");
        OnnxExport.Export(folder, onnx, top: 5);
        using var session = new InferenceSession(onnx);
        var metadata = session.ModelMetadata.CustomMetadataMap;
        Assert.Equal(World.Vocabulary.Names, JsonSerializer.Deserialize<string[]>(metadata["labelsphere.labels"]));
        Assert.Equal("joint", metadata["labelsphere.head"]);
        Assert.Equal("6", metadata["labelsphere.embedding_dimension"]);
        Assert.Equal("5", metadata["labelsphere.top"]);
        Assert.False(string.IsNullOrEmpty(metadata["labelsphere.version"]));
        Assert.Equal(OnnxExport.Producer, session.ModelMetadata.ProducerName);
        // The batch dimension is symbolic: one row and many run through the same graph.
        Assert.Equal(-1, session.InputMetadata["features"].Dimensions[0]);
    }

    [Fact]
    public void Export_replaces_only_its_own_earlier_file_and_only_when_asked()
    {
        var folder = Train(HeadKind.Sigmoid);
        var onnx = Path.Combine(dir, "model.onnx");
        OnnxExport.Export(folder, onnx);
        Assert.Throws<OnnxTargetExistsException>(() => OnnxExport.Export(folder, onnx));
        OnnxExport.Export(folder, onnx, overwrite: true);

        var mine = Path.Combine(dir, "notes.onnx");
        File.WriteAllText(mine, "mine");
        var refused = Assert.Throws<IOException>(() => OnnxExport.Export(folder, mine, overwrite: true));
        Assert.Contains("not an ONNX model exported by LabelSphere", refused.Message);
        Assert.Equal("mine", File.ReadAllText(mine));
        Assert.Empty(Directory.EnumerateFiles(dir, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void Export_refuses_a_body_it_cannot_write_yet_in_one_line_naming_it()
    {
        // Given a model folder whose manifest names the cnn body (its other files do not matter: the body is checked first)
        var folder = Train(HeadKind.Sigmoid);
        var manifest = Path.Combine(folder, "manifest.json");
        var node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(manifest))!;
        node["backbone"]!["kind"] = node["backbone"]!["kind"]!.GetValue<string>() switch
        {
            "mlp" => "cnn",
            "Mlp" => "Cnn",
            var other => throw new InvalidOperationException($"unexpected kind {other}"),
        };
        node["backbone"]!["inputShape"] = new System.Text.Json.Nodes.JsonArray(3, 32, 32);
        node["features"] = null;
        File.WriteAllText(manifest, node.ToJsonString());

        var error = Assert.Throws<NotSupportedException>(() => OnnxExport.Export(folder, Path.Combine(dir, "cnn.onnx")));
        Assert.Contains("the cnn body cannot be exported to ONNX yet", error.Message);
        Assert.False(File.Exists(Path.Combine(dir, "cnn.onnx")));
    }

    [Fact]
    public void The_export_verb_writes_the_file_and_refuses_to_overwrite_it_without_the_option()
    {
        var folder = Train(HeadKind.Embedding);
        var onnx = Path.Combine(dir, "cli.onnx");
        var first = CliRunner.Run("export", folder, "--out", onnx, "--top", "3");
        Assert.True(first.ExitCode == 0, first.Err);
        AssertSameAsPredict(folder, onnx, 3);

        var again = CliRunner.Run("export", folder, "--out", onnx);
        Assert.Equal(1, again.ExitCode);
        Assert.Equal($"error: {onnx} already exists; replace it with --overwrite, or choose another --out", again.Err.Trim());

        var tooMany = CliRunner.Run("export", folder, "--out", Path.Combine(dir, "other.onnx"), "--top", "99");
        Assert.Equal(1, tooMany.ExitCode);
        Assert.Contains("--top", tooMany.Err);
        Assert.Single(tooMany.Err.Trim().Split('\n'));
    }
}
