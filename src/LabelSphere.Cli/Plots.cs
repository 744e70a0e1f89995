using System.Text.Json;
using LabelSphere.Evaluation;

namespace LabelSphere.Cli;

/// <summary>
/// The figures the verbs draw, with ScottPlot, all through <see cref="Save"/>: compare's convergence (the paper's
/// figure 1), train's training curves, evaluate's per-class AP, noise's metric under noise and zeroshot's labels.
/// </summary>
internal static class Plots
{
    /// <summary>Width and height, in pixels, of every PNG the verbs write.</summary>
    public const int Width = 900, Height = 560;

    /// <summary>
    /// Writes <paramref name="plot"/> to <paramref name="path"/> as PNG (or SVG for a .svg path); a temporary
    /// name renamed into place keeps a crash from leaving half a file.
    /// </summary>
    public static void Save(ScottPlot.Plot plot, string path) =>
        IO.AtomicFolder.WriteFile(path, stream => stream.Write(Path.GetExtension(path).Equals(".svg", StringComparison.OrdinalIgnoreCase)
            ? System.Text.Encoding.UTF8.GetBytes(plot.GetSvgXml(Width, Height))
            : plot.GetImageBytes(Width, Height, ScottPlot.ImageFormat.Png)));

    /// <summary>One line per series against <paramref name="xLabel"/>.</summary>
    static ScottPlot.Plot Lines(string title, string xLabel, string yLabel, IEnumerable<(string Name, double[] X, double[] Y)> series)
    {
        var plot = new ScottPlot.Plot();
        foreach (var (name, xs, ys) in series)
        {
            var line = plot.Add.Scatter(xs, ys);
            line.LegendText = name;
            line.LineWidth = 2;
            line.MarkerSize = xs.Length > 60 ? 0 : 5;
        }
        plot.Axes.Bottom.Label.Text = xLabel;
        plot.Axes.Left.Label.Text = yLabel;
        plot.Title(title);
        plot.ShowLegend(ScottPlot.Alignment.LowerRight);
        return plot;
    }

    /// <summary>Bars in groups: one group per entry of <paramref name="groups"/>, one bar (and legend entry) per series.</summary>
    static ScottPlot.Plot GroupedBars(string title, string yLabel, IReadOnlyList<string> groups, IReadOnlyList<(string Name, double[] Values)> series)
    {
        var plot = new ScottPlot.Plot();
        var palette = new ScottPlot.Palettes.Category10();
        double width = 0.8 / Math.Max(1, series.Count);
        for (int s = 0; s < series.Count; s++)
        {
            var color = palette.GetColor(s);
            var bars = new List<ScottPlot.Bar>();
            for (int g = 0; g < groups.Count; g++)
                if (double.IsFinite(series[s].Values[g]))
                    bars.Add(new ScottPlot.Bar { Position = g + (s - (series.Count - 1) / 2.0) * width, Value = series[s].Values[g], Size = width * 0.9, FillColor = color });
            plot.Add.Bars(bars);
            plot.Legend.ManualItems.Add(new ScottPlot.LegendItem { LabelText = series[s].Name, FillColor = color });
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            [.. groups.Select((name, g) => new ScottPlot.Tick(g, name))]);
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Axes.Margins(bottom: 0);
        plot.Axes.Left.Label.Text = yLabel;
        plot.Title(title);
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        return plot;
    }

    /// <summary>compare: MAP@100 on the test set against training steps, one line per model (convergence.png and .svg).</summary>
    public static void Convergence(ComparisonResult result, string folder, string title)
    {
        bool weighted = result.Baseline.Curve[^1].WeightedPaperMap is not null;
        var plot = Lines(title, "training steps", weighted ? "class-weighted MAP@100 (test)" : "MAP@100 (test)",
            result.Models.Select(m => (m.Name, m.Curve.Select(p => (double)p.Step).ToArray(), m.Curve.Select(ComparisonResult.Score).ToArray())));
        Save(plot, Path.Combine(folder, "convergence.png"));
        Save(plot, Path.Combine(folder, "convergence.svg"));
    }

    /// <summary>The file train writes its curves to, beside train.jsonl.</summary>
    public const string TrainingFile = "training.png";

