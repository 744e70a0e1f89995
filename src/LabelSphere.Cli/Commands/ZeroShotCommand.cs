using System.CommandLine;
using System.Diagnostics;
using LabelSphere.Evaluation;
using LabelSphere.Training;
using Spectre.Console;

namespace LabelSphere.Cli.Commands;

/// <summary>
/// <c>labelsphere zeroshot</c>: labels held out of training, placed afterwards from their co-occurrences, and their
/// average precision on the test set next to chance and next to models trained with them (the paper's 3.3.1).
/// </summary>
internal static class ZeroShotCommand
{
    public static Command Create()
    {
        var holdOut = new Option<int>("--hold-out") { Description = "How many labels to hold out, spread over the frequency ranks", DefaultValueFactory = _ => 10 }.AtLeast(1);
        var labels = new Option<string?>("--labels") { Description = "Hold out these labels instead (comma-separated names)" };
        var minCount = new Option<int>("--min-count") { Description = "Labels chosen by --hold-out occur at least this often in training", DefaultValueFactory = _ => 20 }.AtLeast(1);
        var arguments = new ComparisonArguments("Folder for results.md, labels.csv, zeroshot.png, the extended embedding and one training run per model", classWeights: false, selection: false);
        var head = HeadArguments.Head("The head of the zero-shot model and of the model trained with the labels (one that uses the label embedding)");
        var command = new Command("zeroshot", "Hold labels out of training, place them zero-shot from their co-occurrences, and measure them against chance and against models trained with them");
        arguments.AddTo(command, holdOut, labels, minCount, head);
        command.SetAction((parse, ct) => Cli.Run(parse, async () =>
        {
            // One measurement, at the end: the held-out labels are scored by the final models.
            var structured = parse.GetValue(head);
            if (!structured.UsesEmbedding()) throw new UsageException("--head: the sigmoid head cannot rank labels added after training; name a head that uses the label embedding");
            var options = arguments.Options(parse, structured);
            using var output = arguments.OpenOutput(parse, OutputArguments.ZeroShot);
            var folder = output.Stage();
            if (parse.GetValue(labels) is not null)
                foreach (var option in new Option[] { holdOut, minCount })
                    if (parse.GetResult(option) is { Implicit: false }) throw new ArgumentException($"{option.Name} chooses labels to hold out; --labels names them: give one or the other");
            var setup = arguments.Prepare(parse, options);
            var embedding = setup.Embedding!;
            int[] heldOut;
            if (parse.GetValue(labels) is { } names)
            {
                heldOut = names.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(embedding.IdOf).ToArray();
            }
            else
            {
                int count = parse.GetValue(holdOut), minimum = parse.GetValue(minCount);
                heldOut = ZeroShotExperiment.ChooseLabels(setup.Train.Labels, setup.Validation!.Labels, count, minimum);
            }
            var testCounts = setup.Validation!.Labels.LabelCounts();
            foreach (var h in heldOut)
                if (testCounts[h] == 0) throw new ArgumentException($"--labels: '{embedding.Vocabulary[h]}' has no positive in {setup.Paths.Test}, so its average precision is undefined");

            var clock = Stopwatch.StartNew();
            var result = await Task.Run(() => ComparisonArguments.WithProgress(progress => ZeroShotExperiment.Run(
                new ZeroShotExperiment.Setup(setup.Train, setup.Validation!, embedding, heldOut, options, folder), progress, ct)), CancellationToken.None);
            var table = result.Table();
            Directory.CreateDirectory(folder);
            result.WriteCsv(Path.Combine(folder, "labels.csv"));
            Plots.ZeroShot(result, Path.Combine(folder, "zeroshot.png"), $"{Path.GetFileName(setup.Paths.Data)}: labels held out of training, k = {result.Dimension}");
            result.ReducedEmbedding.Save(Path.Combine(folder, "embedding"));
            var markdown = $"""
                # Zero-shot labels: {Path.GetFileName(setup.Paths.Data)}

                {result.Labels.Count} labels held out of the training targets and of the embedding, placed afterwards from their co-occurrences in the
                training annotations (`{setup.Paths.Data}`, {setup.Train.Count:N0} instances), and measured on `{setup.Paths.Test}` ({setup.Validation!.Count:N0} instances).
                The zero-shot and embedding models have the {options.Head.Name()} head. The three models share their body ({Backbones.Name(options.Backbone)}), optimizer ({TrainingArguments.OptimizerName(options.Optimizer)}), batch ({options.BatchSize}) and length ({CompareCommand.Length(options)});
                {clock.Elapsed.TotalMinutes:F1} minutes in all. AP is scikit-learn's average precision over the whole test set; chance is its exact
                expectation under a random ranking. `embedding/` holds the embedding without the labels, extended with them placed zero-shot:
                `labelsphere predict zero-shot/model <data> --embedding embedding` decodes with them.

                {table}
                """;
            IO.AtomicFolder.WriteText(Path.Combine(folder, "results.md"), markdown);
            output.Commit();
            if (parse.GetValue(Cli.Json))
            {
                var (chance, zero, company, withEmbedding, sigmoid) = result.Means;
                Cli.WriteJson(new
                {
                    output = output.Path,
                    dimension = result.Dimension,
                    means = new { chance, zeroShot = zero, zeroShotCompany = company, embedding = withEmbedding, sigmoid },
                    labels = result.Labels,
                });
            }
            else
            {
                Console.Out.WriteLine(table);   // Markdown: never wrapped to the console width
                Cli.Out.MarkupLine($"results, per-label CSV and chart, and the extended embedding in [bold]{Markup.Escape(output.Path)}[/]");
            }
            return 0;
        }));
        return command;
    }
}
