using System.CommandLine;
using System.Diagnostics;
using LabelSphere.Data;
using LabelSphere.Embedding;
using Spectre.Console;

namespace LabelSphere.Cli.Commands;

/// <summary><c>labelsphere embed</c>: annotations → co-occurrence → PMI → eigendecomposition → an embedding folder.</summary>
internal static class EmbedCommand
{
    public static Command Create()
    {
        var annotations = new Argument<string>("annotations") { Description = "Annotation file (Extreme Classification text, Mulan ARFF, wide or long CSV, COCO instances or captions JSON)" };
        var dim = new Option<int?>("--dim") { Description = $"Embedding dimension k, between 1 and the number of labels (default {EmbeddingOptions.DefaultDimension}, or the number of labels if fewer)" }.AtLeast(1);
        var output = new Option<string>("--out") { Description = "Folder to write the embedding to", Required = true };
        var reader = new ReaderArguments();
        var minCount = new Option<int>("--min-word-count") { Description = "COCO captions: keep words on at least this many images", DefaultValueFactory = _ => 5 }.AtLeast(1);
        var stopWords = new Option<string?>("--stop-words") { Description = "COCO captions: stop-word file (one per line), or 'none' to keep every word; built-in English list by default" };
        var measure = Cli.EnumOption("--measure", "Association measure", PmiMeasure.Pmi);
        var unseen = Cli.EnumOption("--unseen", "PMI of pairs never seen together", UnseenPairs.Zero);
        var diagonal = Cli.EnumOption("--diagonal", "What the PMI diagonal holds", DiagonalMode.SelfInformation);
        var positive = new Option<bool>("--positive") { Description = "Clip negative PMI to 0 (positive PMI)" };
        var shift = new Option<double>("--shift") { Description = "Subtract log(shift) from PMI (shifted PMI; 1 = none)", DefaultValueFactory = _ => 1.0 }.AtLeast(1.0);
        var alpha = new Option<double>("--alpha") { Description = "Context-distribution smoothing exponent in (0, 1] (1 = none)", DefaultValueFactory = _ => 1.0 }.Above(0.0).Between(0.0, 1.0);
        var negative = Cli.EnumOption("--negative", "Negative eigenvalues", NegativeEigenvalues.Zero);
        var solver = Cli.EnumOption("--solver", "Eigensolver (auto: the least work among the solvers that fit in memory; randomized only when asked for)", EigenSolver.Auto);
        var storage = Cli.EnumOption("--storage", "PMI matrix held dense or sparse (auto: by cost)", PmiStorage.Auto);
        var seed = new Option<long>("--seed") { Description = "Seed of the iterative eigensolvers' starting vectors", DefaultValueFactory = _ => 0 }.AtLeast(0);

        var command = new Command("embed", "Build a label embedding from ground-truth annotations")
        {
            annotations, dim, output, minCount, stopWords,
            measure, unseen, diagonal, positive, shift, alpha, negative, solver, storage, seed, OutputArguments.Overwrite, Cli.Json,
        };
        reader.AddTo(command);
        command.SetAction((parse, ct) => Cli.Run(parse, () =>
        {
            var stopWordsValue = parse.GetValue(stopWords);
            var readerOptions = reader.Get(parse) with
            {
                MinWordCount = parse.GetValue(minCount),
                UseStopWords = stopWordsValue != "none",
                StopWordsPath = stopWordsValue is null or "none" ? null : stopWordsValue,
            };
            var pmiOptions = new PmiOptions
            {
                Measure = parse.GetValue(measure),
                Unseen = parse.GetValue(unseen),
                Diagonal = parse.GetValue(diagonal),
                Positive = parse.GetValue(positive),
                Shift = parse.GetValue(shift),
                Alpha = parse.GetValue(alpha),
            };
            pmiOptions.Validate();
            var options = new EmbeddingOptions
            {
                Pmi = pmiOptions,
                Negative = parse.GetValue(negative),
                Solver = parse.GetValue(solver),
                Storage = parse.GetValue(storage),
                Seed = parse.GetValue(seed),
            };
            using var folder = OutputArguments.Open(parse, parse.GetValue(output)!, LabelEmbedding.FolderKind,
                [parse.GetValue(annotations), readerOptions.StopWordsPath, .. OutputArguments.ReaderInputs(parse, reader)]);
            var result = Run(parse.GetValue(annotations)!, readerOptions, options, parse.GetValue(dim), folder, ct);
            if (parse.GetValue(Cli.Json)) Cli.WriteJson(result);
            else PrintSummary(result);
            return Task.FromResult(0);
        }));
        return command;
    }

