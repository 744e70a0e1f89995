using System.CommandLine;
using System.Diagnostics;
using LabelSphere.Data;
using LabelSphere.Embedding;
using LabelSphere.Evaluation;
using LabelSphere.IO;
using LabelSphere.Training;
using LabelSphere.Training.Images;
using Spectre.Console;
using TorchSharp;

namespace LabelSphere.Cli.Commands;

/// <summary>
/// <c>labelsphere train</c>: a network under one of the heads (the paper's embedding head, the sigmoid baseline, the
/// cosine-logit or the joint head), from feature vectors or, with <c>--images</c>, from images.
/// </summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var defaults = new TrainingOptions();
        var data = new Argument<string>("data") { Description = "Training data: features (Mulan ARFF, Extreme Classification text, LIBSVM), text (labels<TAB>text, text CSV or JSON Lines) or, with --images, annotations of images (long or wide CSV, COCO instances JSON)" };
        var embeddingFolder = new Option<string?>("--embedding") { Description = "Embedding folder written by 'labelsphere embed'; required by every head but sigmoid; for --head sigmoid it fixes the label vocabulary (the data's own labels otherwise)" };
        var head = HeadArguments.Head("The head: the label embedding (the paper's, cosine proximity loss), one sigmoid per label (the baseline), sigmoids over scaled cosines to the label embedding, or both heads jointly");
        var output = new Option<string>("--out") { Description = "Output folder: model/ (the trained model), train.jsonl (the log), training.png (its curves), checkpoint/ while running", Required = true };
        var test = new Option<string?>("--test") { Description = "Held-out data of the same kind, measured during training and at the end (instead of a --validation split)" };
        var checkpointEvery = new Option<int>("--checkpoint-every") { Description = "Checkpoint every this many steps (0 = only when stopped)", DefaultValueFactory = _ => defaults.CheckpointEvery }.AtLeast(0);
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --out from its checkpoint (same data and options)" };
        var training = new TrainingArguments();
        var reader = new ReaderArguments(trains: true);

        var command = new Command("train", "Train a network to predict label embeddings (or the sigmoid baseline) from instance features or images")
        {
            data, embeddingFolder, head, output, test,
        };
        foreach (var option in training.All()) command.Options.Add(option);
        foreach (var option in new Option[] { checkpointEvery, resume, OutputArguments.Overwrite, Cli.Json, Distributed.Option }) command.Options.Add(option);
        reader.AddTo(command);
        training.Images.AddTo(command);
        command.SetAction((parse, ct) => Cli.Run(parse, async () =>
        {
            // Under mpirun every rank sets up (the lowest that fails says why); rank 0 alone prints and writes.
            using var job = Distributed.Join(parse);
            bool writes = job is null || job.IsRoot;
            TrainingOptions options = null!;
            DataPaths paths = null!;
            OutputFolder? folder = null;
            TrainingData setup = null!;
            if (job is null) Setup();
            else if (!job.Agree(Setup)) return 1;
            using var held = folder;
            var fit = new LabelClassifierOptions
            {
                Training = options,
                Embedding = setup.Embedding,
                CheckpointFolder = folder?.Path,
                Resume = writes && parse.GetValue(resume),
                Overwrite = parse.GetValue(OutputArguments.Overwrite),
            };
            if (!writes)
            {
                try
                {
                    using var classifier = LabelClassifier.FitPrepared(setup.Set, fit, null, null, ct, job!.Parallel);
                    return 0;
                }
                catch (TrainingStoppedException)
                {
                    return 130;
                }
            }
            job?.Checkpoints(Path.Combine(folder!.Path, Trainer.CheckpointFolderName), options.BatchSize);
            bool json = parse.GetValue(Cli.Json);
            if (!json) PrintSetup(setup, options);
            if (fit.Resume && Trainer.IsUnwritten(folder!.Path))
                Cli.Err.MarkupLine($"[yellow]--resume: {Markup.Escape(folder.Path)} holds no checkpoint yet; the run starts from step 0[/]");
            // A run killed while drawing its plot left the plot's temporary file beside it: the next run on the folder removes it.
            AtomicFolder.Recover(Path.Combine(folder!.Path, Plots.TrainingFile));
            var result = await Task.Run(() => TrainWithProgress(setup.Set, fit, folder, ct, job?.Parallel), CancellationToken.None);
            if (File.Exists(result.LogFile))
                Plots.Training(result.LogFile, Path.Combine(folder.Path, Plots.TrainingFile),
                    $"{Path.GetFileName(paths.Data)}: {Backbones.Name(options.Backbone)} + {options.Head.Name()} head, step {result.Step} of {result.TotalSteps}");
            var summary = Summarize(setup, options, result);
            if (json) Cli.WriteJson(summary);
            else PrintSummary(summary);
            return result.Completed ? 0 : 130;

            void Setup()
            {
                var readerOptions = reader.Get(parse);
                var images = training.Images;
                var testPath = parse.GetValue(test);
                if (parse.GetValue(images.TestImages) is not null && testPath is null) throw new UsageException("--test-images names the images of --test; give --test too");
                if (testPath is not null && TrainingArguments.Given(parse, training.Validation))
                    throw new UsageException("--test and --validation exclude each other: held-out data is either a file or a share of the training data");
                if (testPath is not null && TrainingArguments.Given(parse, training.Keep) && parse.GetValue(training.Keep) == KeepKind.Best)
                    throw new UsageException("--keep best chooses weights on the held-out data, and --test makes that the test data; choose on a --validation share of the training data instead");
                if (testPath is not null && parse.GetValue(head) == HeadKind.Joint && TrainingArguments.Given(parse, training.JointRanking) && parse.GetValue(training.JointRanking) == JointRanking.Fitted)
                    throw new UsageException("--joint-ranking fitted fits its mix on the held-out data, and --test makes that the test data; fit it on a --validation share of the training data instead");
                double validationShare = testPath is null ? parse.GetValue(training.Validation) : 0;
                // With --test, the held-out data is the test data: nothing is chosen on it (--keep last, --joint-ranking sum).
                options = training.Options(parse, readerOptions.SkipInvalid, parse.GetValue(head), validation: validationShare > 0) with
                {
                    CheckpointEvery = parse.GetValue(checkpointEvery),
                };

                paths = new DataPaths(parse.GetValue(data)!, testPath, parse.GetValue(images.Images), parse.GetValue(images.TestImages));
                if (parse.GetValue(resume) && parse.GetValue(OutputArguments.Overwrite))
                    throw new UsageException("--resume continues the run in --out and --overwrite replaces it: give one or the other");
                // Locked and checked before the data is read, so that a second run into the same --out fails at once.
                if (writes)
                    folder = OutputFolder.Open(parse.GetValue(output)!, OutputArguments.TrainingRun,
                        OutputArguments.Options(parse, [paths.Data, paths.Test, paths.Images, paths.TestImages, parse.GetValue(embeddingFolder), .. OutputArguments.ReaderInputs(parse, reader)]),
                        continuing: parse.GetValue(resume));
                try
                {
                    setup = TrainingData.Prepare(paths, validationShare, parse.GetValue(embeddingFolder), readerOptions, options);
                }
                catch
                {
                    folder?.Dispose();
                    folder = null;
                    throw;
                }
            }
        }));
        return command;
    }

    static TrainingResult TrainWithProgress(TrainingSet set, LabelClassifierOptions options, OutputFolder folder, CancellationToken ct, DataParallel? parallel)
    {
        TrainingResult? result = null;
        Cli.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                     new RemainingTimeColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
            .Start(context =>
            {
                var task = context.AddTask("starting", maxValue: 1);
                var progress = new SynchronousProgress<TrainingProgress>(p =>
                {
                    task.MaxValue = p.TotalSteps;
                    task.Value = p.Step;
                    var phase = p.Phase switch
                    {
                        TrainingPhase.Training => "",
                        TrainingPhase.Evaluating => " · evaluating",
                        TrainingPhase.Checkpointing => " · checkpoint",
                        TrainingPhase.Saving => " · saving",
                        _ => "",
                    };
                    var validation = p.Validation is { } v ? $" · val P@1 {v.PrecisionAt1:F3}" : "";
                    task.Description = Markup.Escape($"step {p.Step}/{p.TotalSteps} · loss {p.Loss:F4} · lr {p.LearningRate:G3} · {p.ExamplesPerSecond:N0} ex/s{validation}{phase}");
                });
                try
                {
                    using var classifier = LabelClassifier.FitPrepared(set, options, folder, progress, ct, parallel);
                    result = classifier.Training;
                }
                catch (TrainingStoppedException stopped)
                {
                    result = stopped.Result;
                }
                task.Value = task.MaxValue;
            });
        return result!;
    }

    internal sealed record Summary(
        string Data, string? Test, string? Images, string? TestImages, ImageSourceOptions? Image, int SkippedImages, int SkippedInvalid,
        string Vocabulary, int Labels, int TrainingInstances, int ValidationInstances,
        int EmptyTrainingInstances, int MissingLabels, IReadOnlyList<string> FirstMissingLabels, long DroppedAssignments,
        int? TestMissingLabels, string Model, string Head, int Outputs, long BackboneParameters, long HeadParameters,
        long? EmbeddingHeadParameters, long SigmoidHeadParameters, bool Completed, bool Resumed, int Steps, int TotalSteps,
        double ExamplesPerSecond, double TrainingSeconds, ValidationMetrics? Validation, PrecisionAtK? MostFrequentBaseline,
        string Output, string? ModelFolder, string Log, string? Checkpoint);

    static Summary Summarize(TrainingData setup, TrainingOptions options, TrainingResult result)
    {
        var baseline = setup.Validation is { } v ? RankingMetrics.EvaluateConstant(setup.MostFrequent, v.Labels) : null;
        var paths = setup.Paths;
        string? FullPath(string? path) => path is null ? null : Path.GetFullPath(path);
        return new Summary(
            Path.GetFullPath(paths.Data), FullPath(paths.Test), FullPath(paths.Images),
            paths.Test is null ? null : FullPath(paths.TestImages ?? paths.Images), setup.Image, setup.SkippedImages, setup.SkippedInvalid, setup.VocabularySource,
            setup.Vocabulary.Count, setup.Train.Count, setup.Validation?.Count ?? 0, result.EmptyTrainingInstances,
            setup.TrainMapping.MissingLabels.Count, setup.TrainMapping.MissingLabels.Take(10).ToArray(), setup.TrainMapping.DroppedAssignments,
            setup.TestMapping?.MissingLabels.Count, Backbones.Name(options.Backbone), options.Head.Name(),
            options.Head switch
            {
                HeadKind.Sigmoid => setup.Vocabulary.Count,
                HeadKind.Joint => setup.Embedding!.Dimension + setup.Vocabulary.Count,
                _ => setup.Embedding!.Dimension,
            },
            result.Parameters.Backbone, result.Parameters.Head, result.Parameters.EmbeddingHead, result.Parameters.SigmoidHead,
            result.Completed, result.Resumed, result.Step, result.TotalSteps, result.ExamplesPerSecond, result.TrainingSeconds,
            result.Validation, baseline, Path.GetDirectoryName(result.LogFile!)!, result.ModelFolder, result.LogFile!,
            result.Completed ? null : result.CheckpointFolder);
    }

    /// <summary>One grey line on standard error saying what trains on what, and a yellow one for each loss in reading the data.</summary>
    internal static void PrintSetup(TrainingData setup, TrainingOptions options)
    {
        var m = setup.TrainMapping;
        var input = setup.Image is { } image
            ? $"{image.Size}×{image.Size} images from {setup.Paths.Images}, {ImageArguments.Describe(image)}"
            : $"{setup.Train.InputShape[0]:N0} features, {Cli.Kebab(options.Scaling.ToString())}";
        Cli.Err.MarkupLine($"[grey]training on {setup.Train.Count:N0} instances of {Markup.Escape(setup.Paths.Data)} ({Markup.Escape(input)}); {setup.Vocabulary.Count:N0} labels from {Markup.Escape(setup.VocabularySource)}[/]");
        if (setup.SkippedImages > 0)
            Cli.Err.MarkupLine($"[yellow]{setup.SkippedImages:N0} images skipped (missing files)[/]");
        if (m.MissingLabels.Count > 0)
            Cli.Err.MarkupLine($"[yellow]{m.MissingLabels.Count:N0} labels of the data are not in the embedding ({m.DroppedAssignments:N0} assignments dropped), e.g. {Markup.Escape(string.Join(", ", m.MissingLabels.Take(5)))}[/]");
        if (setup.TestMapping is { MissingLabels.Count: > 0 } t)
            Cli.Err.MarkupLine($"[yellow]{t.MissingLabels.Count:N0} labels of the test data are not in the vocabulary ({t.DroppedAssignments:N0} assignments dropped)[/]");
    }

    static void PrintSummary(Summary s)
    {
        var grid = new Grid().AddColumn().AddColumn();
        grid.AddRow("data", Markup.Escape(s.Data) + (s.Test is null ? "" : $" (test: {Markup.Escape(s.Test)})"));
        if (s.Images is not null)
            grid.AddRow("images", Markup.Escape(s.Images) + (s.Image is { } image ? $", {image.Size}×{image.Size} pixels" : "") +
                (s.SkippedImages > 0 ? $"; {s.SkippedImages:N0} skipped" : ""));
        grid.AddRow("labels", $"{s.Labels:N0} from {Markup.Escape(s.Vocabulary)}" + (s.MissingLabels > 0 ? $"; {s.MissingLabels:N0} labels of the data missing ({s.DroppedAssignments:N0} assignments dropped)" : ""));
        grid.AddRow("instances", $"{s.TrainingInstances:N0} training ({s.EmptyTrainingInstances:N0} without labels), {s.ValidationInstances:N0} {(s.Test is null ? "validation" : "test")}" +
            (s.SkippedInvalid > 0 ? $"; {s.SkippedInvalid:N0} invalid instances skipped" : ""));
        grid.AddRow("model", $"{s.Model} + {s.Head} head ({s.Outputs:N0} outputs)");
        grid.AddRow("parameters", $"body {s.BackboneParameters:N0}; head {s.HeadParameters:N0}" +
            (s.EmbeddingHeadParameters is { } e ? $" (embedding head {e:N0}, sigmoid head {s.SigmoidHeadParameters:N0})" : $" (sigmoid head {s.SigmoidHeadParameters:N0})"));
        grid.AddRow("steps", $"{s.Steps:N0} of {s.TotalSteps:N0}{(s.Resumed ? " (resumed)" : "")}; {s.ExamplesPerSecond:N0} examples/s over {s.TrainingSeconds:F1} s of training");
        if (s.Validation is { } v)
            grid.AddRow(s.Test is null ? "validation" : "test", $"P@1 {v.PrecisionAt1:F4}  P@3 {v.PrecisionAt3:F4}  P@5 {v.PrecisionAt5:F4}  loss {v.Loss:F4}" +
                (s.MostFrequentBaseline is { } b ? $"  (most frequent labels: P@1 {b.At1:F4})" : ""));
        grid.AddRow("log", Markup.Escape(s.Log));
        if (s.Completed) grid.AddRow("model folder", Markup.Escape(s.ModelFolder!));
        else grid.AddRow("[yellow]stopped[/]", $"checkpoint in {Markup.Escape(s.Checkpoint!)}; run the same command with --resume to continue");
        Cli.Out.Write(new Panel(grid).Header("labelsphere train").Border(BoxBorder.Rounded));
    }
}
