using System.Text.Json;
using LabelSphere.Data;
using LabelSphere.Embedding;
using LabelSphere.IO;
using LabelSphere.Tests.Cli;
using LabelSphere.Tests.Training;
using LabelSphere.Training;

namespace LabelSphere.Tests;

[Collection(TorchCollection.Name)]
public sealed class LabelClassifierTests : IDisposable
{
    readonly string dir = CliRunner.TempFolder();

    public void Dispose() => Directory.Delete(dir, true);

    static CancellationToken Token => TestContext.Current.CancellationToken;

    static LabelData AsData(TrainingFixtures.FeatureData data) =>
        new(new AnnotationSet(data.Vocabulary, data.Labels, new ReadReport("synthetic", AnnotationFormat.ExtremeText, data.Count, 0, 0, []), data.Features));

    static readonly TrainingOptions Small = new() { Head = HeadKind.Sigmoid, Hidden = [32], BatchSize = 32, Steps = 40, LearningRate = 3e-3, EvalEvery = 0 };

    static LabelClassifier FitSmall(TrainingOptions? training = null, LabelEmbedding? embedding = null) =>
        LabelClassifier.Fit(AsData(TrainingFixtures.Synthetic(300)), new LabelClassifierOptions { Training = training ?? Small, Embedding = embedding, ValidationFraction = 0 },
            cancellationToken: Token);

    static float[] Dense(FeatureMatrix features, int row)
    {
        var values = new float[features.Columns];
        features.CopyRowTo(row, values);
        return values;
    }

    static Dictionary<string, float> ByName(IEnumerable<ScoredLabel> labels) => labels.ToDictionary(l => l.Name, l => l.Score);

    sealed class CancelAt(int step, CancellationTokenSource stop) : IProgress<TrainingProgress>
    {
        public int Last { get; private set; }

        public void Report(TrainingProgress value)
        {
            Last = value.Step;
            if (value.Step >= step) stop.Cancel();
        }
    }

    [Fact]
    public void Fit_trains_in_memory_and_writes_nothing()
    {
        // Given synthetic data in memory and the current directory set to an empty folder
        var work = Path.Combine(dir, "cwd");
        Directory.CreateDirectory(work);
        var before = Environment.CurrentDirectory;
        Environment.CurrentDirectory = work;
        try
        {
            // When a classifier is fitted without a checkpoint folder
            using var classifier = FitSmall();

            // Then it trained every step, lives in memory only and wrote no file anywhere it was pointed at
            Assert.Null(classifier.Folder);
            Assert.True(classifier.Training!.Completed);
            Assert.Equal(40, classifier.Training.Step);
            Assert.Null(classifier.Training.LogFile);
            Assert.Null(classifier.Training.CheckpointFolder);
            Assert.Empty(Directory.EnumerateFileSystemEntries(work));
            Assert.Equal(12, classifier.Vocabulary.Count);
            Assert.Equal(40, classifier.FeatureCount);
        }
        finally
        {
            Environment.CurrentDirectory = before;
        }
    }

