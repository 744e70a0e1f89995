using System.CommandLine;
using System.Diagnostics;
using LabelSphere.Data;
using Spectre.Console;

namespace LabelSphere.Cli.Commands;

/// <summary>
/// <c>labelsphere pack</c>: data in any format the readers take, written as a pack (features in shards of a fixed row
/// count, label sets as CSR, a manifest) that train, compare and evaluate read a shard at a time.
/// </summary>
internal static class PackCommand
{
    public static Command Create()
    {
        var data = new Argument<string>("data") { Description = "Data to pack: features (Mulan ARFF, Extreme Classification text, LIBSVM) or text (labels<TAB>text, text CSV or JSON Lines), vectorised as the text options say" };
        var output = new Option<string>("--out") { Description = "Folder to write the pack to (pack.json, labels-*.i*, shards/)", Required = true };
        var shardRows = new Option<int?>("--shard-rows") { Description = $"Instances per shard (default {Pack.DefaultShardRows:N0}, fewer when that would make a shard over 1 GiB)" }.AtLeast(1);
        var reader = new ReaderArguments(trains: true);
        var command = new Command("pack", "Write data as a pack: sharded features and label sets on disk, which train, compare and evaluate read without holding them in memory")
        {
            data, output, shardRows, OutputArguments.Overwrite, Cli.Json,
        };
        reader.AddTo(command);
        command.SetAction((parse, ct) => Cli.Run(parse, () =>
        {
            var dataPath = parse.GetValue(data)!;
            using var folder = OutputArguments.Open(parse, parse.GetValue(output)!, Pack.Kind, [dataPath, .. OutputArguments.ReaderInputs(parse, reader)]);
            var readerOptions = reader.Get(parse);
            var clock = Stopwatch.StartNew();
            PackManifest? manifest = null;
            // Feature vectors of a declared width are packed as they are read, so a file larger than memory can be packed;
            // text (whose vectoriser is fitted on every row) and LIBSVM (whose width is known at its end) are read whole.
            using (var stream = AnnotationReader.Open(dataPath, readerOptions))
            {
                bool streamed = Pack.Streams(stream);
                var annotations = streamed ? null : ReaderArguments.ReportSkipped(AnnotationReader.Read(stream));
                Cli.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                    .Start(context =>
                    {
                        var write = context.AddTask("packing instances", maxValue: Math.Max(1, annotations?.Count ?? stream.TotalBytes));
                        var progress = new SynchronousProgress<long>(done => write.Value = done);
                        manifest = annotations is null
                            ? Pack.Write(stream, folder, parse.GetValue(shardRows), progress, ct)
                            : Pack.Write(annotations, readerOptions.TextFeatures, folder, parse.GetValue(shardRows), progress, ct);
                        write.Value = write.MaxValue;
                    });
                if (streamed) ReaderArguments.ReportSkipped(stream.Report);
            }
            var summary = new
            {
                output = folder.Path,
                instances = manifest!.Rows,
                features = manifest.Width,
                labels = manifest.Labels.Count,
                shards = manifest.Shards.Count,
                shardRows = manifest.ShardRows,
                bytes = manifest.Shards.Sum(s => s.Features.Bytes) + manifest.LabelOffsets.Bytes + manifest.LabelIds.Bytes,
                text = manifest.Text is not null,
                seconds = clock.Elapsed.TotalSeconds,
            };
            if (parse.GetValue(Cli.Json)) Cli.WriteJson(summary);
            else
                Cli.Out.MarkupLine($"packed [bold]{summary.instances:N0}[/] instances ({summary.features:N0} features{(summary.text ? " of term counts" : "")}, {summary.labels:N0} labels) " +
                                   $"into {summary.shards} shards of {summary.shardRows:N0} rows, {summary.bytes / 1e6:N1} MB, in {Markup.Escape(summary.output)} ({summary.seconds:F1} s)");
            return Task.FromResult(0);
        }));
        return command;
    }
}
