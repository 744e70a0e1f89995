using System.CommandLine;
using System.Diagnostics;
using LabelSphere.Evaluation;
using LabelSphere.Training;
using Spectre.Console;

namespace LabelSphere.Cli.Commands;

/// <summary>
/// <c>labelsphere noise</c>: the denoising experiment (issue 4). Both heads train on the clean training labels, on
/// them with a share dropped, and on them with wrong ones added; each is measured on the clean test set, and the
/// table shows how much each head loses against its own clean run.
/// </summary>
internal static class NoiseCommand
{
    const string EmbeddingNote =
        "The label embedding is the one given with --embedding, fitted from clean annotations and the same in every condition " +
        "(in the paper the embedding comes from a separate annotation set); only the training targets of the networks are noisy, and the test labels are clean.";

    public static Command Create()
    {
        var arguments = new ComparisonArguments("New or empty folder for results.md, results.csv, noise.png and one training run per condition and head");
        var drop = new Option<double>("--drop") { Description = "Probability with which each true training label is removed (0 to skip this condition)", DefaultValueFactory = _ => 0 }
            .Between(0.0, 1.0, maximumIncluded: false);
        var add = new Option<double>("--add")
        {
            Description = $"Wrong training labels added per true label, up to {LabelNoise.MaxAddFraction}, drawn from the label frequencies (0 to skip this condition)",
            DefaultValueFactory = _ => 0,
        }.Between(0.0, LabelNoise.MaxAddFraction);
        var head = HeadArguments.Head("The head compared with the sigmoid baseline (one that uses the label embedding)");
        var command = new Command("noise", "Train both heads on clean, partly dropped and partly wrong training labels and report how much each loses on clean test labels");
        arguments.AddTo(command, drop, add, head);
        command.SetAction((parse, ct) => Cli.Run(parse, async () =>
        {
            double dropFraction = parse.GetValue(drop), addFraction = parse.GetValue(add);
            if (dropFraction == 0 && addFraction == 0)
                throw new ArgumentException("give --drop or --add (or both) above 0: without noise there is nothing to compare the clean run with");
            var structured = parse.GetValue(head);
            if (!structured.UsesEmbedding()) throw new UsageException("--head: the baseline is always the sigmoid head; name a head that uses the label embedding to compare with it");
            var options = arguments.Options(parse, structured);
            using var output = arguments.OpenOutput(parse, OutputArguments.Noise);
            var folder = output.Stage();
            var setup = arguments.Prepare(parse, options);
            var share = arguments.ValidationShare(parse, setup.Train.Count);
            // Weights come from the clean labels, so every condition is scored by the same MAP@100.
            var weights = arguments.Weights(parse, setup);
            var clean = setup.Train.Labels;

            var plan = new List<(NoiseKind Kind, double Fraction, NoisyLabels Labels)> { (NoiseKind.Clean, 0, new(clean, 0, 0)) };
            if (dropFraction > 0) plan.Add((NoiseKind.Drop, dropFraction, LabelNoise.Drop(clean, dropFraction, options.Seed)));
            if (addFraction > 0) plan.Add((NoiseKind.Add, addFraction, LabelNoise.Add(clean, addFraction, options.Seed)));

            var clock = Stopwatch.StartNew();
            var conditions = new List<NoiseCondition>();
            foreach (var (kind, fraction, noisy) in plan)
            {
                var name = NoiseCondition.NameOf(kind, fraction);
                Cli.Err.MarkupLine($"[bold]{Markup.Escape(name)}[/]: {noisy.Labels.NonZeros:N0} training labels ({noisy.Removed:N0} removed, {noisy.Added:N0} added)");
                var train = kind == NoiseKind.Clean ? setup.Train : setup.Train.WithLabels(noisy.Labels);
                var run = Path.Combine(folder, name.Replace(' ', '-').Replace("%", "", StringComparison.Ordinal));
                var result = await Task.Run(() => CompareCommand.RunWithProgress(
                    new ComparisonRunner.Setup(train, setup.Validation!, [setup.Embedding!], options, run, weights) { Heads = [structured], ValidationShare = share }, ct), CancellationToken.None);
                result.WriteCurves(Path.Combine(run, "curves.csv"));
                conditions.Add(new NoiseCondition(kind, fraction, noisy.Removed, noisy.Added, noisy.Labels.NonZeros, result));
            }

            var denoising = new DenoisingResult(conditions);
            var table = denoising.Table();
            Write(denoising, table, folder, setup, options, clock.Elapsed, parse.GetValue(arguments.ClassWeights));
            output.Commit();
            if (parse.GetValue(Cli.Json))
                Cli.WriteJson(new
                {
                    output = output.Path,
                    weighted = denoising.Weighted,
                    conditions = conditions.Select(c => new
                    {
                        name = c.Name, noise = c.Kind, fraction = c.Fraction, removed = c.Removed, added = c.Added, trainingLabels = c.TrainingLabels,
                        sigmoid = Head(c.Sigmoid, denoising.Clean.Sigmoid),
                        embedding = Head(c.Embedding, denoising.Clean.Embedding),
                    }),
                });
            else
            {
                Console.Out.WriteLine(table);   // Markdown: never wrapped to the console width
                Cli.Out.MarkupLine($"table in [bold]{Markup.Escape(Path.Combine(output.Path, "results.md"))}[/], results.csv and noise.png");
            }
            return 0;
        }));
        return command;
    }

    static object Head(CurvePoint point, CurvePoint clean) => new
    {
        map100 = point.PaperMap,
        weightedMap100 = point.WeightedPaperMap,
        relativeToClean = DenoisingResult.Relative(point, clean),
        precisionAt1 = point.PrecisionAt1,
        precisionAt5 = point.PrecisionAt5,
    };

    static void Write(DenoisingResult result, string table, string folder, TrainingData setup, TrainingOptions options, TimeSpan elapsed, string? classWeights)
    {
        result.WriteCsv(Path.Combine(folder, "results.csv"));
        Plots.Noise(result, Path.Combine(folder, "noise.png"), $"{Path.GetFileName(setup.Paths.Data)}: training label noise, {Backbones.Name(options.Backbone)}, {CompareCommand.Length(options)}");
        var markdown = $"""
            # {Path.GetFileName(setup.Paths.Data)}: training label noise, {Backbones.Name(options.Backbone)}, {CompareCommand.Length(options)}

            Training data `{setup.Paths.Data}` ({setup.Train.Count:N0} instances, {setup.Train.Labels.NonZeros:N0} labels), clean test data `{setup.Paths.Test}`
            ({setup.Validation!.Count:N0} instances), {setup.Vocabulary.Count:N0} classes; {Backbones.Name(options.Backbone)} body, {TrainingArguments.OptimizerName(options.Optimizer)},
            batch {options.BatchSize}, {CompareCommand.Length(options)}, seed {options.Seed}; {elapsed.TotalMinutes:F1} minutes in all.
            Dropped labels: each true training label removed with the given probability. Added labels: f × (the instance's label count)
            wrong labels per instance, rounded stochastically, drawn from the label frequencies among the labels it does not have.
            {EmbeddingNote}
            The MAP@100 is {(result.Weighted ? $"class-weighted (weights from the class frequencies of {(classWeights is null ? "the clean training labels" : $"`{classWeights}`")}, capped; docs/metrics.md)" : "unweighted")};
            "vs clean" is each head's relative change against the same head trained on clean labels.

            {table}
            """;
        IO.AtomicFolder.WriteText(Path.Combine(folder, "results.md"), markdown);
    }
}