    [Fact]
    public void Dense_sparse_and_batch_predictions_equal_the_command_lines_predict_and_evaluate_its_class_weighted_map()
    {
        // Given a model trained by the command line, and test data
        var train = CliFixtures.WriteExtremeText(dir, "syn", 300, 7);
        var test = CliFixtures.WriteExtremeText(dir, "syntest", 40, 8);
        var run = Path.Combine(dir, "run");
        var trained = CliRunner.Run("train", train, "--head", "sigmoid", "--model", "mlp", "--out", run, "--steps", "40", "--hidden", "32",
            "--lr", "0.003", "--validation", "0", "--json");
        Assert.True(trained.ExitCode == 0, trained.Err);
        var predicted = CliRunner.Run("predict", run, test, "--top", "12", "--json");
        Assert.True(predicted.ExitCode == 0, predicted.Err);
        var evaluated = CliRunner.Run("evaluate", run, test, "--json");
        Assert.True(evaluated.ExitCode == 0, evaluated.Err);

        // When the library loads it and ranks every test instance from its dense vector, its sparse row and in one batch
        using var classifier = LabelClassifier.Load(run);
        var data = LabelData.Read(test);
        var features = data.Annotations.Features!;
        var batch = classifier.PredictBatch(Enumerable.Range(0, data.Count).Select(r => Dense(features, r)).ToArray(), 12, Token);
        var fromData = classifier.PredictBatch(data, 12, Token);

        // Then every score is the command line's
        using var json = JsonDocument.Parse(predicted.Out);
        var rows = json.RootElement.EnumerateArray().ToArray();
        Assert.Equal(data.Count, rows.Length);
        for (int r = 0; r < rows.Length; r++)
        {
            var expected = rows[r].GetProperty("labels").EnumerateArray().ToDictionary(l => l.GetProperty("label").GetString()!, l => l.GetProperty("score").GetSingle());
            int start = (int)features.Offsets[r], end = (int)features.Offsets[r + 1];
            var dense = ByName(classifier.Predict(Dense(features, r), 12));
            var sparse = ByName(classifier.Predict(features.Indices[start..end], features.Values[start..end], 12));
            foreach (var (name, score) in expected)
            {
                Assert.Equal(score, dense[name], 1e-5);
                Assert.Equal(score, sparse[name], 1e-5);
                Assert.Equal(score, ByName(batch[r])[name], 1e-5);
                Assert.Equal(score, ByName(fromData[r])[name], 1e-5);
            }
        }
        // and its evaluation, classes weighted by the training counts it records, is the command line's
        using var evaluation = JsonDocument.Parse(evaluated.Out);
        var report = classifier.Evaluate(data, cancellationToken: Token);
        Assert.NotNull(report.WeightedPaperMap);
        Assert.Equal(evaluation.RootElement.GetProperty("weightedPaperMap").GetDouble(), report.WeightedPaperMap.Value, 12);
        Assert.Equal(evaluation.RootElement.GetProperty("paperMap").GetDouble(), report.PaperMap, 12);
    }

    [Fact]
    public void A_saved_and_loaded_classifier_scores_every_instance_as_the_fitted_one()
    {
        // Given a classifier fitted in memory under the embedding head
        var embedding = TrainingFixtures.Synthetic(300).Embed(6);
        using var fitted = FitSmall(Small with { Head = HeadKind.Embedding }, embedding);
        var test = TrainingFixtures.Synthetic(60, seed: 42);
        var rows = Enumerable.Range(0, test.Count).Select(r => Dense(test.Features, r)).ToArray();

        // When it is saved and loaded back
        var folder = Path.Combine(dir, "model");
        fitted.Save(folder);
        using var loaded = LabelClassifier.Load(folder);

        // Then the loaded one ranks every instance identically, score for score, and weighs classes by the same counts
        var expected = fitted.PredictBatch(rows, 12, Token);
        var actual = loaded.PredictBatch(rows, 12, Token);
        Assert.Equal(expected.Select(r => r.ToArray()), actual.Select(r => r.ToArray()));
        Assert.Equal(folder, loaded.Folder);
        Assert.Equal(fitted.Evaluate(AsData(test), cancellationToken: Token).WeightedPaperMap, loaded.Evaluate(AsData(test), cancellationToken: Token).WeightedPaperMap);
    }

