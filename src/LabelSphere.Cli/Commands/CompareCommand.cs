using System.CommandLine;
using System.Diagnostics;
using LabelSphere.Data;
using LabelSphere.Embedding;
using LabelSphere.Evaluation;
using LabelSphere.Training;
using Spectre.Console;

namespace LabelSphere.Cli.Commands;

/// <summary>
/// <c>labelsphere compare</c>: the paper's experiment on any data set: the embedding model and the sigmoid baseline
/// trained with identical settings, measured on the test set every n steps; curves, figure and table. The data is
/// feature vectors or, with <c>--images</c>, annotations of images.
/// </summary>
internal static class CompareCommand
{
    public static Command Create()
    {
        var defaults = new TrainingOptions();
        var train = new Argument<string>("train") { Description = "Training data: features (Mulan ARFF, Extreme Classification text) or, with --images, annotations of images (long or wide CSV, COCO instances JSON)" };
        var test = new Argument<string>("test") { Description = "Test data of the same kind, measured every --eval-every steps (its images in --test-images, or --images)" };
        var embeddingFolder = new Option<string>("--embedding") { Description = "Embedding folder written by 'labelsphere embed'; its labels are the classes compared", Required = true };
        var model = NamedOptions.Create("--model", "Network body, the same for both heads; cnn when --images is given and --model is not", defaults.Backbone, Backbones.Name);
        var steps = new Option<int>("--steps") { Description = "Optimizer steps of each model", DefaultValueFactory = _ => 2000 };
        var evalEvery = new Option<int>("--eval-every") { Description = "Measure both models on the test set every this many steps", DefaultValueFactory = _ => 100 };
        var output = new Option<string>("--out") { Description = "Folder for curves.csv, convergence.png/.svg, results.md and one training run per model", Required = true };
        var dims = new Option<string?>("--dims") { Description = "Repeat the embedding side for these dimensions k (comma-separated), refitting the embedding from the training annotations with the options of --embedding" };
        var classWeights = new Option<string?>("--class-weights") { Description = "Annotations whose label frequencies weight the classes of MAP@100 (the training data by default)" };
        var batchSize = new Option<int>("--batch-size") { Description = $"Instances per mini-batch (default {defaults.BatchSize})", DefaultValueFactory = _ => defaults.BatchSize };
        var lr = new Option<double?>("--lr") { Description = "Peak learning rate (default 1e-3 for rmsprop and adam, 0.05 for sgd)" };
        var optimizer = NamedOptions.Create("--optimizer", "Optimizer", defaults.Optimizer, TrainCommand.OptimizerName);
        var hidden = new Option<string>("--hidden") { Description = $"MLP hidden layer widths, comma-separated, or 'none' (default {string.Join(",", defaults.Hidden)})", DefaultValueFactory = _ => string.Join(",", defaults.Hidden) };
        var seed = new Option<int>("--seed") { Description = "Seed of both runs (default 0)", DefaultValueFactory = _ => defaults.Seed };
        var reader = new ReaderArguments();
        var images = new ImageArguments();
        var command = new Command("compare", "Train the embedding model and the sigmoid baseline identically and compare them (the paper's figure 1 and table)")
        {
            train, test, embeddingFolder, model, steps, evalEvery, output, dims, classWeights, batchSize, lr, optimizer, hidden, seed, Cli.Json,
        };
        reader.AddTo(command);
        images.AddTo(command);
        command.SetAction((parse, ct) => Cli.Run(parse, async () =>
        {
            var readerOptions = reader.Get(parse);
            var (backbone, image) = images.Resolve(parse, model, readerOptions.SkipInvalid);
            var options = defaults with
            {
                Backbone = backbone,
                Image = image,
                CnnWidth = parse.GetValue(images.CnnWidth),
                Steps = parse.GetValue(steps),
                EvalEvery = parse.GetValue(evalEvery),
                BatchSize = parse.GetValue(batchSize),
                LearningRate = parse.GetValue(lr),
                Optimizer = parse.GetValue(optimizer),
                Hidden = TrainCommand.ParseHidden(parse.GetValue(hidden)!),
                Seed = parse.GetValue(seed),
                LogEvery = Math.Max(1, parse.GetValue(evalEvery)),
                CheckpointEvery = 0,
                Loss = LossKind.Cosine,
            };
            options.Validate();
            if (options.EvalEvery < 1) throw new ArgumentException("--eval-every must be at least 1");
            var folder = Path.GetFullPath(parse.GetValue(output)!);
            if (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any())
                throw new IOException($"{folder} is not empty; a comparison writes into a new or empty folder");
            var setup = TrainingData.Prepare(new DataPaths(parse.GetValue(train)!, parse.GetValue(test)!, parse.GetValue(images.Images), parse.GetValue(images.TestImages)), 0, parse.GetValue(embeddingFolder)!, readerOptions, options);
            var embeddings = Embeddings(setup, parse.GetValue(dims));
            var weightSource = setup.Train.Labels;
            if (parse.GetValue(classWeights) is { } weightsPath)
            {
                var annotations = AnnotationReader.Read(weightsPath, readerOptions);
                weightSource = LabelMapping.Map(annotations.Vocabulary, annotations.Labels, setup.Vocabulary).Labels;
            }
            var weights = ClassWeights.FromLabels(weightSource);
            bool json = parse.GetValue(Cli.Json);
            if (!json) TrainCommand.PrintSetup(setup, options);
            var clock = Stopwatch.StartNew();
            var result = await Task.Run(() => RunWithProgress(new ComparisonRunner.Setup(setup.Train, setup.Validation!, embeddings, options, folder, weights, setup.Features),
                1 + embeddings.Count, options, ct), CancellationToken.None);
            var input = setup.Image is { } size ? $" on {size.Size}×{size.Size} images" : "";
            var title = $"{Path.GetFileName(setup.Paths.Data)}: {Backbones.Name(options.Backbone)}{input}, {options.Steps} steps";
            var table = Write(result, folder, title, setup, options, clock.Elapsed);
            if (json)
                Cli.WriteJson(new
                {
                    output = folder,
                    models = result.Models.Select(m => new { name = m.Name, dimension = m.Dimension, final = m.Curve[^1], reachesBaselineAt = result.StepReachingBaseline(m) }),
                });
            else
            {
                Console.Out.WriteLine(table);   // Markdown: never wrapped to the console width
                Cli.Out.MarkupLine($"curves, figure and table in [bold]{Markup.Escape(folder)}[/]");
            }
            return 0;
        }));
        return command;
    }

