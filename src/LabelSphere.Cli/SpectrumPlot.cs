using LabelSphere.Embedding;
using LabelSphere.IO;

namespace LabelSphere.Cli;

/// <summary>Draws an embedding's spectrum: the kept eigenvalues and the share of PMI energy explained up to each k.</summary>
internal static class SpectrumPlot
{
    public static void Save(LabelEmbedding embedding, string path)
    {
        Plots.Save(Build(embedding), path);
    }

    /// <summary>The figure: explained energy (left axis, 0–100%) and eigenvalues (right axis) against k = 1…Dimension.</summary>
    internal static ScottPlot.Plot Build(LabelEmbedding embedding)
    {
        int k = embedding.Dimension;
        var xs = Enumerable.Range(1, k).Select(i => (double)i).ToArray();
        var plot = new ScottPlot.Plot();
        var explained = plot.Add.Scatter(xs, embedding.Spectrum.Explained.Select(v => 100 * v).ToArray());
        explained.LegendText = "energy explained by the first k columns (%)";
        explained.MarkerSize = 0;
        explained.LineWidth = 2;
        var eigen = plot.Add.Scatter(xs, embedding.Eigenvalues.ToArray());
        eigen.LegendText = "eigenvalue λ_k";
        eigen.MarkerSize = k > 200 ? 0 : 4;
        eigen.Axes.YAxis = plot.Axes.Right;
        plot.Axes.Left.Label.Text = "explained (%)";
        plot.Axes.Right.Label.Text = "eigenvalue";
        plot.Axes.Bottom.Label.Text = "k";
        plot.Title($"PMI spectrum: {embedding.LabelCount:N0} labels, k = {k}, {embedding.Spectrum.NegativeShare:P1} of the energy negative");
        plot.ShowLegend(ScottPlot.Alignment.MiddleRight);
        // The axes span what they show: k from 1 (the automatic margins ran below it, to ticks at 0 and -2), the share 0–100%.
        plot.Axes.SetLimitsX(Math.Max(0.5, 1 - 0.02 * k), k + Math.Max(0.5, 0.02 * k), plot.Axes.Bottom);
        plot.Axes.SetLimitsY(0, 100, plot.Axes.Left);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        return plot;
    }
}
