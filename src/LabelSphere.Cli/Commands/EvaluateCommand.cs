using System.CommandLine;
using LabelSphere.Data;
using LabelSphere.Evaluation;
using LabelSphere.Training;
using LabelSphere.Training.Images;
using Spectre.Console;

namespace LabelSphere.Cli.Commands;

/// <summary>Where the label frequencies behind class weights or propensities came from.</summary>
internal enum FrequencySource
{
    /// <summary>Not computed: nothing recorded them and no file was given.</summary>
    None,
    /// <summary>The training label counts recorded in the model's manifest.</summary>
    TrainingData,
    /// <summary>The label counts of the model's embedding: the annotations it was fitted on.</summary>
    Embedding,
    /// <summary>The annotations given with --class-weights.</summary>
    ClassWeightsFile,
}

/// <summary>
/// <c>labelsphere evaluate</c>: every ranking metric of docs/metrics.md for a model written by <c>train</c> on
/// labelled test data: the paper's MAP@100 (unweighted and class-weighted), AP@100, scikit-learn's mAP, P@k, nDCG@k
/// and PSP@k.
/// </summary>
internal static class EvaluateCommand
{
    public static Command Create()
    {
        var modelFolder = new Argument<string>("model") { Description = "Model folder written by 'labelsphere train' (its --out folder, or the model/ folder inside it)" };
        var data = new Argument<string>("data") { Description = "Labelled test instances: features (Mulan ARFF, Extreme Classification text, LIBSVM) for a feature model, text for a model trained on text; for an image model, annotations naming image files in --images (long or wide CSV, COCO instances JSON)" };
        var images = new Option<string?>("--images") { Description = "Image models: the folder the data's image names are relative to; images are decoded as in training, never augmented" };
        var classWeights = new Option<string?>("--class-weights")
        {
            Description = "Annotations (any reader format, read with the data's reader options) whose label frequencies, capped, weight the classes of the class-weighted MAP@100 (default: the training label counts recorded in the model, else its embedding's); also the source of propensities when the model records none",
        };
        var device = NamedOptions.Create("--device", "Where to run the network", DeviceKind.Cpu);
        var plot = new Option<string?>("--plot") { Description = "Draw each class's AP@100 against its training frequency into this PNG file (a file that exists only with --overwrite)" };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace the --plot file when it exists (a PNG image, never another file)" };
        var reader = new ReaderArguments();
        var command = new Command("evaluate", "Measure a trained model on labelled test data: MAP@100 (the paper's, unweighted and class-weighted), AP@100, scikit-learn's mAP, P@k, nDCG@k, PSP@k")
        {
            modelFolder, data, images, classWeights, device, plot, overwrite, Cli.Json,
        };
        reader.AddTo(command);
        command.SetAction((parse, ct) => Cli.Run(parse, async () =>
        {
            var modelPath = parse.GetValue(modelFolder)!;
            if (parse.GetValue(plot) is { } figure) OutputArguments.CheckFigureFile("--plot", figure, parse.GetValue(overwrite));
            using var predictor = LabelClassifier.Load(modelPath, device: parse.GetValue(device));
            var dataPath = parse.GetValue(data)!;
            var imageFolder = parse.GetValue(images);
            ImageArguments.CheckModelInput(predictor, modelPath, dataPath, imageFolder);
            var readerOptions = reader.Get(parse);
            // A pack is read a shard at a time; other data is read whole.
            LabelData? pack = imageFolder is null && Pack.IsPack(dataPath) ? PackData.Open(dataPath) : null;
            var dataSet = pack?.Annotations ?? ReaderArguments.ReportSkipped(AnnotationReader.Read(dataPath, readerOptions));
            if (dataSet.Labels.NonZeros == 0) throw new ArgumentException($"{dataPath}: carries no labels; evaluate needs the true labels of the test instances");
            // The network scores the labels it was trained on; labels added zero-shot since are ranked by predict only.
            var input = pack ?? (imageFolder is not null ? new ImageLabelData(dataSet, imageFolder, readerOptions.SkipInvalid) : new LabelData(dataSet, readerOptions));
            var (source, mapping) = input.For(predictor, trainedLabelsOnly: true);
            FeatureExtraction.Run(source, ct);
            var labels = predictor.TrainedVocabulary;
            if (source.Labels.NonZeros == 0)
                throw new ArgumentException($"{dataPath}: none of its {mapping.DataLabels:N0} labels is one of the model's {labels.Count:N0} (e.g. {string.Join(", ", mapping.MissingLabels.Take(3))}); is this test data of the model's data set?");

            var weightsPath = parse.GetValue(classWeights);
            LabelMatrix? weightLabels = null;
            LabelMappingReport? weightMapping = null;
            if (weightsPath is not null)
            {
                var annotations = ReaderArguments.ReportSkipped(LabelData.Read(weightsPath, readerOptions).Annotations);
                (weightLabels, weightMapping) = LabelMapping.Map(annotations.Vocabulary, annotations.Labels, labels);
                if (weightLabels.NonZeros == 0)
                    throw new ArgumentException($"--class-weights: {weightsPath} carries none of the model's {labels.Count:N0} labels");
            }
            // The class weights and propensities LabelClassifier.Evaluate uses, unless --class-weights gives others.
            var recorded = predictor.RecordedFrequencies();
            var recordedSource = recorded is { FromEmbedding: true } ? FrequencySource.Embedding : FrequencySource.TrainingData;
            var (weights, weightSource) = weightLabels is not null ? (ClassWeights.FromLabels(weightLabels), FrequencySource.ClassWeightsFile)
                : recorded is { } r ? (ClassWeights.FromCounts(r.Counts), recordedSource)
                : (null, FrequencySource.None);
            var (inverse, propensitySource) = recorded is { } t ? (Propensity.Inverse(t.Counts, t.Instances), recordedSource)
                : weightLabels is not null ? (Propensity.Inverse(weightLabels), FrequencySource.ClassWeightsFile)
                : (null, FrequencySource.None);

            var options = LabelClassifier.MetricsFor(labels.Count);
            bool exact = predictor.ExactAveragePrecisionFits(source.Count);
            var report = await Task.Run(() => EvaluateWithProgress(predictor, source, options, weights, inverse, exact, ct), CancellationToken.None);

            var summary = new Summary(
                predictor.Folder!, predictor.Manifest.Head.Name(), Backbones.Name(predictor.Manifest.Options.Backbone),
                Path.GetFullPath(dataPath), imageFolder is null ? null : Path.GetFullPath(imageFolder),
                report.Classes.Instances, source.Count, source is ImageSource { SkippedImages: var skipped } ? skipped : 0, dataSet.Report.SkippedInvalid,
                labels.Count, predictor.Vocabulary.Count - labels.Count, report.ClassesEvaluated, report.ClassesWithoutPositives,
                mapping.MissingLabels.Count, mapping.MissingLabels.Take(10).ToArray(), mapping.DroppedAssignments,
                weightSource, weightsPath is null ? null : Path.GetFullPath(weightsPath), weightMapping?.MissingLabels.Count,
                propensitySource, Propensity.DefaultA, Propensity.DefaultB,
                report.PaperMap, report.WeightedPaperMap, report.MeanAveragePrecisionAtDepth, report.MeanAveragePrecision,
                exact ? null : $"the {source.Count:N0} × {labels.Count:N0} score matrix exceeds {LabelClassifier.ExactScoreLimit:N0} scores",
                [.. labels.Names], report);
            if (parse.GetValue(plot) is { } plotPath)
            {
                var counts = recorded?.Counts ?? weightLabels?.LabelCounts()
                    ?? throw new ArgumentException("--plot: the model records no training label counts to draw the classes against; give --class-weights <training annotations>");
                Plots.ClassAveragePrecision(report.Classes.PaperAveragePrecision, counts, plotPath,
                    $"{Path.GetFileName(dataPath)}: AP@100 of {report.ClassesEvaluated:N0} classes, {predictor.Manifest.Head.Name()} head");
            }
            if (parse.GetValue(Cli.Json)) Cli.WriteJson(summary);
            else Print(summary);
            return 0;
        }));
        return command;
    }

