using System.CommandLine;
using System.Diagnostics;
using LabelSphere.Data;
using LabelSphere.Embedding;
using LabelSphere.Evaluation;
using LabelSphere.Synthetic;
using LabelSphere.Training;
using Spectre.Console;

namespace LabelSphere.Cli.Commands;

/// <summary>
/// <c>labelsphere demo</c>: the whole paper end to end with no data and no network: a synthetic world, its label
/// embedding, nearest labels and arithmetic, then the embedding model against the sigmoid baseline.
/// </summary>
internal static class DemoCommand
{
    // The demo's budget, a few minutes on two cores; every other training option has train's default.
    const int Steps = 800;
    const int EvalEvery = 100;

    public static Command Create()
    {
        var data = new Option<string?>("--data") { Description = "Run on these annotations (with features) instead of the synthetic world; 20% are held out for testing" };
        var output = new Option<string?>("--out") { Description = "Report folder (a new folder under the system's temporary folder by default)" };
        var training = new TrainingArguments(budget: (Steps, EvalEvery));
        var heads = new Option<string>("--heads")
        {
            Description = $"Heads to train next to the sigmoid baseline, comma-separated ({string.Join(", ", Enum.GetValues<HeadKind>().Select(h => h.Name()))})",
            DefaultValueFactory = _ => $"{HeadKind.Embedding.Name()},{HeadKind.Joint.Name()}",
            Validators = { HeadArguments.ValidateHeads },
        };
        var reader = new ReaderArguments(trains: true);
        var command = new Command("demo", "Run the paper end to end in a few minutes: synthetic world, embedding, neighbours, training the heads, comparison")
        {
            data, output, heads,
        };
        foreach (var option in training.All()) command.Options.Add(option);
        command.Options.Add(OutputArguments.Overwrite);
        reader.AddTo(command);
        training.Images.AddTo(command);
        command.SetAction((parse, ct) => Cli.Run(parse, async () =>
        {
            using var report = OutputArguments.Open(parse,
                parse.GetValue(output) ?? Path.Combine(Path.GetTempPath(), $"labelsphere-demo-{DateTime.Now:yyyyMMdd-HHmmss}"),
                OutputArguments.Demo, [parse.GetValue(data), .. OutputArguments.ReaderInputs(parse, reader)]);
            // Everything goes to a temporary sibling, moved into place once the report is complete.
            var folder = report.Stage();
            int seedValue = parse.GetValue(training.Seed);
            var compared = HeadArguments.ParseHeads(parse.GetValue(heads)!);
            var imageFolder = parse.GetValue(training.Images.Images);
            if (imageFolder is not null && parse.GetValue(data) is null) throw new UsageException("--images names the images of --data; the synthetic world has none");
            if (parse.GetValue(training.Images.TestImages) is not null)
                throw new UsageException("--test-images does not apply to demo: it holds out 20% of --data, whose images are all in --images");
            var validationShare = training.ValidationShare(parse);
            // The heads, trained identically as compare does: the validation split chooses the kept weights and the joint head's mix.
            var options = training.Options(parse, parse.GetValue(reader.SkipInvalid), HeadKind.Embedding, validationShare > 0) with { CheckpointEvery = 0 };
            var clock = Stopwatch.StartNew();
            Cli.Out.MarkupLine($"[bold]LabelSphere demo[/]: about a minute on a 2-core machine. Report folder: {Markup.Escape(report.Path)}");

            // 1. Data: the small synthetic world, or the user's annotations split 80/20.
            string trainPath, testPath;
            var readerOptions = reader.Get(parse);
            LabelWorld? world = null;
            if (parse.GetValue(data) is { } dataPath)
            {
                trainPath = dataPath;
                testPath = "";
                Cli.Out.MarkupLine($"1. data: {Markup.Escape(dataPath)} (20% held out for testing)");
            }
            else
            {
                var worldFolder = Path.Combine(folder, "world");
                world = LabelWorld.Create(WorldOptions.For(WorldPreset.Small) with { Seed = seedValue });
                Cli.Status().Start("generating the synthetic world", _ => WorldWriter.Write(world, worldFolder, cancellationToken: ct));
                trainPath = Path.Combine(worldFolder, "train_data.txt");
                testPath = Path.Combine(worldFolder, "test_data.txt");
                var truth = WorldWriter.Truth(world);
                Cli.Out.MarkupLine($"1. world: {world.Options.Labels} labels in {world.Topics} topics ({truth.SynonymPairs.Count} synonym pairs, {truth.PartOf.Count} parts, " +
                                   $"{truth.Independent.Count} independent labels), {world.Options.Instances:N0} training and {world.Options.TestInstances:N0} test instances, {world.Options.Features} features");
            }

            // 2. The embedding from the training annotations.
            var embeddingFolder = Path.Combine(folder, "embedding");
            var annotations = AnnotationReader.Read(trainPath, readerOptions);
            var counts = CooccurrenceCounts.Count(annotations.Vocabulary, annotations.Labels, ct);
            var embedding = Cli.Status().Start("building the label embedding", _ =>
                LabelEmbedding.Fit(counts, new EmbeddingOptions { Dimension = Math.Min(64, counts.LabelCount), Seed = seedValue }, cancellationToken: ct));
            using (var embeddingOutput = IO.OutputFolder.Open(embeddingFolder, LabelEmbedding.FolderKind))
                embedding.Save(embeddingOutput, temp => SpectrumPlot.Save(embedding, Path.Combine(temp, "spectrum.png")));
            Cli.Out.MarkupLine($"2. embedding: k = {embedding.Dimension}, {embedding.Spectrum.Explained[^1]:P1} of the PMI energy explained, " +
                               $"{embedding.Spectrum.NegativeShare:P1} in negative eigenvalues");

            // 3. Nearest labels and one arithmetic example.
            foreach (var label in ShowcaseLabels(embedding, world))
                Cli.PrintScores($"closest to '{label}'", embedding.Nearest(label, 5));
            var (a, b) = ArithmeticPair(embedding, world);
            Cli.PrintScores($"closest to {a} + {b}", embedding.Arithmetic($"{a} + {b}", 5).Nearest);

            // 4–5. The heads and the baseline, measured on the test set.
            var setup = testPath.Length > 0
                ? TrainingData.Prepare(new DataPaths(trainPath, testPath, null, null), 0, embeddingFolder, readerOptions, options)
                : TrainingData.Prepare(new DataPaths(trainPath, null, imageFolder, null), 0.2, embeddingFolder, readerOptions, options);
            Cli.Out.MarkupLine($"3. training the {Markup.Escape(string.Join(", ", compared.Where(h => h != HeadKind.Sigmoid).Select(h => h.Name())))} head(s) and the sigmoid baseline: " +
                               $"{Backbones.Name(options.Backbone)}, {CompareCommand.Length(options)} each, measured {(options.EvalEvery > 0 ? $"every {options.EvalEvery} steps" : "at the end")}");
            var comparisonFolder = Path.Combine(folder, "comparison");
            var weights = ClassWeights.FromLabels(setup.Train.Labels);
            var result = await Task.Run(() => CompareCommand.RunWithProgress(
                new ComparisonRunner.Setup(setup.Train, setup.Validation!, [setup.Embedding!], options, comparisonFolder, weights)
                { Heads = compared, ValidationShare = validationShare }, ct), CancellationToken.None);
            // results.md names the world's files where they end up, not in the temporary folder.
            string Final(string path) => path.StartsWith(folder, StringComparison.Ordinal) ? report.Path + path[folder.Length..] : path;
            var shown = setup with { Paths = setup.Paths with { Data = Final(setup.Paths.Data), Test = setup.Paths.Test is { } t ? Final(t) : null } };
            var table = CompareCommand.Write(result, comparisonFolder, world is null ? $"{Path.GetFileName(trainPath)}: demo" : "synthetic world: demo",
                shown, options, clock.Elapsed, validationShare);
            report.Commit();
            Console.Out.WriteLine(table);   // Markdown: never wrapped to the console width
            Cli.Out.MarkupLine($"done in {clock.Elapsed.TotalMinutes:F1} minutes. Report: [bold]{Markup.Escape(Path.Combine(report.Path, "comparison"))}[/] " +
                               "(results.md, convergence.png, curves.csv, each model's train.jsonl); embedding and its spectrum.png in " +
                               Markup.Escape(Path.Combine(report.Path, "embedding")));
            return 0;
        }));
        return command;
    }