    static IReadOnlyList<LabelEmbedding> Embeddings(TrainingData setup, string? dims)
    {
        var embedding = setup.Embedding!;
        if (dims is null) return [embedding];
        var ks = dims.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(d =>
            int.TryParse(d, out var k) && k >= 1 && k <= embedding.Labels ? k
                : throw new ArgumentException($"--dims: '{d}' is not a dimension between 1 and the number of labels ({embedding.Labels})")).Distinct().ToArray();
        var counts = CooccurrenceCounts.Count(setup.Vocabulary, setup.Train.Labels);
        return ks.Select(k => LabelEmbedding.Fit(counts, embedding.Options with { Dimension = k })).ToArray();
    }

    internal static ComparisonResult RunWithProgress(ComparisonRunner.Setup setup, int models, TrainingOptions options, CancellationToken ct)
    {
        ComparisonResult? result = null;
        Cli.Err.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(context =>
            {
                var tasks = new Dictionary<string, ProgressTask>();
                result = ComparisonRunner.Run(setup, new SynchronousProgress<(string Model, TrainingProgress Progress)>(p =>
                {
                    if (!tasks.TryGetValue(p.Model, out var task)) tasks[p.Model] = task = context.AddTask(p.Model, maxValue: p.Progress.TotalSteps);
                    task.Value = p.Progress.Step;
                    task.Description = $"{p.Model}: loss {p.Progress.Loss:F4}, {p.Progress.ExamplesPerSecond:N0}/s";
                }), ct);
            });
        return result!;
    }

    internal static string Write(ComparisonResult result, string folder, string title, TrainingData setup, TrainingOptions options, TimeSpan elapsed)
    {
        Directory.CreateDirectory(folder);
        result.WriteCurves(Path.Combine(folder, "curves.csv"));
        ConvergencePlot.Save(result, folder, title);
        var table = result.Table();
        var markdown = $"""
            # {title}

            Training data `{setup.Paths.Data}` ({setup.Train.Count:N0} instances), test data `{setup.Paths.Test}` ({setup.Validation!.Count:N0} instances),{Images(setup)}
            {setup.Vocabulary.Count:N0} classes; {Backbones.Name(options.Backbone)} body, {TrainCommand.OptimizerName(options.Optimizer)}, batch {options.BatchSize},
            {options.Steps} steps, measured every {options.EvalEvery} steps; {elapsed.TotalMinutes:F1} minutes in all.
            The MAP@100 that ranks the models is {(result.Baseline.Curve[^1].WeightedPaperMap is null ? "unweighted" : "class-weighted (weights from the class frequencies, capped; docs/metrics.md)")}.

            {table}
            ![MAP@100 against steps](convergence.png)
            """;
        AtomicFolderFile(Path.Combine(folder, "results.md"), markdown);
        return table;
    }

    // The image line of results.md: folders, size and augmentation; nothing for feature data.
    static string Images(TrainingData setup)
    {
        if (setup.Image is not { } image) return "";
        var folders = setup.Paths.TestImages is { } testImages && testImages != setup.Paths.Images
            ? $"`{setup.Paths.Images}` (test: `{testImages}`)" : $"`{setup.Paths.Images}`";
        return $"\nimages from {folders}, {image.Size}×{image.Size} pixels ({ImageArguments.Describe(image)}){(setup.SkippedImages > 0 ? $", {setup.SkippedImages:N0} skipped" : "")};";
    }

    static void AtomicFolderFile(string path, string text) =>
        IO.AtomicFolder.WriteFile(path, stream => stream.Write(System.Text.Encoding.UTF8.GetBytes(text)));
}
