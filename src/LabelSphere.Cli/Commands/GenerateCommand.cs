using System.CommandLine;
using System.Diagnostics;
using LabelSphere.Synthetic;
using Spectre.Console;

namespace LabelSphere.Cli.Commands;

/// <summary><c>labelsphere generate</c>: a seeded synthetic labelled world, streamed to disk in the Extreme Classification format.</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var preset = Cli.EnumOption("--preset", "Size of the world: small (the demo's), embedding (paper table 1, 17,355 labels, 2.8M instances), evaluation (6,112 labels, 36.5 per instance)", WorldPreset.Small);
        var output = new Option<string>("--out") { Description = "Folder to write train_data.txt, test_data.txt, their label names and truth.json to", Required = true };
        var labels = new Option<int?>("--label-count") { Description = "Number of labels, at least 10 (overrides the preset)" }.AtLeast(10);
        var instances = new Option<long?>("--instances") { Description = "Training instances (overrides the preset)" }.AtLeast(1);
        var testInstances = new Option<long?>("--test-instances") { Description = "Test instances (overrides the preset)" }.AtLeast(0);
        var perInstance = new Option<double?>("--labels-per-instance") { Description = "Mean labels per instance, at least 1 (overrides the preset)" }.AtLeast(1);
        var features = new Option<int?>("--feature-dim") { Description = "Dimension of the feature vectors, 0 for none (overrides the preset)" }.AtLeast(0);
        var pack = new Option<bool>("--pack") { Description = "Write train/ and test/ as packs (what train reads a shard at a time) instead of text; needs features (--feature-dim)" };
        var shardRows = new Option<int?>("--shard-rows") { Description = $"With --pack: instances per shard (default {LabelSphere.Data.Pack.DefaultShardRows:N0}, fewer when that would make a shard over 1 GiB)" }.AtLeast(1);
        var seed = new Option<long>("--seed") { Description = "Seed; the same seed and options give the same bytes", DefaultValueFactory = _ => 0 }.AtLeast(0);
        var command = new Command("generate", "Generate a synthetic multi-label world with planted structure (topics, parts, synonyms, independent labels)")
        {
            preset, output, labels, instances, testInstances, perInstance, features, seed, pack, shardRows, OutputArguments.Overwrite, Cli.Json,
        };
        command.SetAction((parse, ct) => Cli.Run(parse, () =>
        {
            var options = WorldOptions.For(parse.GetValue(preset)) with { Seed = parse.GetValue(seed) };
            if (parse.GetValue(labels) is { } l) options = options with { Labels = l };
            if (parse.GetValue(instances) is { } n) options = options with { Instances = n };
            if (parse.GetValue(testInstances) is { } t) options = options with { TestInstances = t };
            if (parse.GetValue(perInstance) is { } p) options = options with { LabelsPerInstance = p };
            if (parse.GetValue(features) is { } f) options = options with { Features = f };
            bool packs = parse.GetValue(pack);
            if (packs && options.Features == 0)
                throw new UsageException($"--pack writes feature vectors, and the {Cli.Kebab(parse.GetValue(preset).ToString())} preset has none: give --feature-dim");
            if (!packs && parse.GetValue(shardRows) is not null) throw new UsageException("--shard-rows sizes the shards of --pack; give --pack too");
            using var folder = OutputArguments.Open(parse, parse.GetValue(output)!, WorldWriter.Kind);
            var clock = Stopwatch.StartNew();
            LabelWorld? world = null;
            Cli.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .Start(context =>
                {
                    var build = context.AddTask("calibrating the world", maxValue: 1);
                    build.IsIndeterminate = true;
                    world = LabelWorld.Create(options);
                    build.IsIndeterminate = false;
                    build.Value = 1;
                    var write = context.AddTask("writing instances", maxValue: options.Instances + options.TestInstances);
                    var written = new SynchronousProgress<long>(done => write.Value = done);
                    if (packs) WorldWriter.WritePacks(world, folder, parse.GetValue(shardRows), written, ct);
                    else WorldWriter.Write(world, folder, written, ct);
                    write.Value = write.MaxValue;
                });
            var truth = WorldWriter.Truth(world!);
            var summary = new
            {
                output = folder.Path,
                labels = options.Labels,
                instances = options.Instances,
                testInstances = options.TestInstances,
                labelsPerInstance = options.LabelsPerInstance,
                topics = world!.Topics,
                synonymPairs = truth.SynonymPairs.Count,
                parts = truth.PartOf.Count,
                independent = truth.Independent.Count,
                features = options.Features,
                packs = packs,
                seconds = clock.Elapsed.TotalSeconds,
            };
            if (parse.GetValue(Cli.Json)) Cli.WriteJson(summary);
            else
                Cli.Out.MarkupLine($"wrote [bold]{options.Instances:N0}[/] training and {options.TestInstances:N0} test instances over {options.Labels:N0} labels " +
                                   $"({world.Topics} topics, {truth.SynonymPairs.Count} synonym pairs, {truth.PartOf.Count} parts, {truth.Independent.Count} independent) " +
                                   $"to {Markup.Escape(summary.output)} in {summary.seconds:F1} s");
            return Task.FromResult(0);
        }));
        return command;
    }
}