    [Theory]
    [InlineData(HeadKind.Embedding)]
    [InlineData(HeadKind.CosineLogit)]
    [InlineData(HeadKind.Joint)]
    public void A_model_with_an_embedding_head_stores_the_embedding_once_and_older_models_with_both_still_load(HeadKind head)
    {
        // Given a classifier fitted under a head that ranks by the label embedding, saved
        var embedding = TrainingFixtures.Synthetic(300).Embed(6);
        using var fitted = FitSmall(Small with { Head = head }, embedding);
        var test = TrainingFixtures.Synthetic(60, seed: 42);
        var rows = Enumerable.Range(0, test.Count).Select(r => Dense(test.Features, r)).ToArray();
        var folder = Path.Combine(dir, "model");
        fitted.Save(folder);
        var expected = fitted.PredictBatch(rows, 12, Token).Select(r => r.ToArray()).ToArray();

        // Then its weights do not repeat the label rows the embedding folder holds, and it predicts as before
        var weights = Path.Combine(folder, "weights");
        Assert.False(File.Exists(Path.Combine(weights, "head.labelVectors.npy")), "the head's label rows are saved twice");
        Assert.True(File.Exists(Path.Combine(folder, "embedding", "embedding.npy")));
        using (var loaded = LabelClassifier.Load(folder))
            Assert.Equal(expected, loaded.PredictBatch(rows, 12, Token).Select(r => r.ToArray()));

        // And a model written the old way, with the rows among the weights too, loads and predicts the same
        Npy.Write<float>(Path.Combine(weights, "head.labelVectors.npy"), embedding.Vectors.ToArray(), embedding.LabelCount, embedding.Dimension);
        using (var old = LabelClassifier.Load(folder))
            Assert.Equal(expected, old.PredictBatch(rows, 12, Token).Select(r => r.ToArray()));
    }

    [Fact]
    public void A_classifier_fitted_on_raw_text_saves_its_vectoriser_and_ranks_raw_text_after_loading()
    {
        // Given the synthetic topics corpus as raw text (labels<TAB>text and id<TAB>labels<TAB>text)
        var folder = Path.Combine(AppContext.BaseDirectory, "TestData", "text");
        var train = LabelData.Read(Path.Combine(folder, "topics_train.txt"));
        var test = LabelData.Read(Path.Combine(folder, "topics_test.tsv"));

        // When a classifier is fitted on it in memory, saved and loaded back
        using var fitted = LabelClassifier.Fit(train, new LabelClassifierOptions { Training = Small with { Steps = 30 }, ValidationFraction = 0 }, cancellationToken: Token);
        var model = Path.Combine(dir, "text-model");
        fitted.Save(model);
        using var loaded = LabelClassifier.Load(model);

        // Then both vectorise the raw test text the same way and rank every document identically
        Assert.NotNull(loaded.Transform!.Text);
        var expected = fitted.PredictBatch(test, 3, Token);
        Assert.Equal(test.Count, expected.Length);
        Assert.Equal(expected.Select(r => r.ToArray()), loaded.PredictBatch(test, 3, Token).Select(r => r.ToArray()));
        Assert.Equal(fitted.Evaluate(test, cancellationToken: Token).PaperMap, loaded.Evaluate(test, cancellationToken: Token).PaperMap, 12);
    }