    /// <summary>
    /// train: the training loss by step (left axis) and, where measured, the validation loss, P@1 and class-weighted
    /// MAP@100 (right axis), read from the run's log <paramref name="log"/> (train.jsonl).
    /// </summary>
    public static void Training(string log, string path, string title)
    {
        var steps = new List<double>();
        var losses = new List<double>();
        var measured = new List<double>();
        var metrics = new Dictionary<string, List<double>> { ["validation loss"] = [], ["validation P@1"] = [], ["validation MAP@100 (class-weighted)"] = [] };
        foreach (var line in File.ReadLines(log))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            using var entry = JsonDocument.Parse(line);
            var root = entry.RootElement;
            if (!root.TryGetProperty("step", out var step) || !root.TryGetProperty("loss", out var loss)) continue;
            steps.Add(step.GetDouble());
            losses.Add(loss.GetDouble());
            if (root.TryGetProperty("validation", out var v) && v.ValueKind == JsonValueKind.Object)
            {
                measured.Add(step.GetDouble());
                metrics["validation loss"].Add(Number(v, "loss"));
                metrics["validation P@1"].Add(Number(v, "precisionAt1"));
                metrics["validation MAP@100 (class-weighted)"].Add(Number(v, "weightedPaperMap"));
            }
        }
        var plot = Lines(title, "training steps", "loss", [("training loss", [.. steps], [.. losses])]);
        foreach (var (name, values) in metrics)
        {
            if (values.All(double.IsNaN)) continue;
            var line = plot.Add.Scatter(measured.ToArray(), values.ToArray());
            line.LegendText = name;
            line.LineWidth = 2;
            line.MarkerSize = 5;
            line.Axes.YAxis = name == "validation loss" ? plot.Axes.Left : plot.Axes.Right;
        }
        if (measured.Count > 0) plot.Axes.Right.Label.Text = "validation P@1, MAP@100";
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        Save(plot, path);
    }

    static double Number(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : double.NaN;

    /// <summary>
    /// evaluate: each class's AP@100 (the paper's per-class average precision) against how often it occurred in
    /// training, on a log scale; classes without test positives are left out.
    /// </summary>
    /// <param name="ap">[classes] AP of each class, NaN where undefined.</param>
    /// <param name="trainingCounts">[classes] training occurrences of each class.</param>
    public static void ClassAveragePrecision(double[] ap, long[] trainingCounts, string path, string title)
    {
        var shown = Enumerable.Range(0, ap.Length).Where(c => double.IsFinite(ap[c])).ToArray();
        var plot = new ScottPlot.Plot();
        var points = plot.Add.ScatterPoints(shown.Select(c => Math.Log10(Math.Max(1, trainingCounts[c]))).ToArray(), shown.Select(c => ap[c]).ToArray());
        points.MarkerSize = 4;
        plot.Axes.Bottom.Label.Text = "training occurrences of the class (log10)";
        plot.Axes.Left.Label.Text = "AP@100 of the class (test)";
        plot.Axes.SetLimitsY(0, 1);
        plot.Title(title);
        Save(plot, path);
    }

    /// <summary>noise: each head's score in each condition (clean, dropped, added labels).</summary>
    public static void Noise(DenoisingResult result, string path, string title)
    {
        var conditions = result.Conditions;
        var plot = GroupedBars(title, result.Weighted ? "class-weighted MAP@100 (test)" : "MAP@100 (test)", [.. conditions.Select(c => c.Name)],
            [("sigmoid", [.. conditions.Select(c => ComparisonResult.Score(c.Sigmoid))]),
             (conditions[0].Result.Embeddings[0].Name, [.. conditions.Select(c => ComparisonResult.Score(c.Embedding))])]);
        Save(plot, path);
    }

    /// <summary>zeroshot: each held-out label's average precision by chance, placed zero-shot, and trained with it.</summary>
    public static void ZeroShot(ZeroShotResult result, string path, string title)
    {
        var labels = result.Labels;
        var plot = GroupedBars(title, "average precision (test)", [.. labels.Select(l => l.Name)],
            [("chance", [.. labels.Select(l => l.Chance.AveragePrecision)]),
             ("zero-shot", [.. labels.Select(l => l.ZeroShot.AveragePrecision)]),
             ("trained (embedding)", [.. labels.Select(l => l.Embedding.AveragePrecision)]),
             ("trained (sigmoid)", [.. labels.Select(l => l.Sigmoid.AveragePrecision)])]);
        plot.Axes.SetLimitsY(0, 1.05);
        Save(plot, path);
    }
}
