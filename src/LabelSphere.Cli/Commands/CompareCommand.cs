using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using LabelSphere.Embedding;
using LabelSphere.Evaluation;
using LabelSphere.Training;
using Spectre.Console;

namespace LabelSphere.Cli.Commands;

/// <summary>
/// <c>labelsphere compare</c>: the paper's experiment on any data set: any set of heads and the sigmoid baseline
/// trained with identical settings, measured on the test set every n steps; curves, figure and table. The data is
/// feature vectors or, with <c>--images</c>, annotations of images.
/// </summary>
internal static class CompareCommand
{
    public static Command Create()
    {
        var arguments = new ComparisonArguments("Folder for curves.csv, convergence.png/.svg, results.md and one training run per model");
        var dims = new Option<int[]?>("--dim")
        {
            Description = "Repeat the structured heads for these embedding dimensions k (comma-separated), refitting the embedding from the training annotations with the options of --embedding (its own dimension by default)",
            CustomParser = r =>
            {
                var ks = new List<int>();
                foreach (var d in r.Tokens[0].Value.Split(',', StringSplitOptions.TrimEntries))
                    if (int.TryParse(d, out var k) && k >= 1) ks.Add(k);
                    else r.AddError($"--dim: '{IO.Printable.Shorten(d)}' is not a dimension of at least 1");
                return [.. ks.Distinct()];
            },
        };
        var heads = new Option<string>("--heads")
        {
            Description = $"Heads to train next to the sigmoid baseline, comma-separated ({string.Join(", ", Enum.GetValues<HeadKind>().Select(h => h.Name()))})",
            // The paper's head and the best structured head of docs/results.md, as the demo trains them.
            DefaultValueFactory = _ => $"{HeadKind.Embedding.Name()},{HeadKind.Joint.Name()}",
            Validators = { HeadArguments.ValidateHeads },
        };
        var tuning = new TuningArguments();
        var command = new Command("compare", "Train the heads and the sigmoid baseline identically and compare them (the paper's figure 1 and table)");
        arguments.AddTo(command, [dims, heads, .. tuning.All()]);
        command.SetAction((parse, ct) => Cli.Run(parse, async () =>
        {
            var options = arguments.Options(parse);
            var compared = HeadArguments.ParseHeads(parse.GetValue(heads)!);
            using var output = arguments.OpenOutput(parse, OutputArguments.Comparison);
            var folder = output.Stage();
            var setup = arguments.Prepare(parse, options);
            var embeddings = Embeddings(setup, parse.GetValue(dims));
            var weights = arguments.Weights(parse, setup);
            var share = arguments.ValidationShare(parse, setup.Train.Count);
            var comparison = new ComparisonRunner.Setup(setup.Train, setup.Validation!, embeddings, options, folder, weights)
            {
                Heads = compared,
                ValidationShare = share,
                Grid = tuning.Grid(parse, arguments.Training, options, share, setup, scaling => arguments.Prepare(parse, options with { Scaling = scaling })),
            };
            bool json = parse.GetValue(Cli.Json);
            if (!json) TrainCommand.PrintSetup(setup, options);
            var clock = Stopwatch.StartNew();
            var result = await Task.Run(() => RunWithProgress(comparison, ct), CancellationToken.None);
            var input = setup.Image is { } size ? $" on {size.Size}×{size.Size} images" : "";
            var title = $"{Path.GetFileName(setup.Paths.Data)}: {Backbones.Name(options.Backbone)}{input}, {Length(options)}";
            var table = Write(result, folder, title, setup, options, clock.Elapsed, comparison.ValidationShare, tuning.Axes(parse));
            output.Commit();
            if (json)
                Cli.WriteJson(new
                {
                    output = output.Path,
                    models = result.Models.Select(m => new
                    {
                        name = m.Name, dimension = m.Dimension, setting = m.Setting, final = m.Final, last = m.Curve[^1], keptStep = m.Training.KeptStep,
                        reachesBaselineAt = result.StepReachingBaseline(m), convergence = result.ConvergenceOf(m),
                    }),
                    tuning = result.Tuning,
                });
            else
            {
                Console.Out.WriteLine(table);   // Markdown: never wrapped to the console width
                Cli.Out.MarkupLine($"curves, figure and table in [bold]{Markup.Escape(output.Path)}[/]");
            }
            return 0;
        }));
        return command;
    }

    static IReadOnlyList<LabelEmbedding> Embeddings(TrainingData setup, int[]? dims)
    {
        var embedding = setup.Embedding!;
        if (dims is null or { Length: 0 }) return [embedding];
        var ks = dims.Select(k => k <= embedding.LabelCount ? k
            : throw new ArgumentException($"--dim: {k} is not a dimension between 1 and the number of labels ({embedding.LabelCount})")).ToArray();
        var counts = CooccurrenceCounts.Count(setup.Vocabulary, setup.Train.Labels);
        return ks.Select(k => LabelEmbedding.Fit(counts, embedding.Options with { Dimension = k })).ToArray();
    }