    [Fact]
    public void Save_refuses_a_folder_it_did_not_write_and_keeps_its_files()
    {
        using var classifier = FitSmall();
        var folder = Path.Combine(dir, "mine");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "notes.txt"), "mine");
        Assert.Throws<OutputFolderException>(() => classifier.Save(folder, overwrite: true));
        Assert.Equal("mine", File.ReadAllText(Path.Combine(folder, "notes.txt")));
    }

    [Fact]
    public void Predict_from_many_threads_at_once_gives_the_sequential_scores()
    {
        // Given a fitted classifier and the scores of 60 instances predicted one after another
        using var classifier = FitSmall();
        var test = TrainingFixtures.Synthetic(60, seed: 42);
        var rows = Enumerable.Range(0, test.Count).Select(r => Dense(test.Features, r)).ToArray();
        var sequential = rows.Select(r => classifier.Predict(r, 12)).ToArray();

        // When eight threads predict every instance four times over, interleaved, some one at a time and some in batches
        var concurrent = new ScoredLabel[8 * 4][][];
        Parallel.For(0, concurrent.Length, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = Token }, i =>
            concurrent[i] = i % 2 == 0 ? rows.Select(r => classifier.Predict(r, 12)).ToArray() : classifier.PredictBatch(rows, 12, Token));

        // Then every thread got every label's sequential score, to float precision
        foreach (var run in concurrent)
            for (int r = 0; r < rows.Length; r++)
            {
                var scores = ByName(run[r]);
                Assert.Equal(12, scores.Count);
                foreach (var label in sequential[r]) Assert.Equal(label.Score, scores[label.Name], 5);
            }
    }

    [Fact]
    public void Cancelling_fit_without_a_folder_stops_at_the_next_step()
    {
        // Given a run of 100,000 steps whose token is cancelled once step 3 is reported
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Token);
        var progress = new CancelAt(3, stop);

        // When it is fitted
        var stopped = Assert.Throws<TrainingStoppedException>(() => LabelClassifier.Fit(AsData(TrainingFixtures.Synthetic(300)),
            new LabelClassifierOptions { Training = Small with { Steps = 100_000 }, ValidationFraction = 0 }, progress, stop.Token));

        // Then it stopped right there, with nothing written, and says so as a cancellation
        Assert.IsAssignableFrom<OperationCanceledException>(stopped);
        Assert.Equal(3, stopped.Result.Step);
        Assert.Equal(3, progress.Last);
        Assert.False(stopped.Result.Completed);
        Assert.Null(stopped.Result.CheckpointFolder);
    }

    [Fact]
    public void A_fit_stopped_with_a_checkpoint_folder_resumes_to_the_uninterrupted_model()
    {
        // Given the same run fitted uninterrupted in memory, and stopped at step 10 of 30 with a checkpoint folder
        var training = Small with { Steps = 30, CheckpointEvery = 0 };
        using var whole = FitSmall(training);
        var folder = Path.Combine(dir, "run");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Token);
        var stopped = Assert.Throws<TrainingStoppedException>(() => LabelClassifier.Fit(AsData(TrainingFixtures.Synthetic(300)),
            new LabelClassifierOptions { Training = training, ValidationFraction = 0, CheckpointFolder = folder }, new CancelAt(10, stop), stop.Token));
        Assert.Equal(Path.Combine(folder, Trainer.CheckpointFolderName), stopped.Result.CheckpointFolder);

        // When it is resumed from the checkpoint
        using var resumed = LabelClassifier.Fit(AsData(TrainingFixtures.Synthetic(300)),
            new LabelClassifierOptions { Training = training, ValidationFraction = 0, CheckpointFolder = folder, Resume = true }, cancellationToken: Token);

        // Then it ends where the uninterrupted run ended, and its model is saved in the folder
        Assert.True(resumed.Training!.Resumed);
        Assert.Equal(whole.Training!.Losses[10..], resumed.Training.Losses);
        var rows = Enumerable.Range(0, 20).Select(r => Dense(TrainingFixtures.Synthetic(20, seed: 3).Features, r)).ToArray();
        Assert.Equal(whole.PredictBatch(rows, 12, Token).Select(r => r.ToArray()), resumed.PredictBatch(rows, 12, Token).Select(r => r.ToArray()));
        Assert.Equal(Path.Combine(folder, ModelFolder.ModelSubfolder), resumed.Folder);
    }

    [Fact]
    public void Keeping_the_best_weights_in_memory_keeps_the_best_evaluation()
    {
        // Given a run that measures a validation split every 5 steps and keeps the best weights, with no folder
        using var classifier = LabelClassifier.Fit(AsData(TrainingFixtures.Synthetic(300)), new LabelClassifierOptions
        {
            Training = Small with { Steps = 30, EvalEvery = 5, Keep = KeepKind.Best, LearningRate = 0.05 },
            ValidationFraction = 0.2,
        }, cancellationToken: Token);

        // Then the kept step's validation is what the kept model measures on the same split
        Assert.NotNull(classifier.Training!.KeptStep);
        var set = TrainingSet.Prepare(AsData(TrainingFixtures.Synthetic(300)), null, null, 0.2, Small);
        var measured = classifier.EvaluateSource(set.Validation!, null, LabelSphere.Evaluation.ClassWeights.FromLabels(set.Train.Labels), default, false, null, Token);
        Assert.Equal(classifier.Training.Validation!.WeightedPaperMap!.Value, measured.WeightedPaperMap!.Value, 12);
    }

    [Fact]
    public void A_run_sets_its_feature_scaling_in_one_place_and_its_saved_model_predicts()
    {
        // Given instances scaled as the options say, and a run that has no scaling setting of its own
        var data = TrainingFixtures.Synthetic(200);
        var options = Small with { Scaling = FeatureScaling.L2 };
        var result = Trainer.Train(new TrainingRun { Train = data.Source(FeatureTransform.Fit(data.Features, options.Scaling)), Options = options, Output = Path.Combine(dir, "run") },
            cancellationToken: Token);

        // When its model is loaded
        using var loaded = LabelClassifier.Load(result.ModelFolder!);

        // Then it records the source's fitted scaling and predicts with it
        Assert.Equal(FeatureScaling.L2, loaded.Manifest.Scaling);
        Assert.Equal(FeatureScaling.L2, loaded.Transform!.Scaling);
        Assert.Equal(200, loaded.PredictBatch(AsData(data), 3, Token).Length);
    }

    [Fact]
    public void Instances_scaled_otherwise_than_the_options_say_are_refused_naming_the_setting()
    {
        var data = TrainingFixtures.Synthetic(200);
        var run = new TrainingRun { Train = data.Source(FeatureTransform.Fit(data.Features, FeatureScaling.L2)), Options = Small, Output = Path.Combine(dir, "run") };
        var error = Assert.Throws<ArgumentException>(() => Trainer.Train(run, cancellationToken: Token));
        Assert.Equal(nameof(TrainingOptions.Scaling), error.ParamName);
        Assert.Contains("scaled L2, the options ask for TfIdf", error.Message);
        Assert.False(Directory.Exists(Path.Combine(dir, "run")));
    }

    [Fact]
    public void Library_errors_name_settings_not_command_line_flags()
    {
        var data = AsData(TrainingFixtures.Synthetic(50));
        var noEmbedding = Assert.Throws<ArgumentException>(() => LabelClassifier.Fit(data, new LabelClassifierOptions { Training = Small with { Head = HeadKind.Embedding } }, cancellationToken: Token));
        Assert.Equal("Embedding", noEmbedding.ParamName);
        var share = Assert.Throws<ArgumentException>(() => LabelClassifier.Fit(data, new LabelClassifierOptions { Training = Small with { MinLabelledShare = 1 } }, cancellationToken: Token));
        Assert.Equal(nameof(TrainingOptions.MinLabelledShare), share.ParamName);
        var resume = Assert.Throws<ArgumentException>(() => LabelClassifier.Fit(data, new LabelClassifierOptions { Training = Small, Resume = true }, cancellationToken: Token));
        Assert.Equal(nameof(LabelClassifierOptions.CheckpointFolder), resume.ParamName);
        foreach (var error in new[] { noEmbedding, share, resume }) Assert.DoesNotContain("--", error.Message);
    }

    [Fact]
    public void A_split_the_library_refuses_is_reported_by_train_naming_its_option()
    {
        // Given 300 instances, of which train is asked to hold out 99.9% (which leaves none to train on)
        var data = CliFixtures.WriteExtremeText(dir, "syn", 300, 7);

        // When train runs
        var result = CliRunner.Run("train", data, "--head", "sigmoid", "--steps", "1", "--validation", "0.999", "--out", Path.Combine(dir, "run"));

        // Then the shared preparation step's refusal (parameter ValidationFraction) names --validation, in one line
        CliRunner.OneErrorLine(result, "error: --validation: ", "leaves no training instances");
    }

    [Fact]
    public void Data_built_in_memory_holds_what_the_same_data_read_from_a_file_holds_and_trains()
    {
        // Given the synthetic data as a file and as dense arrays with label names
        var path = CliFixtures.WriteExtremeText(dir, "syn", 200, 7);
        var read = LabelData.Read(path).Annotations;
        var synthetic = TrainingFixtures.Synthetic(200);
        var arrays = LabelData.FromDense(
            Enumerable.Range(0, synthetic.Count).Select(r => Dense(synthetic.Features, r)).ToArray(),
            Enumerable.Range(0, synthetic.Count).Select(r => synthetic.Labels.Row(r).ToArray().Select(id => synthetic.Vocabulary[id]).ToArray()).ToArray());

        // Then every instance has the file's features and label names (the vocabulary in order of first use)
        var built = arrays.Annotations;
        Assert.Equal(read.Count, built.Count);
        Assert.Equal(read.Vocabulary.Names.Order(), built.Vocabulary.Names.Order());
        for (int r = 0; r < read.Count; r++)
        {
            Assert.Equal(Dense(read.Features!, r), Dense(built.Features!, r));
            Assert.Equal(read.Labels.Row(r).ToArray().Select(id => read.Vocabulary[id]).Order(), built.Labels.Row(r).ToArray().Select(id => built.Vocabulary[id]).Order());
        }
        // and a classifier fits on it and ranks all its labels
        using var classifier = LabelClassifier.Fit(arrays, new LabelClassifierOptions { Training = Small with { Steps = 10 }, ValidationFraction = 0 }, cancellationToken: Token);
        Assert.Equal(12, classifier.Predict(Dense(synthetic.Features, 0), 12).Length);
    }

    [Fact]
    public void Predicting_a_vector_of_the_wrong_width_names_both_widths()
    {
        using var classifier = FitSmall();
        var error = Assert.Throws<ArgumentException>(() => classifier.Predict(new float[39]));
        Assert.Contains("39 features; the model was trained on 40", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => classifier.Predict([40], [1f]));
    }

    [Fact]
    public void The_documented_library_snippet_runs()
    {
        var trainPath = CliFixtures.WriteExtremeText(dir, "train", 300, 7);
        var testPath = CliFixtures.WriteExtremeText(dir, "test", 60, 8);
        var modelFolder = Path.Combine(dir, "model");
        var output = new StringWriter();

        // The snippet of docs/training.md ("Library use"), with this test's files, a smaller network and fewer steps.
#pragma warning disable xUnit1051 // as the documentation writes it, without a cancellation token
        var train = LabelData.Read(trainPath);
        var test = LabelData.Read(testPath);

        // The paper's head ranks labels by a PMI embedding of the training labels.
        var counts = CooccurrenceCounts.Count(train.Annotations.Vocabulary, train.Annotations.Labels);
        var options = new LabelClassifierOptions
        {
            Embedding = LabelEmbedding.Fit(counts, new EmbeddingOptions { Dimension = 6 }),
            Training = new TrainingOptions { Head = HeadKind.Embedding, Steps = 40, Hidden = [32] },
        };
        using var classifier = LabelClassifier.Fit(train, options);

        float[] features = new float[classifier.FeatureCount!.Value];   // one instance's raw features
        foreach (var label in classifier.Predict(features, top: 5))
            output.WriteLine($"{label.Name}\t{label.Score:F3}");

        var metrics = classifier.Evaluate(test);   // classes weighted as `labelsphere evaluate` weighs them
        output.WriteLine($"MAP@100 {metrics.PaperMap:F4}, class-weighted {metrics.WeightedPaperMap:F4}");

        classifier.Save(modelFolder);
        using var loaded = LabelClassifier.Load(modelFolder);
#pragma warning restore xUnit1051

        Assert.Equal(6, output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.NotNull(metrics.WeightedPaperMap);
        Assert.Equal(classifier.Predict(features, top: 5), loaded.Predict(features, top: 5));
    }
}
