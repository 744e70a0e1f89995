using LabelSphere.Data;
using LabelSphere.Embedding;
using LabelSphere.Evaluation;
using LabelSphere.Training;

namespace LabelSphere.Tests.Training;

[Collection(TorchCollection.Name)]
[NoTensorLeaks]
public sealed class SavedModelTests : IDisposable
{
    readonly string dir = TrainingFixtures.TempFolder();

    public void Dispose() => Directory.Delete(dir, true);

    /// <summary>Trains a small model; allows for TorchSharp's count of it and of <paramref name="loads"/> loaded copies.</summary>
    (TrainingResult Result, TrainingFixtures.FeatureData Test, LabelSphere.Embedding.LabelEmbedding Embedding) TrainSynthetic(HeadKind loss, int loads = 1,
                                                                                                                          JointRanking ranking = JointRanking.Sum)
    {
        var data = TrainingFixtures.Synthetic(300);
        var test = TrainingFixtures.Synthetic(80, seed: 42);
        var options = new TrainingOptions { Head = loss, JointRanking = ranking, Hidden = [32], BatchSize = 32, Steps = 60, LearningRate = 3e-3, EvalEvery = 0 };
        var transform = FeatureTransform.Fit(data.Features, options.Scaling);
        var embedding = data.Embed(6);
        NoTensorLeaksAttribute.AllowConstruction(1 + loads, () => LabelModel.Create(
            BackboneConfig.From(options, [data.Features.Columns]), loss, data.Vocabulary.Count, embedding));
        var result = Trainer.Train(new TrainingRun
        {
            Train = data.Source(transform),
            Validation = test.Source(transform),
            Options = options,
            Embedding = embedding,
            Output = dir,
        }, cancellationToken: TestContext.Current.CancellationToken);
        return (result, test, embedding);
    }

    static AnnotationSet AsAnnotations(TrainingFixtures.FeatureData data) =>
        new(data.Vocabulary, data.Labels, new ReadReport("synthetic", AnnotationFormat.ExtremeText, data.Count, 0, 0, []), data.Features);

    static (IInstanceSource Source, LabelMappingReport Mapping) Input(LabelClassifier model, TrainingFixtures.FeatureData data, bool trainedLabelsOnly = false) =>
        new LabelData(AsAnnotations(data)).For(model, trainedLabelsOnly);

    [Theory]
    [InlineData(HeadKind.Embedding, JointRanking.Sum)]
    [InlineData(HeadKind.Sigmoid, JointRanking.Sum)]
    [InlineData(HeadKind.CosineLogit, JointRanking.Sum)]
    [InlineData(HeadKind.Joint, JointRanking.Sum)]
    [InlineData(HeadKind.Joint, JointRanking.Fitted)]
    public void A_saved_model_predicts_what_training_measured(HeadKind loss, JointRanking ranking)
    {
        // Given a model trained and measured on held-out instances
        var (result, test, _) = TrainSynthetic(loss, ranking: ranking);

        // When it is loaded from its folder (through the training output folder) and ranks the same instances
        using var predictor = LabelClassifier.Load(dir);
        var (source, mapping) = Input(predictor, test);
        var ranked = predictor.PredictSource(source, 5, TestContext.Current.CancellationToken);

        // Then its precision@k is what training measured, scores are in range and sorted
        Assert.Empty(mapping.MissingLabels);
        var precision = RankingMetrics.Evaluate(ranked.Select(r => r.Select(l => l.Id).ToArray()).ToArray(), source.Labels);
        Assert.Equal(result.Validation!.PrecisionAt1, precision.At1, 6);
        Assert.Equal(result.Validation.PrecisionAt5, precision.At5, 6);
        foreach (var row in ranked)
        {
            for (int i = 1; i < row.Length; i++) Assert.True(row[i - 1].Score >= row[i].Score);
            if (loss != HeadKind.Joint) Assert.All(row, l => Assert.InRange(l.Score, loss == HeadKind.Embedding ? -1.0001f : 0f, 1.0001f));
        }
        // and every label's score, over every instance, is what it was: the loaded model's MAP@100 is training's to the last digit
        var (trainedOnly, _) = Input(predictor, test, trainedLabelsOnly: true);
        var report = predictor.EvaluateSource(trainedOnly, null, ClassWeights.FromLabels(TrainingFixtures.Synthetic(300).Labels), default, false, null,
            TestContext.Current.CancellationToken);
        Assert.Equal(result.Validation.PaperMap!.Value, report.PaperMap, 12);
        Assert.Equal(result.Validation.WeightedPaperMap!.Value, report.WeightedPaperMap!.Value, 12);
        Assert.Equal(loss, predictor.Manifest.Head);
    }

