using LabelSphere.Evaluation;
using LabelSphere.Training;

namespace LabelSphere.Tests.Training;

[Collection(TorchCollection.Name)]
[NoTensorLeaks]
public sealed class TrainerTests : IDisposable
{
    readonly string dir = TrainingFixtures.TempFolder();

    public void Dispose() => Directory.Delete(dir, true);

    static readonly TrainingOptions Small = new()
    {
        Hidden = [32],
        Dropout = 0.2,
        BatchSize = 16,
        Steps = 40,
        LearningRate = 3e-3,
        EvalEvery = 20,
        LogEvery = 5,
        CheckpointEvery = 0,
        Seed = 11,
    };

    TrainingRun SyntheticRun(TrainingOptions options, string name, bool resume = false)
    {
        var data = TrainingFixtures.Synthetic(200);
        var transform = FeatureTransform.Fit(data.Features, options.Scaling);
        var validation = TrainingFixtures.Synthetic(60, seed: 99);
        return new TrainingRun
        {
            Train = data.Source(transform),
            Validation = validation.Source(transform),
            Options = options,
            Embedding = data.Embed(6),
            Output = Path.Combine(dir, name),
            Resume = resume,
        };
    }

    [Fact]
    public void Loss_decreases_on_a_small_real_set()
    {
        // Given the first 1,000 bibtex training instances and an embedding of their labels
        if (TrainingFixtures.Bibtex() is not var (train, _)) { Assert.Skip(DatasetPaths.Missing); return; }
        var subset = train.Rows(0, 1000);
        var options = new TrainingOptions { Hidden = [128], Steps = 150, BatchSize = 64, EvalEvery = 0, Seed = 1 };
        var transform = FeatureTransform.Fit(subset.Features, options.Scaling);

        // When an MLP trains on them for 150 steps (about ten epochs) under each head
        foreach (var loss in Enum.GetValues<HeadKind>())
        {
            var run = new TrainingRun
            {
                Train = subset.Source(transform),
                Options = options with { Head = loss },
                Embedding = subset.Embed(32),
                Output = Path.Combine(dir, loss.ToString()),
            };
            AllowNetworks(1, run);
            var result = Train(run);

            // Then the mean loss of the last 10 steps is well below that of the first 10
            Assert.True(result.Completed);
            double first = result.Losses[..10].Average(), last = result.Losses[^10..].Average();
            Assert.True(last < first - 0.05 * Math.Abs(first), $"{loss}: loss went from {first:F4} to {last:F4}");
        }
    }

    [Fact]
    public void A_trained_model_beats_the_most_frequent_labels_on_held_out_precision_at_1()
    {
        // Given 2,000 bibtex training instances, 500 held-out test instances and the most-frequent-labels predictor
        if (TrainingFixtures.Bibtex() is not var (train, test)) { Assert.Skip(DatasetPaths.Missing); return; }
        var subset = train.Rows(0, 2000);
        var held = test.Rows(0, 500);
        var options = new TrainingOptions { Hidden = [256], Epochs = 5, EvalEvery = 0, Seed = 2 };
        var transform = FeatureTransform.Fit(subset.Features, options.Scaling);
        var baseline = RankingMetrics.EvaluateConstant(RankingMetrics.MostFrequent(subset.Labels, 5), held.Labels);

        // When the embedding model trains for five epochs and is measured on the test instances
        var run = new TrainingRun
        {
            Train = subset.Source(transform),
            Validation = held.Source(transform),
            Options = options,
            Embedding = subset.Embed(64),
            Output = dir,
        };
        AllowNetworks(1, run);
        var result = Train(run);

        // Then its precision@1 is well above the baseline's
        Assert.NotNull(result.Validation);
        Assert.True(result.Validation.PrecisionAt1 > baseline.At1 + 0.1,
            $"held-out P@1 {result.Validation.PrecisionAt1:F3}, most frequent labels {baseline.At1:F3}");
    }

