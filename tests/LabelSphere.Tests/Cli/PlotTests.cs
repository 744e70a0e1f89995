using LabelSphere.Cli;
using LabelSphere.Embedding;
using LabelSphere.Tests.Embedding;

namespace LabelSphere.Tests.Cli;

/// <summary>The figures the verbs draw: their axes span what they show.</summary>
public sealed class PlotTests
{
    /// <summary>Asserts that <paramref name="path"/> is a PNG image that decodes, of the size every verb draws (900 × 560).</summary>
    internal static void AssertFigure(string path)
    {
        Assert.True(File.Exists(path), $"{path} was not written");
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
        using var bitmap = SkiaSharp.SKBitmap.Decode(bytes);
        Assert.NotNull(bitmap);
        Assert.Equal((Plots.Width, Plots.Height), (bitmap.Width, bitmap.Height));
        // Something was drawn: more than one colour.
        Assert.True(bitmap.Pixels.Distinct().Skip(1).Any(), $"{path} is blank");
    }

    [Theory]
    [InlineData(4)]
    [InlineData(16)]
    [InlineData(64)]
    public void The_spectrum_plot_has_no_tick_below_k_1_nor_below_0_percent(int k)
    {
        // Given an embedding of k columns
        var (vocabulary, matrix) = Fixtures.Topics(120, 3000, 12, 3);
        var embedding = LabelEmbedding.Fit(CooccurrenceCounts.Count(vocabulary, matrix, TestContext.Current.CancellationToken), new EmbeddingOptions { Dimension = k }, cancellationToken: TestContext.Current.CancellationToken);

        // When its spectrum is drawn
        var plot = SpectrumPlot.Build(embedding);
        plot.GetImageBytes(900, 520, ScottPlot.ImageFormat.Png);

        // Then every tick of the k axis is a whole k of at least 1 (none at 0 or -2), and the share axis starts at 0
        var ks = plot.Axes.Bottom.TickGenerator.Ticks.Where(t => t.IsMajor).Select(t => t.Position).ToArray();
        Assert.NotEmpty(ks);
        Assert.All(ks, x => Assert.True(x >= 1 && x <= k && x == Math.Round(x), $"tick at k = {x}: {string.Join(", ", ks)}"));
        Assert.All(plot.Axes.Left.TickGenerator.Ticks.Where(t => t.IsMajor), t => Assert.InRange(t.Position, 0, 100));
    }
}
