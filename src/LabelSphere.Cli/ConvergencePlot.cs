using LabelSphere.Evaluation;

namespace LabelSphere.Cli;

/// <summary>The analogue of the paper's figure 1: MAP@100 on the test set against training steps, one line per model.</summary>
internal static class ConvergencePlot
{
    public static void Save(ComparisonResult result, string folder, string title)
    {
        var plot = new ScottPlot.Plot();
        bool weighted = result.Baseline.Curve[^1].WeightedPaperMap is not null;
        foreach (var model in result.Models)
        {
            var xs = model.Curve.Select(p => (double)p.Step).ToArray();
            var ys = model.Curve.Select(ComparisonResult.Score).ToArray();
            var line = plot.Add.Scatter(xs, ys);
            line.LegendText = model.Name;
            line.LineWidth = 2;
            line.MarkerSize = xs.Length > 60 ? 0 : 5;
        }
        plot.Axes.Bottom.Label.Text = "training steps";
        plot.Axes.Left.Label.Text = weighted ? "class-weighted MAP@100 (test)" : "MAP@100 (test)";
        plot.Title(title);
        plot.ShowLegend(ScottPlot.Alignment.LowerRight);
        Write(Path.Combine(folder, "convergence.png"), path => plot.SavePng(path, 900, 560));
        Write(Path.Combine(folder, "convergence.svg"), path => plot.SaveSvg(path, 900, 560));
    }

    // ScottPlot writes to a path; a temporary name renamed into place keeps a crash from leaving half a file.
    static void Write(string target, Action<string> save)
    {
        var temp = Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.tmp-{Guid.NewGuid():N}{Path.GetExtension(target)}");
        try
        {
            save(temp);
            File.Move(temp, target, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