    [Theory]
    [InlineData(HeadKind.Embedding)]
    [InlineData(HeadKind.CosineLogit)]
    [InlineData(HeadKind.Joint)]
    public void A_label_added_zero_shot_to_a_saved_model_can_be_predicted(HeadKind head)
    {
        // Given a model whose head uses the embedding, and a new label that always comes with tag0 and tag3
        var (result, test, embedding) = TrainSynthetic(head, loads: 2);
        var data = TrainingFixtures.Synthetic(300);
        var carries = Enumerable.Range(0, data.Count).Select(r => data.Labels.Row(r).Contains(0) && data.Labels.Row(r).Contains(3)).ToArray();
        var (count, co) = embedding.CountWith(data.Labels, carries);
        var extended = embedding.AddLabel("tag0+3", count, co);

        // When it is given to the saved model as an override, and when it is written into the model folder
        var extendedFolder = Path.Combine(dir, "extended");
        extended.Save(extendedFolder);
        ScoredLabel[][] overridden;
        using (var withOverride = LabelClassifier.Load(result.ModelFolder!, extendedFolder))
            overridden = withOverride.PredictSource(Input(withOverride, test).Source, 13, TestContext.Current.CancellationToken);
        ModelFolder.ReplaceEmbedding(result.ModelFolder!, extended, result.ModelFolder!, new LabelSphere.IO.OutputOptions { Overwrite = true });
        using var predictor = LabelClassifier.Load(result.ModelFolder!);
        var (source, _) = Input(predictor, test);
        var ranked = predictor.PredictSource(source, 13, TestContext.Current.CancellationToken);
        Assert.Equal(overridden.Select(r => r.ToArray()), ranked.Select(r => r.ToArray()));

        // Then the model ranks 13 labels, the new one among them, scored like the others
        Assert.Equal(13, predictor.Vocabulary.Count);
        Assert.True(predictor.Embedding!.IsZeroShot(12));
        Assert.All(ranked, row => Assert.Contains(row, l => l.Name == "tag0+3"));
        // and instances carrying tag0 and tag3 rank it above instances carrying neither
        double Mean(Func<int, bool> which) => Enumerable.Range(0, test.Count).Where(which).Average(i => ranked[i].First(l => l.Name == "tag0+3").Score);
        Assert.True(Mean(i => test.Labels.Row(i).Contains(0) && test.Labels.Row(i).Contains(3)) > Mean(i => !test.Labels.Row(i).Contains(0) && !test.Labels.Row(i).Contains(3)));
    }

    [Fact]
    public void An_embedding_that_does_not_extend_the_models_is_refused()
    {
        var (result, _, _) = TrainSynthetic(HeadKind.Embedding, loads: 0);
        var other = Path.Combine(dir, "other");
        TrainingFixtures.Synthetic(300, seed: 1).Embed(6).Save(other);
        Assert.Throws<ArgumentException>(() => LabelClassifier.Load(result.ModelFolder!, other));
        Assert.Throws<ModelFormatException>(() => LabelClassifier.Load(Path.Combine(dir, "nothing-here")));
    }

    [Fact]
    public void The_sigmoid_baseline_refuses_zero_shot_labels()
    {
        var (result, _, embedding) = TrainSynthetic(HeadKind.Sigmoid, loads: 0);
        var extended = embedding.AddLabel("new", 1, new long[12]);
        Assert.Throws<ArgumentException>(() => ModelFolder.ReplaceEmbedding(result.ModelFolder!, extended, result.ModelFolder!));
    }
    [Theory]
    [InlineData(HeadKind.Embedding, "cosine")]
    [InlineData(HeadKind.Sigmoid, "sigmoid")]
    public void A_version_1_model_folder_loads_with_its_loss_read_as_the_head(HeadKind head, string loss)
    {
        // Given a saved model whose manifest is rewritten as version 1 wrote it: "loss" in place of "head"
        var (result, test, _) = TrainSynthetic(head);
        var path = Path.Combine(result.ModelFolder!, "manifest.json");
        var root = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        root["formatVersion"] = 1;
        foreach (var node in new[] { root, root["options"]!.AsObject() })
        {
            Assert.True(node.Remove("head"));
            node["loss"] = loss;
        }
        File.WriteAllText(path, root.ToJsonString());

        // When it is loaded and ranks
        using var predictor = LabelClassifier.Load(dir);
        var ranked = predictor.PredictSource(Input(predictor, test).Source, 5, TestContext.Current.CancellationToken);

        // Then its head is the one that loss named, and it predicts what training measured
        Assert.Equal(head, predictor.Manifest.Head);
        Assert.Equal(head, predictor.Manifest.Options.Head);
        var precision = RankingMetrics.Evaluate(ranked.Select(r => r.Select(l => l.Id).ToArray()).ToArray(), Input(predictor, test).Source.Labels);
        Assert.Equal(result.Validation!.PrecisionAt1, precision.At1, 6);
    }
}