    internal sealed record Summary(
        string Annotations, string Format, string Output, int Labels, long Instances, long? EmptyInstances, int SkippedInvalid,
        IReadOnlyList<string> FirstErrors, long DistinctPairs, int Dimension, EigenSolver Solver, EmbeddingPlan Plan, double ExplainedAtK,
        IReadOnlyDictionary<int, double> ExplainedByK, double NegativeShare, bool NegativeShareIsExact, int NegativeEigenvalues,
        int ZeroedColumns, double CountSeconds, double FitSeconds);

    /// <summary>What the summary calls a pair-counts file in place of an annotation format.</summary>
    const string PairCountsFormat = "pair-counts";

    static Summary Run(string path, ReaderOptions readerOptions, EmbeddingOptions options, int? dim, IO.OutputFolder output, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        CooccurrenceCounts? counts = null;
        LabelEmbedding? embedding = null;
        EmbeddingPlan? plan = null;
        double countSeconds = 0;
        // Counts made elsewhere (a SQL engine's GROUP BY, docs/sql/cooccurrence.sql) are read instead of counted.
        bool pairCounts = readerOptions.Format is null && PairCountsFile.Is(path);
        using var stream = pairCounts ? null : AnnotationReader.Open(path, readerOptions);
        options = options with { Dimension = dim };
        if (stream is not null) options.Validate(stream.Vocabulary.Count);

        Cli.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
            .Start(context =>
            {
                if (stream is null)
                {
                    var reading = context.AddTask($"reading {Path.GetFileName(path)}", maxValue: Math.Max(1, new FileInfo(path).Length));
                    counts = PairCountsFile.Read(path, new SynchronousProgress<long>(bytes => reading.Value = bytes), ct);
                    reading.Value = reading.MaxValue;
                    options.Validate(counts.LabelCount);
                }
                else
                {
                    var reading = context.AddTask($"counting {Path.GetFileName(path)}", maxValue: Math.Max(1, stream.TotalBytes));
                    var counter = new CooccurrenceCounter(stream.Vocabulary);
                    foreach (var chunk in stream.ReadChunks())
                    {
                        counter.Add(chunk.Labels, ct);
                        reading.Value = stream.BytesRead;
                    }
                    reading.Value = reading.MaxValue;
                    counts = counter.Build();
                }
                countSeconds = clock.Elapsed.TotalSeconds;
                int labels = counts.LabelCount;

                plan = EmbeddingPlan.For(counts, options);
                if (plan.Warning is not null) Console.Error.WriteLine("warning: " + plan.Warning);
                var pmi = context.AddTask($"PMI ({plan.Storage.ToString().ToLowerInvariant()})", maxValue: 1);
                int k = options.DimensionFor(labels);
                string eigenTitle = $"eigenpairs (k = {k}, {Cli.Kebab(plan.Solver.ToString())})";
                var eigen = context.AddTask(eigenTitle, maxValue: k, autoStart: false);
                pmi.IsIndeterminate = true;
                // The Lanczos solver says after each restart how many of the k pairs have converged, the Chebyshev solver
                // after each pass; the others run in one call.
                string round = plan.Solver == EigenSolver.Chebyshev ? "pass" : "restart";
                var lanczos = new SynchronousProgress<BlockLanczos.Step>(step =>
                {
                    eigen.IsIndeterminate = false;
                    eigen.Value = step.Converged;
                    eigen.Description = $"{eigenTitle}, {round} {step.Restart + 1}, largest residual {step.MaxResidual:0.0e0}";
                });
                embedding = LabelEmbedding.Fit(counts, options, plan, new SynchronousProgress<FitStage>(stage =>
                {
                    if (stage != FitStage.Eigen) return;
                    pmi.IsIndeterminate = false;
                    pmi.Value = 1;
                    eigen.StartTask();
                    eigen.IsIndeterminate = true;
                }), lanczos, ct);
                eigen.IsIndeterminate = false;
                eigen.Description = eigenTitle;
                eigen.Value = k;
            });
        // The figure goes into the temporary folder with the arrays, so the folder appears with it or not at all.
        embedding!.Save(output, temp => SpectrumPlot.Save(embedding, Path.Combine(temp, "spectrum.png")));
        var spectrum = embedding.Spectrum;
        var checkpoints = new[] { 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096 }
            .Where(k => k < embedding.Dimension).Append(embedding.Dimension)
            .ToDictionary(k => k, k => spectrum.Explained[k - 1]);
        var report = stream?.Report;
        return new Summary(path, report is null ? PairCountsFormat : Cli.Kebab(report.Format.ToString()), output.Path, embedding.LabelCount, counts!.Instances,
            counts.EmptyInstances < 0 ? null : counts.EmptyInstances, report?.SkippedInvalid ?? 0, report?.FirstErrors.Select(e => e.ToString()).ToArray() ?? [], counts.DistinctPairs(),
            embedding.Dimension, embedding.Solver, plan!, spectrum.Explained[^1], checkpoints, spectrum.NegativeShare,
            spectrum.NegativeShareIsExact, spectrum.NegativeCount, spectrum.ZeroedColumns, countSeconds, clock.Elapsed.TotalSeconds - countSeconds);
    }