    static MetricsReport EvaluateWithProgress(LabelClassifier predictor, IInstanceSource source, MetricsOptions options, double[]? weights,
                                              double[]? inverse, bool exact, CancellationToken ct)
    {
        MetricsReport? report = null;
        Cli.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                     new RemainingTimeColumn(), new SpinnerColumn())
            .Start(context =>
            {
                var task = context.AddTask($"scoring {source.Count:N0} instances", maxValue: Math.Max(1, source.Count));
                report = predictor.EvaluateSource(source, options, weights, inverse, exact, new SynchronousProgress<int>(n => task.Value = n), ct);
                task.Value = task.MaxValue;
            });
        return report!;
    }

    /// <summary>What <c>evaluate --json</c> prints: the run's inputs, the headline figures and the full report.</summary>
    internal sealed record Summary(
        string Model, string Head, string Backbone, string Data, string? Images, int Instances, int DataInstances, int SkippedImages, int SkippedInvalid,
        int Classes, int ZeroShotLabelsNotEvaluated, int ClassesEvaluated, int ClassesWithoutPositives,
        int UnknownLabels, IReadOnlyList<string> FirstUnknownLabels, long DroppedAssignments,
        FrequencySource ClassWeights, string? ClassWeightsFile, int? ClassWeightsUnknownLabels,
        FrequencySource Propensities, double PropensityA, double PropensityB,
        double PaperMap, double? WeightedPaperMap, double MeanAveragePrecisionAtDepth, double? MeanAveragePrecision,
        string? MeanAveragePrecisionSkipped, string[] Labels, MetricsReport Metrics);

    static string SourceText(FrequencySource source, string? file) => source switch
    {
        FrequencySource.TrainingData => "the training label counts recorded in the model",
        FrequencySource.Embedding => "the label counts of the model's embedding (the annotations it was fitted on)",
        FrequencySource.ClassWeightsFile => $"the label counts of {file}",
        FrequencySource.None => "none",
        _ => throw new ArgumentOutOfRangeException(nameof(source), source, "unknown frequency source"),
    };

    static string F(double? value) => value is { } v ? v.ToString("F4") : "–";

    static void Print(Summary s)
    {
        var m = s.Metrics;
        int depth = m.Classes.Depth;
        var grid = new Grid().AddColumn().AddColumn();
        grid.AddRow("model", Markup.Escape($"{s.Model} ({s.Backbone} + {s.Head} head)"));
        grid.AddRow("data", Markup.Escape(s.Data + (s.Images is null ? "" : $" (images in {s.Images})")));
        grid.AddRow("instances", $"{s.Instances:N0}" + (s.SkippedImages > 0 ? $" ({s.SkippedImages:N0} images skipped)" : "") +
            (s.SkippedInvalid > 0 ? $" ({s.SkippedInvalid:N0} invalid instances skipped)" : "") +
            $"; {m.Instances.InstancesWithoutLabels:N0} without labels (they count as 0 in P@k, nDCG@k, PSP@k)");
        grid.AddRow("classes", $"{s.Classes:N0}; {s.ClassesWithoutPositives:N0} without test positives (left out of MAP, AP and mAP)" +
            (s.ZeroShotLabelsNotEvaluated > 0 ? $"; {s.ZeroShotLabelsNotEvaluated:N0} labels added zero-shot not evaluated" : ""));
        if (s.UnknownLabels > 0)
            grid.AddRow("[yellow]unknown labels[/]", Markup.Escape($"{s.UnknownLabels:N0} labels of the data are not the model's ({s.DroppedAssignments:N0} assignments dropped), e.g. {string.Join(", ", s.FirstUnknownLabels.Take(5))}"));
        grid.AddRow("class weights", Markup.Escape(s.ClassWeights == FrequencySource.None
            ? "none recorded in the model: MAP is unweighted only; give --class-weights <training annotations> for the paper's class-weighted MAP"
            : $"capped frequencies from {SourceText(s.ClassWeights, s.ClassWeightsFile)}" +
              (s.ClassWeightsUnknownLabels is int u && u > 0 ? $" ({u:N0} of its labels unknown to the model)" : "")));
        grid.AddRow("propensities", Markup.Escape(s.Propensities == FrequencySource.None
            ? "none recorded in the model: PSP@k not computed; give --class-weights <training annotations> to compute it"
            : $"from {SourceText(s.Propensities, s.ClassWeightsFile)}, A = {s.PropensityA}, B = {s.PropensityB}"));

        var classWise = new Table().Border(TableBorder.Simple).Title("class-wise (each class ranks the instances)");
        classWise.AddColumn("metric");
        classWise.AddColumn(new TableColumn("value").RightAligned());
        classWise.AddRow($"MAP@{depth} (paper)", F(s.PaperMap));
        classWise.AddRow($"MAP@{depth} (paper, class-weighted)", s.WeightedPaperMap is null ? "– (give --class-weights)" : F(s.WeightedPaperMap));
        classWise.AddRow($"AP@{depth}", F(s.MeanAveragePrecisionAtDepth));
        classWise.AddRow("mAP (scikit-learn)", s.MeanAveragePrecision is null ? Markup.Escape($"– ({s.MeanAveragePrecisionSkipped})") : F(s.MeanAveragePrecision));

        var cutoffs = m.Instances.Cutoffs;
        var instanceWise = new Table().Border(TableBorder.Simple).Title("instance-wise (each instance ranks the classes)");
        instanceWise.AddColumn("k");
        foreach (var k in cutoffs) instanceWise.AddColumn(new TableColumn(k.ToString()).RightAligned());
        void Row(string name, double[]? values) =>
            instanceWise.AddRow([name, .. cutoffs.Select((_, i) => values is null ? "–" : F(values[i]))]);
        Row("P@k", m.Instances.Precision);
        Row("nDCG@k", m.Instances.Ndcg);
        Row("PSP@k", m.Instances.NormalisedPropensityScoredPrecision);
        Row("PSP@k unnormalised", m.Instances.PropensityScoredPrecision);

        var body = new Rows(grid, new Columns(classWise, instanceWise) { Expand = false });
        Cli.Out.Write(new Panel(body).Header("labelsphere evaluate").Border(BoxBorder.Rounded));
    }
}