    internal static ComparisonResult RunWithProgress(ComparisonRunner.Setup setup, CancellationToken ct) =>
        ComparisonArguments.WithProgress(progress => ComparisonRunner.Run(setup, progress, ct));

    internal static string Write(ComparisonResult result, string folder, string title, TrainingData setup, TrainingOptions options, TimeSpan elapsed,
                                 double validationShare = 0, IReadOnlyCollection<string>? tuned = null)
    {
        Directory.CreateDirectory(folder);
        result.WriteCurves(Path.Combine(folder, "curves.csv"));
        if (result.Tuning.Count > 0) result.WriteTuning(Path.Combine(folder, "tuning.csv"));
        Plots.Convergence(result, folder, title);
        var table = result.Table();
        var tuning = result.Tuning.Count == 0 ? "" : $"""

            ## Tuning

            Every model trained once per setting of the grid and kept the setting with the best validation score (class-weighted MAP@100 on the
            validation split at the step whose weights it kept; the first on ties), in bold; the table above is each model at its chosen setting.
            Only the chosen settings' runs are kept (tuning.csv has every score).

            {result.TuningTable()}
            """;
        var markdown = $"""
            # {title}

            Training data `{setup.Paths.Data}` ({setup.Train.Count:N0} instances), test data `{setup.Paths.Test}` ({setup.Validation!.Count:N0} instances),{Images(setup)}
            {setup.Vocabulary.Count:N0} classes; {Backbones.Name(options.Backbone)} body, {TrainingArguments.OptimizerName(options.Optimizer)}, batch {options.BatchSize},
            {Length(options)}, measured {Interval(options)}; {elapsed.TotalMinutes:F1} minutes in all.
            The MAP@100 that ranks the models is {(result.Baseline.Final.WeightedPaperMap is null ? "unweighted" : "class-weighted (weights from the class frequencies, capped; docs/metrics.md)")}.
            {Protocol(options, validationShare, tuned ?? [])}
            Every figure is measured on the test data: "at step" is the step of the weights each model kept, "best on test" the best of its curve (which no
            selection rule sees); the steps ratios divide the step at which the baseline first reached its own final score, and its last step, by the step
            at which the model first reaches that score.

            {table}
            ![MAP@100 against steps](convergence.png)
            {tuning}
            """;
        IO.AtomicFolder.WriteText(Path.Combine(folder, "results.md"), markdown);
        return table;
    }

    /// <summary>How long each model trains, as the command line said it: steps, or epochs.</summary>
    internal static string Length(TrainingOptions options) => options.Steps is { } steps ? $"{steps} steps" : $"{options.Epochs} epochs";

    static string Interval(TrainingOptions options) => options.EvalEvery > 0 ? $"every {options.EvalEvery} steps" : "at the end";

    // The protocol line of results.md: the settings every model shared (the axes of a tuning grid, named in tuned:
    // "tuned"), and which split chose the weights each model kept.
    static string Protocol(TrainingOptions options, double validationShare, IReadOnlyCollection<string> tuned)
    {
        string Shared(string axis, string value) => tuned.Contains(axis) ? "tuned" : value;
        return $"Learning rate {Shared("lr", options.PeakLearningRate.ToString("G3", CultureInfo.InvariantCulture))} ({Cli.Kebab(options.Schedule.ToString())} schedule), " +
            $"dropout {Shared("dropout", options.Dropout.ToString("0.##", CultureInfo.InvariantCulture))}, weight decay {Shared("weight decay", options.WeightDecay.ToString("G3", CultureInfo.InvariantCulture))}, " +
            $"features {Shared("features", Cli.Kebab(options.Scaling.ToString()))}, binary loss {Cli.Kebab(options.BinaryLoss.ToString())}; joint head: w = {options.JointWeight:G3}, ranked by {Cli.Kebab(options.JointRanking.ToString())}.\n" +
            (tuned.Count > 0 ? $"Tuned for every model alike, on the validation split: {string.Join(", ", tuned)} (see Tuning below).\n" : "") +
            (validationShare > 0 ? $"{validationShare:0.##%} of the training data carved off for validation (seed {options.Seed}), the same for every model; " : "no validation split; ") +
            (options.Keep == KeepKind.Best ? "each model keeps the weights of its best class-weighted MAP@100 on it." : "each model keeps its last step's weights.");
    }

    // The image line of results.md: folders, size and augmentation; nothing for feature data.
    static string Images(TrainingData setup)
    {
        if (setup.Image is not { } image) return "";
        var folders = setup.Paths.TestImages is { } testImages && testImages != setup.Paths.Images
            ? $"`{setup.Paths.Images}` (test: `{testImages}`)" : $"`{setup.Paths.Images}`";
        return $"\nimages from {folders}, {image.Size}×{image.Size} pixels ({ImageArguments.Describe(image)}){(setup.SkippedImages > 0 ? $", {setup.SkippedImages:N0} skipped" : "")};";
    }
}