    [Theory]
    [InlineData(OptimizerKind.RmsProp)]
    [InlineData(OptimizerKind.Sgd)]
    public void The_same_seed_gives_identical_losses(OptimizerKind optimizer)
    {
        // Given one set of options with dropout (so torch's generator matters)
        var options = Small with { Optimizer = optimizer };
        AllowNetworks(3, SyntheticRun(options, "measure"));

        // When two runs train with it, and a third with another seed
        var a = Train(SyntheticRun(options, "a"));
        var b = Train(SyntheticRun(options, "b"));
        var c = Train(SyntheticRun(options with { Seed = 12 }, "c"));

        // Then the first two agree bit for bit, step by step, and the third does not
        Assert.Equal(a.Losses, b.Losses);
        Assert.Equal(a.Validation, b.Validation);
        Assert.NotEqual(a.Losses, c.Losses);
    }

    [Theory]
    [InlineData(OptimizerKind.RmsProp, HeadKind.Embedding)]
    [InlineData(OptimizerKind.Adam, HeadKind.Sigmoid)]
    [InlineData(OptimizerKind.Sgd, HeadKind.Embedding)]
    public void A_run_stopped_and_resumed_ends_where_an_uninterrupted_run_ends(OptimizerKind optimizer, HeadKind loss)
    {
        // Given an uninterrupted run of 40 steps
        var options = Small with { Optimizer = optimizer, Head = loss };
        AllowNetworks(3, SyntheticRun(options, "measure"));
        var whole = Train(SyntheticRun(options, "whole"));

        // When the same run is cancelled after step 17 (as Ctrl-C does) and resumed
        using var cancel = new CancellationTokenSource();
        var stopped = Train(SyntheticRun(options, "split"),
            new SyncProgress(p => { if (p.Step == 17) cancel.Cancel(); }), cancel);
        var resumed = Train(SyntheticRun(options, "split", resume: true));

        // Then the first part stopped with a checkpoint at 17, and the second continued to the same losses and weights
        Assert.False(stopped.Completed);
        Assert.Equal(17, stopped.Step);
        Assert.True(resumed.Completed && resumed.Resumed);
        Assert.Equal(17, resumed.FirstStep);
        Assert.Equal(whole.Losses, (float[])[.. stopped.Losses, .. resumed.Losses]);
        Assert.Equal(whole.Validation, resumed.Validation);
        AssertSameWeights(whole.ModelFolder!, resumed.ModelFolder!);
        Assert.Equal(File.ReadAllText(whole.LogFile!).Split('\n').Length, File.ReadAllText(resumed.LogFile!).Split('\n').Length);
    }

    [Fact]
    public void A_stop_during_an_evaluation_finishes_it_then_checkpoints_and_the_resumed_run_ends_the_same()
    {
        // Given an uninterrupted run measured every 20 steps
        AllowNetworks(3, SyntheticRun(Small, "measure"));
        var whole = Train(SyntheticRun(Small, "whole"));

        // When Ctrl-C comes while step 20 is being evaluated, and the run is resumed
        using var cancel = new CancellationTokenSource();
        var stopped = Train(SyntheticRun(Small, "split"),
            new SyncProgress(p => { if (p.Step == 20 && p.Phase == TrainingPhase.Evaluating) cancel.Cancel(); }), cancel);
        var resumed = Train(SyntheticRun(Small, "split", resume: true));

        // Then the evaluation ran to its end, the run stopped with a checkpoint at step 20, and the resumed run ends as
        // the uninterrupted one with every log line
        Assert.False(stopped.Completed);
        Assert.Equal(20, stopped.Step);
        Assert.NotNull(stopped.Validation);
        Assert.True(resumed.Completed && resumed.Resumed);
        Assert.Equal(whole.Losses, (float[])[.. stopped.Losses, .. resumed.Losses]);
        Assert.Equal(whole.Validation, resumed.Validation);
        Assert.Equal(File.ReadAllText(whole.LogFile!).Split('\n').Length, File.ReadAllText(resumed.LogFile!).Split('\n').Length);
    }