    static void PrintSummary(Summary s)
    {
        var grid = new Grid().AddColumn().AddColumn();
        grid.AddRow("annotations", $"{Markup.Escape(s.Annotations)} ({s.Format})");
        grid.AddRow("labels", $"{s.Labels:N0}");
        grid.AddRow("instances", s.EmptyInstances is { } empty
            ? $"{s.Instances:N0} ({empty:N0} without labels, {(s.Instances == 0 ? 0 : 100.0 * empty / s.Instances):F1}%)"
            : $"{s.Instances:N0} (a counts file does not say how many are without labels)");
        if (s.SkippedInvalid > 0) grid.AddRow("skipped", $"{s.SkippedInvalid:N0} invalid instances; first: {Markup.Escape(s.FirstErrors[0])}");
        grid.AddRow("label pairs", $"{s.DistinctPairs:N0} seen together, of {(long)s.Labels * (s.Labels - 1) / 2:N0} possible");
        grid.AddRow("dimension", $"{s.Dimension} ({Cli.Kebab(s.Solver.ToString())} eigensolver)");
        grid.AddRow("plan", Markup.Escape($"{s.Plan.Storage.ToString().ToLowerInvariant()} PMI ({s.Plan.Density:P2} of cells stored), " +
                                          $"{Cli.Kebab(s.Plan.Solver.ToString())}: {s.Plan.Reason}; estimated {EmbeddingPlan.Gigabytes(s.Plan.EstimatedBytes)}"));
        grid.AddRow("explained", string.Join("  ", s.ExplainedByK.Select(p => $"k={p.Key}: {p.Value:P1}")));
        grid.AddRow("negative", $"{s.NegativeShare:P1} of the spectrum's energy in {s.NegativeEigenvalues:N0} negative eigenvalues{(s.NegativeShareIsExact ? "" : " (among those computed)")}; {s.ZeroedColumns} of the k columns zeroed");
        grid.AddRow("time", $"{s.CountSeconds:F1} s counting, {s.FitSeconds:F1} s PMI and eigendecomposition");
        grid.AddRow("written", Markup.Escape(s.Output));
        Cli.Out.Write(new Panel(grid).Header("labelsphere embed").Border(BoxBorder.Rounded));
    }
}