    // A label with a near-synonym and a whole with parts show the planted structure; on real data, the most frequent labels.
    static IEnumerable<string> ShowcaseLabels(LabelEmbedding embedding, LabelWorld? world)
    {
        if (world is null)
            return Enumerable.Range(0, embedding.LabelCount).OrderByDescending(i => embedding.LabelCounts[i]).Take(2).Select(i => embedding.Vocabulary[i]);
        var labels = world.Labels;
        var synonym = labels.First(l => l.Role == LabelRole.Synonym);
        var part = labels.First(l => l.Role == LabelRole.Part);
        return [labels[synonym.Partner].Name, labels[part.Partner].Name];
    }

    static (string, string) ArithmeticPair(LabelEmbedding embedding, LabelWorld? world)
    {
        var byCount = Enumerable.Range(0, embedding.LabelCount).OrderByDescending(i => embedding.LabelCounts[i]).ToArray();
        if (world is null) return (embedding.Vocabulary[byCount[0]], embedding.Vocabulary[byCount[1]]);
        // Two frequent topic labels of different topics: their sum lands between the two scenes.
        var first = byCount.First(i => world.Labels[i].Role == LabelRole.Topic);
        var second = byCount.First(i => world.Labels[i].Role == LabelRole.Topic && world.Labels[i].Topic != world.Labels[first].Topic);
        return (embedding.Vocabulary[first], embedding.Vocabulary[second]);
    }
}
