using System.Diagnostics;
using LabelSphere.Training;
using LabelSphere.Training.Images;
using Spectre.Console;

namespace LabelSphere.Cli;

/// <summary>Extracts the pretrained features of an image source with a progress bar, and says what was read and what was run.</summary>
internal static class FeatureExtraction
{
    /// <summary>
    /// Does nothing for a source of pixels; for one with a pretrained network, reads or extracts every image's
    /// features now (the network's slow part), with a progress bar (on a terminal: Cli.Progress), then one line on stderr.
    /// </summary>
    public static void Run(IInstanceSource source, CancellationToken cancellationToken = default)
    {
        if (source is not ImageSource { Options.Pretrained: { } network } images) return;
        var clock = Stopwatch.StartNew();
        FeatureStoreReport? report = null;
        Cli.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                     new RemainingTimeColumn(), new SpinnerColumn())
            .Start(context =>
            {
                var task = context.AddTask($"{PretrainedNetworks.Name(network)} features of {images.Count:N0} images", maxValue: Math.Max(1, images.Count));
                report = images.ExtractFeatures(new SynchronousProgress<int>(n => task.Value = n), cancellationToken);
                task.Value = task.MaxValue;
            });
        // The library says why; the command line says which option asked for it.
        if (report!.DeviceFallback is { } fallback) Console.Error.WriteLine($"--device cuda: {fallback}; the features are extracted on the CPU instead");
        var store = images.Options.FeatureStore is { } folder ? $" (store {folder})" : "";
        Console.Error.WriteLine($"{PretrainedNetworks.Name(network)} features of {report.Images:N0} images: {report.Cached:N0} read back{store}, {report.Extracted:N0} extracted, {clock.Elapsed.TotalSeconds:F1} s");
    }
}