    [Fact]
    public void A_killed_run_resumes_from_its_last_checkpoint_to_the_same_end()
    {
        // Given an uninterrupted run, and the same run checkpointing every 10 steps and killed at step 15
        var options = Small with { CheckpointEvery = 10 };
        AllowNetworks(3, SyntheticRun(options, "measure"));
        var whole = Train(SyntheticRun(options, "whole"));
        Assert.Throws<InvalidOperationException>(() => Train(SyntheticRun(options, "killed"),
            new SyncProgress(p => { if (p.Step == 15) throw new InvalidOperationException("killed"); })));

        // When it is resumed
        var resumed = Train(SyntheticRun(options, "killed", resume: true));

        // Then it restarted from step 10 and ended with the uninterrupted run's losses, weights and log
        Assert.Equal(10, resumed.FirstStep);
        Assert.Equal<float>(whole.Losses[10..], resumed.Losses);
        AssertSameWeights(whole.ModelFolder!, resumed.ModelFolder!);
        var wholeLog = File.ReadAllLines(whole.LogFile!).Select(StripThroughput);
        var resumedLog = File.ReadAllLines(resumed.LogFile!).Select(StripThroughput);
        Assert.Equal(wholeLog, resumedLog);
    }

    [Fact]
    public void A_run_killed_between_the_two_renames_of_a_checkpoint_resumes_from_it_and_keeps_its_log()
    {
        // Given an uninterrupted run, and the same run checkpointing every 10 steps, killed at step 15
        var options = Small with { CheckpointEvery = 10 };
        AllowNetworks(3, SyntheticRun(options, "measure"));
        var whole = Train(SyntheticRun(options, "whole"));
        Assert.Throws<InvalidOperationException>(() => Train(SyntheticRun(options, "killed"),
            new SyncProgress(p => { if (p.Step == 15) throw new InvalidOperationException("killed"); })));
        // ... in the middle of its next checkpoint: the valid one renamed aside, the new one half written
        var run = Path.Combine(dir, "killed");
        Directory.Move(Path.Combine(run, "checkpoint"), Path.Combine(run, $".checkpoint.old-{Guid.NewGuid():N}"));
        var temp = Directory.CreateDirectory(Path.Combine(run, $".checkpoint.tmp-{Guid.NewGuid():N}")).FullName;
        File.WriteAllText(Path.Combine(temp, "optimizer.bin"), "half");

        // When it is resumed
        var resumed = Train(SyntheticRun(options, "killed", resume: true));

        // Then it continued from the step-10 checkpoint, kept the log of steps 1-10, and left nothing beside its folders
        Assert.True(resumed.Resumed);
        Assert.Equal(10, resumed.FirstStep);
        Assert.Equal<float>(whole.Losses[10..], resumed.Losses);
        Assert.Equal(File.ReadAllLines(whole.LogFile!).Select(StripThroughput), File.ReadAllLines(resumed.LogFile!).Select(StripThroughput));
        Assert.Equal(["model", "train.jsonl"], Directory.EnumerateFileSystemEntries(run).Select(Path.GetFileName).Order());
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir, ".killed*"));
    }

    [Fact]
    public void A_run_is_replaced_only_when_overwriting_and_never_when_it_holds_other_files()
    {
        // Given a complete run
        AllowNetworks(3, SyntheticRun(Small, "measure"));
        Train(SyntheticRun(Small with { Steps = 3 }, "run"));

        // When it is run again with overwrite
        var second = Train(SyntheticRun(Small with { Steps = 6 }, "run") with { OutputOptions = new() { Overwrite = true } });

        // Then the folder holds the new run only
        Assert.Equal(6, second.Step);
        Assert.Equal(2, File.ReadAllLines(second.LogFile!).Length);

        // And once the user put a file in it, not even overwrite replaces it
        File.WriteAllText(Path.Combine(dir, "run", "notes.txt"), "mine");
        var e = Assert.Throws<LabelSphere.IO.OutputFolderException>(() =>
            Train(SyntheticRun(Small with { Steps = 3 }, "run") with { OutputOptions = new() { Overwrite = true } }));
        Assert.Equal(LabelSphere.IO.OutputRefusal.NotOurs, e.Reason);
        Assert.Equal("mine", File.ReadAllText(Path.Combine(dir, "run", "notes.txt")));
    }

    [Fact]
    public void Resuming_with_other_options_is_refused()
    {
        AllowNetworks(2, SyntheticRun(Small, "measure"));
        using var cancel = new CancellationTokenSource();
        Train(SyntheticRun(Small, "run"), new SyncProgress(p => { if (p.Step == 5) cancel.Cancel(); }), cancel);
        var e = Assert.Throws<ArgumentException>(() => Train(SyntheticRun(Small with { LearningRate = 1e-2 }, "run", resume: true)));
        Assert.Contains("learningRate", e.Message);
    }

    [Fact]
    public void Resuming_with_another_embedding_of_the_same_labels_and_dimension_is_refused()
    {
        // Given a run stopped at step 5, and an embedding of the same 12 labels and dimension fitted on other data
        AllowNetworks(2, SyntheticRun(Small, "measure"));
        using var cancel = new CancellationTokenSource();
        Train(SyntheticRun(Small, "run"), new SyncProgress(p => { if (p.Step == 5) cancel.Cancel(); }), cancel);
        var other = TrainingFixtures.Synthetic(200, seed: 3).Embed(6);

        // When it is resumed with that embedding, then it is refused naming the embedding
        var e = Assert.Throws<ArgumentException>(() => Train(SyntheticRun(Small, "run", resume: true) with { Embedding = other }));
        Assert.Contains("embedding", e.Message);
        Assert.DoesNotContain("labels", e.Message.Split('(')[^1]);
    }

    [Fact]
    public void Resuming_with_changed_feature_values_is_refused()
    {
        // Given a run stopped at step 5
        AllowNetworks(2, SyntheticRun(Small, "measure"));
        using var cancel = new CancellationTokenSource();
        Train(SyntheticRun(Small, "run"), new SyncProgress(p => { if (p.Step == 5) cancel.Cancel(); }), cancel);

        // When it is resumed on the same instances and labels with one feature value changed
        var run = SyntheticRun(Small, "run", resume: true);
        var data = TrainingFixtures.Synthetic(200);
        var values = data.Features.Values.ToArray();
        values[^1] += 1;
        var changed = new LabelSphere.Data.FeatureMatrix(data.Features.Offsets.ToArray(), data.Features.Indices.ToArray(), values, data.Features.Columns);
        var source = new FeatureSource(changed, data.Labels, data.Vocabulary, ((FeatureSource)run.Train).Transform);

        // Then it is refused: the inputs differ though counts, shape and labels do not
        var e = Assert.Throws<ArgumentException>(() => Train(run with { Train = source }));
        Assert.Contains("inputs", e.Message);
        Assert.Equal(Checkpoint.Fingerprint(run.Train, run.Embedding).Split(", ")[..3], Checkpoint.Fingerprint(source, run.Embedding).Split(", ")[..3]);
    }

    [Fact]
    public void Resuming_where_there_is_no_checkpoint_is_refused_unless_nothing_was_written_there()
    {
        // Given an output folder holding a run's log but no checkpoint (killed before its first one), and one that does not exist
        AllowNetworks(1, SyntheticRun(Small, "measure"));
        var holding = SyntheticRun(Small with { Steps = 3 }, "holding", resume: true);
        Directory.CreateDirectory(holding.Output!);
        File.WriteAllText(Path.Combine(holding.Output!, Trainer.LogFileName), "mine");

        // When each is resumed
        var e = Assert.Throws<IOException>(() => Train(holding));
        var fresh = Train(SyntheticRun(Small with { Steps = 3 }, "fresh", resume: true));

        // Then the first is refused saying there is no checkpoint and its log is kept; the second starts from step 0
        Assert.Contains("no checkpoint", e.Message);
        Assert.Equal("mine", File.ReadAllText(Path.Combine(holding.Output!, Trainer.LogFileName)));
        Assert.True(fresh.Completed);
        Assert.False(fresh.Resumed);
        Assert.Equal(0, fresh.FirstStep);
    }

    [Fact]
    public void Training_where_no_instance_carries_a_label_of_the_vocabulary_is_refused()
    {
        // Given the synthetic instances with every label set emptied (an embedding of another data set labels none)
        var run = SyntheticRun(Small, "run");
        var empty = new LabelSphere.Data.LabelMatrix(new long[run.Train.Count + 1], [], run.Train.Vocabulary.Count);
        var unlabelled = run with { Train = run.Train.WithLabels(empty) };

        // When it trains, then it is refused before anything is written
        var e = Assert.Throws<ArgumentException>(() => Train(unlabelled));
        Assert.Contains("none of the 200 training instances", e.Message);
        Assert.False(Directory.Exists(run.Output));

        // and a minimum share above what the data has is refused too
        var share = Assert.Throws<ArgumentException>(() => Train(SyntheticRun(Small with { MinLabelledShare = 0.99 }, "run")));
        Assert.Contains("minimum share 99%", share.Message);
    }

    [Fact]
    public void An_output_folder_holding_a_run_is_not_overwritten()
    {
        AllowNetworks(1, SyntheticRun(Small, "measure"));
        Train(SyntheticRun(Small with { Steps = 3 }, "run"));
        var e = Assert.Throws<LabelSphere.IO.OutputFolderException>(() => Train(SyntheticRun(Small with { Steps = 3 }, "run")));
        Assert.Equal(LabelSphere.IO.OutputRefusal.Exists, e.Reason);
    }

    [Fact]
    public void Instances_without_labels_are_counted_and_train_without_nan()
    {
        // Given synthetic data in which about 5% of instances carry no label
        var run = SyntheticRun(Small, "run");
        AllowNetworks(1, run);
        int empty = Enumerable.Range(0, run.Train.Count).Count(r => run.Train.Labels.Row(r).IsEmpty);
        Assert.True(empty > 0);

        // When the embedding model trains on it
        var result = Train(run);

        // Then they are counted and every loss is finite
        Assert.Equal(empty, result.EmptyTrainingInstances);
        Assert.All(result.Losses, l => Assert.True(float.IsFinite(l)));
    }

    [Fact]
    public void The_small_cnn_trains_on_images()
    {
        // Given coloured squares whose colour is their label
        var images = ImageFixtures.ColouredSquares(48, 12, seed: 5);
        var embedding = LabelSphere.Embedding.LabelEmbedding.Fit(
            LabelSphere.Embedding.CooccurrenceCounts.Count(images.Vocabulary, images.Labels, TestContext.Current.CancellationToken), new LabelSphere.Embedding.EmbeddingOptions { Dimension = 3 },
            cancellationToken: TestContext.Current.CancellationToken);

        // When the small CNN trains on them under the cosine head
        var run = new TrainingRun
        {
            Train = images,
            Validation = images,
            Options = new TrainingOptions { Backbone = BackboneKind.Cnn, CnnWidth = 8, Dropout = 0, BatchSize = 12, Steps = 30, LearningRate = 3e-3, EvalEvery = 0 },
            Embedding = embedding,
            Output = dir,
        };
        AllowNetworks(1, run);
        var result = Train(run);

        // Then it learns them
        Assert.True(result.Completed);
        Assert.True(result.Validation!.PrecisionAt1 > 0.9, $"P@1 {result.Validation.PrecisionAt1}");
    }

    [Fact]
    public void Keep_best_saves_the_weights_of_the_evaluation_with_the_best_validation_score()
    {
        // Given a run measured every 10 steps on validation instances whose label sets are shuffled against their inputs,
        // so that its validation score wanders instead of rising to the last step
        var run = SyntheticRun(Small with { Keep = KeepKind.Best, EvalEvery = 10, Steps = 80 }, "best");
        var validation = run.Validation!;
        var shuffled = Enumerable.Range(0, validation.Count).ToArray();
        new Random(5).Shuffle(shuffled);
        run = run with { Validation = validation.WithLabels(validation.Labels.SelectRows(shuffled)) };
        AllowNetworks(2, run);

        // When it trains
        var result = Train(run);

        // Then it keeps the step whose validation class-weighted MAP@100 the log shows highest, not the last one,
        var measured = File.ReadLines(result.LogFile!).Select(line => System.Text.Json.JsonDocument.Parse(line).RootElement)
            .Where(e => e.TryGetProperty("validation", out _))
            .Select(e => (Step: e.GetProperty("step").GetInt32(), Score: e.GetProperty("validation").GetProperty("weightedPaperMap").GetDouble()))
            .ToArray();
        Assert.Equal(8, measured.Length);
        var best = measured.MaxBy(m => m.Score);
        Assert.Equal(best.Step, result.KeptStep);
        Assert.NotEqual(80, result.KeptStep);
        Assert.Equal(best.Score, result.Validation!.WeightedPaperMap!.Value, 12);
        // and the saved model scores the validation instances as that step did; the best weights' folder is gone
        using var predictor = LabelClassifier.Load(result.ModelFolder!);
        var report = predictor.EvaluateSource(run.Validation, null, ClassWeights.FromLabels(run.Train.Labels), default, false, null, TestContext.Current.CancellationToken);
        Assert.Equal(best.Score, report.WeightedPaperMap!.Value, 12);
        Assert.False(Directory.Exists(Path.Combine(dir, "best", Trainer.BestFolderName)));
    }

    [Fact]
    public void A_run_keeping_its_best_weights_killed_and_resumed_keeps_the_same_ones()
    {
        // Given a joint head ranked by the fitted mix that keeps its best weights, checkpointing every 10 steps,
        // measured every 5 on validation labels shuffled against their inputs (so the best is not the last)
        var options = Small with { Head = HeadKind.Joint, JointRanking = JointRanking.Fitted, Keep = KeepKind.Best, EvalEvery = 5, CheckpointEvery = 10 };
        TrainingRun Run(string name, bool resume = false)
        {
            var run = SyntheticRun(options, name, resume);
            var shuffled = Enumerable.Range(0, run.Validation!.Count).ToArray();
            new Random(5).Shuffle(shuffled);
            return run with { Validation = run.Validation.WithLabels(run.Validation.Labels.SelectRows(shuffled)) };
        }
        AllowNetworks(3, Run("measure"));
        var whole = Train(Run("whole"));

        // When the same run is killed at step 17, after its checkpoint at 10, and resumed
        Assert.Throws<InvalidOperationException>(() => Train(Run("killed"),
            new SyncProgress(p => { if (p.Step == 17 && p.Phase == TrainingPhase.Training) throw new InvalidOperationException("killed"); })));
        var resumed = Train(Run("killed", resume: true));

        // Then it keeps the same step's weights, bit for bit, with the same validation
        Assert.NotNull(whole.KeptStep);
        Assert.NotEqual(40, whole.KeptStep);
        Assert.Equal(whole.KeptStep, resumed.KeptStep);
        Assert.Equal(whole.Validation, resumed.Validation);
        AssertSameWeights(whole.ModelFolder!, resumed.ModelFolder!);
    }

    [Fact]
    public void Keep_best_and_the_fitted_joint_ranking_refuse_a_run_without_validation_instances()
    {
        var run = SyntheticRun(Small, "none") with { Validation = null };
        Assert.Throws<ArgumentException>(() => Train(run with { Options = Small with { Keep = KeepKind.Best } }));
        Assert.Throws<ArgumentException>(() => Train(run with { Options = Small with { Head = HeadKind.Joint, JointRanking = JointRanking.Fitted } }));
    }

    internal static TrainingResult Train(TrainingRun run, IProgress<TrainingProgress>? progress = null, CancellationTokenSource? stop = null)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop?.Token ?? default, TestContext.Current.CancellationToken);
        return Trainer.Train(run, progress, linked.Token);
    }

    /// <summary>Allows for TorchSharp's count of the <paramref name="runs"/> networks the test's runs build (see <see cref="NoTensorLeaksAttribute"/>).</summary>
    internal static void AllowNetworks(int runs, TrainingRun run) =>
        NoTensorLeaksAttribute.AllowConstruction(runs, () => LabelModel.Create(
            BackboneConfig.From(run.Options, run.Train.InputShape), run.Options.Head, run.Train.Vocabulary.Count, run.Embedding));

    static string StripThroughput(string line) => System.Text.RegularExpressions.Regex.Replace(line, "\"examplesPerSecond\":[^,}]*", "");

    internal static void AssertSameWeights(string a, string b)
    {
        var files = Directory.GetFiles(Path.Combine(a, "weights")).Select(Path.GetFileName).Order().ToArray();
        Assert.NotEmpty(files);
        Assert.Equal(files, Directory.GetFiles(Path.Combine(b, "weights")).Select(Path.GetFileName).Order().ToArray());
        foreach (var file in files)
            Assert.True(File.ReadAllBytes(Path.Combine(a, "weights", file!)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(b, "weights", file!))), $"{file} differs");
    }
}

/// <summary>Reports on the trainer's thread, so that a test can cancel at an exact step.</summary>
internal sealed class SyncProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
{
    public void Report(TrainingProgress value) => report(value);
}
