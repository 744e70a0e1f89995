using System.Numerics.Tensors;
using LabelSphere.Data;

namespace LabelSphere.Training.Images;

internal sealed partial class ImageSource
{
    static long[] ShapeOf(ImageSourceOptions options) => options.InputShape();

    /// <summary>
    /// With a <see cref="ImageSourceOptions.Pretrained"/> network: the features of every image of the annotation file
    /// (this source's and those sharing its images), read from <see cref="ImageSourceOptions.FeatureStore"/> or extracted
    /// and stored there. Done once, on the first call or the first batch; later calls return the same report. A missing
    /// or undecodable image stops with an <see cref="AnnotationFormatException"/> naming the line that names it, or
    /// with <see cref="ImageSourceOptions.SkipInvalid"/> is left out and counted.
    /// </summary>
    /// <param name="progress">Receives the number of images done so far (those read back first).</param>
    /// <exception cref="InvalidOperationException">The source has no pretrained network.</exception>
    public FeatureStoreReport ExtractFeatures(IProgress<int>? progress = null, CancellationToken cancellationToken = default) =>
        files.ExtractFeatures(progress, cancellationToken).Report;

    /// <summary>Batches of the extracted features, in <paramref name="order"/>; images left out as invalid are not in them.</summary>
    IEnumerable<InstanceBatch> FeatureBatches(int[] order, int batchSize, CancellationToken cancellationToken)
    {
        var (features, _) = files.ExtractFeatures(null, cancellationToken);
        int width = (int)InputShape[0];
        for (int start = 0; start < order.Length; start += batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int count = Math.Min(batchSize, order.Length - start);
            var indices = new List<int>(count);
            for (int k = 0; k < count; k++)
                if (!files.IsUndecodable(rows[order[start + k]])) indices.Add(order[start + k]);
            if (indices.Count == 0) continue;
            var inputs = new float[(long)indices.Count * width];
            for (int j = 0; j < indices.Count; j++)
                features.AsSpan((int)((long)rows[indices[j]] * width), width).CopyTo(inputs.AsSpan((int)((long)j * width), width));
            yield return new InstanceBatch(inputs, [indices.Count, width], [.. indices]);
        }
    }
}

internal sealed partial class ImageFiles
{
    readonly Lock featureGate = new();
    (float[] Features, FeatureStoreReport Report)? extracted;

    /// <summary>The network of a <see cref="ImageSourceOptions.Pretrained"/> source, as <paramref name="options"/> ask for it.</summary>
    public static ImageFeaturizer LoadFeaturizer(ImageSourceOptions options) =>
        ImageFeaturizer.Load(options.Pretrained ?? throw new InvalidOperationException("the source gives pixels: it has no pretrained network to extract features with"),
            options.Background, options.DecodeThreads, device: options.Device);

    /// <summary>[files, features] features of every file, L2-normalised, extracted on the first call.</summary>
    public (float[] Features, FeatureStoreReport Report) ExtractFeatures(IProgress<int>? progress, CancellationToken cancellationToken)
    {
        _ = Options.Pretrained ?? throw new InvalidOperationException("the source gives pixels: it has no pretrained network to extract features with");
        lock (featureGate)
        {
            if (extracted is { } done) return done;
            // A featurizer given at construction is its owner's (loaded once for many sources); one loaded here is ours.
            using var loaded = SharedFeaturizer is null ? LoadFeaturizer(Options) : null;
            var featurizer = SharedFeaturizer ?? loaded!;
            ExtractedFeatures features;
            FeatureStoreReport report;
            try
            {
                if (Options.FeatureStore is { } folder)
                {
                    (features, report) = new FeatureStore(folder).Extract(featurizer, Paths, Options.SkipInvalid, progress, cancellationToken);
                }
                else
                {
                    features = featurizer.Extract(Paths, Options.SkipInvalid, progress, cancellationToken);
                    report = new FeatureStoreReport(Paths.Count, 0, Paths.Count) { DeviceFallback = featurizer.DeviceFallback };
                }
            }
            catch (ImageFeatureException e)
            {
                int file = Array.IndexOf(paths, e.ImagePath);
                throw new AnnotationFormatException(Locator.Error(file >= 0 ? Ids[file] : e.ImagePath, e.Message));
            }
            int width = featurizer.FeatureSize;
            for (int file = 0; file < Paths.Count; file++)
            {
                if (features.Errors[file] is { } error)
                {
                    MarkUndecodable(file);
                    Invalid(Ids[file], $"the image file '{Paths[file]}' {error}");
                    continue;
                }
                var row = features.Features.AsSpan(file * width, width);
                float norm = TensorPrimitives.Norm(row);
                if (norm > 0) TensorPrimitives.Divide(row, norm, row);
            }
            extracted = (features.Features, report);
            return extracted.Value;
        }
    }
}
