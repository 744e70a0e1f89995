using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using LabelSphere.Data;

namespace LabelSphere.Training.Images;

/// <summary>
/// Images and their label sets as network inputs: each image file is decoded with SkiaSharp, composited over the
/// background, made square (<see cref="ImageSourceOptions.Resize"/>), scaled to [3, Size, Size] and normalised per
/// channel as <c>(v / 255 − mean) / std</c>; training batches add a random flip and crop. Batches are prepared ahead
/// on worker threads, and decoded images are kept in memory within a byte budget so that later epochs skip decoding.
/// </summary>
/// <remarks>
/// The label sets come from an annotation file read by <see cref="AnnotationReader"/>: a long CSV
/// (<c>image,label</c>), a wide CSV or a COCO instances or captions file, whose instance names are image file names
/// relative to the image folder. A missing or undecodable image stops with an <see cref="AnnotationFormatException"/>
/// naming the annotation file, the line that names the image and the image file, unless
/// <see cref="ImageSourceOptions.SkipInvalid"/> is set; then the instance is left out and counted in
/// <see cref="SkippedImages"/>. Missing files are found when the source is made, undecodable ones when first decoded.
/// </remarks>
public sealed class ImageSource : IInstanceSource
{
    readonly string[] paths;
    readonly ImageTransform transform;
    readonly ImageLocator locator;
    readonly DecodedImage?[] cache;
    // Instances found undecodable with SkipInvalid: left out of every later batch without decoding again.
    readonly bool[] undecodable;
    readonly Lock errorGate = new();
    readonly List<AnnotationError> imageErrors = [];
    long cachedBytes;
    int skippedImages;

    /// <summary>
    /// Makes a source over <paramref name="annotations"/>, whose instance ids name image files in
    /// <paramref name="imageFolder"/>; errors point into the file its report names. Every image file must exist
    /// unless <see cref="ImageSourceOptions.SkipInvalid"/> is set.
    /// </summary>
    public ImageSource(AnnotationSet annotations, string imageFolder, ImageSourceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(annotations);
        ArgumentNullException.ThrowIfNull(imageFolder);
        Options = options ?? new ImageSourceOptions();
        Options.Validate();
        var ids = annotations.InstanceIds ?? throw new ArgumentException(
            $"{annotations.Report.Path}: {annotations.Report.Format} annotations do not name images; use a long or wide CSV or a COCO file", nameof(annotations));
        if (!Directory.Exists(imageFolder)) throw new DirectoryNotFoundException($"{imageFolder}: no such image folder");
        ImageFolder = Path.GetFullPath(imageFolder);
        AnnotationReport = annotations.Report;
        locator = new ImageLocator(annotations.Report.Path, annotations.Report.Format);
        transform = new ImageTransform(Options);

        var kept = new List<int>(ids.Count);
        var keptPaths = new List<string>(ids.Count);
        for (int i = 0; i < ids.Count; i++)
        {
            var path = Path.GetFullPath(Path.Join(ImageFolder, ids[i]));
            if (!File.Exists(path))
            {
                Invalid(ids[i], $"the image file '{path}' does not exist");
                continue;
            }
            kept.Add(i);
            keptPaths.Add(path);
        }
        bool all = kept.Count == ids.Count;
        Labels = all ? annotations.Labels : annotations.Labels.SelectRows(kept.ToArray());
        ImageIds = all ? ids : [.. kept.Select(i => ids[i])];
        Vocabulary = annotations.Vocabulary;
        paths = [.. keptPaths];
        cache = new DecodedImage?[paths.Length];
        undecodable = new bool[paths.Length];
        InputShape = [3, Options.Size, Options.Size];
    }

    /// <summary>Reads a long CSV (<c>image,label</c>) whose image column names files in <paramref name="imageFolder"/>.</summary>
    public static ImageSource FromLongCsv(string csvPath, string imageFolder, ImageSourceOptions? options = null) =>
        Open(csvPath, imageFolder, options, new ReaderOptions { Format = AnnotationFormat.LongCsv });

    /// <summary>Reads a COCO instances file; its images' <c>file_name</c>s name files in <paramref name="imageFolder"/>.</summary>
    public static ImageSource FromCocoInstances(string jsonPath, string imageFolder, ImageSourceOptions? options = null) =>
        Open(jsonPath, imageFolder, options, new ReaderOptions { Format = AnnotationFormat.CocoInstances });

    /// <summary>
    /// Reads any annotation file whose instances are image names (long or wide CSV, COCO instances or captions),
    /// detecting its format unless <paramref name="readerOptions"/> names it. <see cref="ImageSourceOptions.SkipInvalid"/>
    /// also makes the reader skip invalid annotation lines.
    /// </summary>
    public static ImageSource Open(string annotationPath, string imageFolder, ImageSourceOptions? options = null, ReaderOptions? readerOptions = null)
    {
        options ??= new ImageSourceOptions();
        options.Validate();
        readerOptions ??= new ReaderOptions();
        if (options.SkipInvalid) readerOptions = readerOptions with { SkipInvalid = true };
        return new ImageSource(AnnotationReader.Read(annotationPath, readerOptions), imageFolder, options);
    }

    /// <summary>The options in force.</summary>
    public ImageSourceOptions Options { get; }

    /// <summary>The folder image names are relative to, as a full path.</summary>
    public string ImageFolder { get; }

    /// <summary>Image names (as the annotation file gives them) in instance order.</summary>
    public IReadOnlyList<string> ImageIds { get; }

    /// <summary>What the annotation reader counted (instances, empty instances, skipped lines).</summary>
    public ReadReport AnnotationReport { get; }

    /// <inheritdoc />
    public int Count => paths.Length;

    /// <inheritdoc />
    public LabelVocabulary Vocabulary { get; }

    /// <inheritdoc />
    public LabelMatrix Labels { get; }

    /// <summary>[3, Size, Size].</summary>
    public long[] InputShape { get; }

    /// <summary>Instances left out with <see cref="ImageSourceOptions.SkipInvalid"/>: missing files, then undecodable ones as found.</summary>
    public int SkippedImages => Volatile.Read(ref skippedImages);

    /// <summary>The first <see cref="ReadReport.MaxKeptErrors"/> image errors skipped.</summary>
    public IReadOnlyList<AnnotationError> ImageErrors
    {
        get { lock (errorGate) return imageErrors.ToArray(); }
    }

    /// <summary>Bytes of decoded images held in memory now.</summary>
    public long CachedBytes => Interlocked.Read(ref cachedBytes);

    /// <summary>Full path of instance <paramref name="instance"/>'s image file.</summary>
    public string ImagePath(int instance) => paths[instance];

    /// <inheritdoc />
    /// <remarks>
    /// Batches are made on a background thread, <see cref="ImageSourceOptions.DecodeThreads"/> images at a time, at most
    /// <see cref="ImageSourceOptions.PrefetchBatches"/> ahead of the consumer. Each image's flip and crop are drawn
    /// from (<paramref name="seed"/>, its position in <paramref name="order"/>, its index), so a run is repeatable
    /// whatever the thread count or timing. Cancelling stops the work and throws <see cref="OperationCanceledException"/>
    /// from the enumeration; leaving the enumeration early stops the work too.
    /// </remarks>
    public IEnumerable<InstanceBatch> Batches(int[] order, int batchSize, bool augment, int seed, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(order);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        foreach (var i in order)
            if ((uint)i >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(order), i, $"instance indices must be between 0 and {Count - 1}, got {i}");
        return Produce([.. order], batchSize, augment, seed, cancellationToken);
    }

    IEnumerable<InstanceBatch> Produce(int[] order, int batchSize, bool augment, int seed, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var channel = Channel.CreateBounded<InstanceBatch>(new BoundedChannelOptions(Options.PrefetchBatches)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        ExceptionDispatchInfo? failure = null;
        var producer = Task.Factory.StartNew(() =>
        {
            try
            {
                for (int start = 0; start < order.Length; start += batchSize)
                {
                    var batch = MakeBatch(order, start, Math.Min(batchSize, order.Length - start), augment, seed, stop.Token);
                    if (batch.Indices.Length > 0) channel.Writer.WriteAsync(batch, stop.Token).AsTask().GetAwaiter().GetResult();
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e is AggregateException { InnerExceptions.Count: 1 } one ? one.InnerExceptions[0] : e);
            }
            finally
            {
                channel.Writer.TryComplete();
            }
        }, stop.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        try
        {
            while (channel.Reader.WaitToReadAsync(cancellationToken).AsTask().GetAwaiter().GetResult())
            {
                while (channel.Reader.TryRead(out var batch)) yield return batch;
            }
            cancellationToken.ThrowIfCancellationRequested();
            failure?.Throw();
        }
        finally
        {
            stop.Cancel();
            // The producer checks the token between images and batches, so this wait is short.
            try { producer.Wait(CancellationToken.None); }
            catch (AggregateException) { }
        }
    }

    /// <summary>The batch of instances order[start..start+count], decoded on up to DecodeThreads threads.</summary>
    InstanceBatch MakeBatch(int[] order, int start, int count, bool augment, int seed, CancellationToken cancellationToken)
    {
        int values = 3 * Options.Size * Options.Size;
        var inputs = new float[(long)count * values];
        var failures = new Exception?[count];
        var skipped = new bool[count];
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Options.DecodeThreads, CancellationToken = cancellationToken }, k =>
        {
            int position = start + k;
            int instance = order[position];
            if (Volatile.Read(ref undecodable[instance]))
            {
                skipped[k] = true;
                return;
            }
            try
            {
                var image = Load(instance);
                var random = SplitMix64.For(seed, position, instance);
                var view = transform.View(image.Width, image.Height, augment, ref random);
                transform.Render(image, view, inputs.AsSpan(k * values, values));
            }
            catch (Exception e) when (e is ImageDecodeException or FileNotFoundException or IOException or UnauthorizedAccessException)
            {
                var reason = e is ImageDecodeException ? $"cannot be decoded: {e.Message}"
                           : e is FileNotFoundException ? "does not exist" : $"cannot be read: {e.Message}";
                var problem = $"the image file '{paths[instance]}' {reason}";
                if (Options.SkipInvalid)
                {
                    Volatile.Write(ref undecodable[instance], true);
                    skipped[k] = true;
                    Invalid(ImageIds[instance], problem);
                }
                else
                {
                    failures[k] = new AnnotationFormatException(locator.Error(ImageIds[instance], problem));
                }
            }
        });
        // The first failure in batch order is reported, whichever thread met it first.
        foreach (var failure in failures)
            if (failure is not null) ExceptionDispatchInfo.Throw(failure);

        int kept = count - skipped.Count(s => s);
        if (kept == count) return new InstanceBatch(inputs, [count, .. InputShape], order[start..(start + count)]);
        var keptInputs = new float[(long)kept * values];
        var indices = new int[kept];
        for (int k = 0, j = 0; k < count; k++)
        {
            if (skipped[k]) continue;
            inputs.AsSpan(k * values, values).CopyTo(keptInputs.AsSpan(j * values, values));
            indices[j++] = order[start + k];
        }
        return new InstanceBatch(keptInputs, [kept, .. InputShape], indices);
    }

    /// <summary>The working image of <paramref name="instance"/>, from the cache or decoded (and cached if the budget allows).</summary>
    DecodedImage Load(int instance)
    {
        if (Volatile.Read(ref cache[instance]) is { } cached) return cached;
        var image = ImageDecoder.Decode(paths[instance], Options.Size, Options.Resize);
        long bytes = image.Pixels.LongLength;
        if (Options.CacheBytes > 0 && Interlocked.Add(ref cachedBytes, bytes) <= Options.CacheBytes)
        {
            // The same instance twice in one batch may be decoded twice; only one copy is kept and counted.
            if (Interlocked.CompareExchange(ref cache[instance], image, null) is not null) Interlocked.Add(ref cachedBytes, -bytes);
        }
        else if (Options.CacheBytes > 0)
        {
            Interlocked.Add(ref cachedBytes, -bytes);
        }
        return image;
    }

    /// <summary>Throws, or with SkipInvalid counts and keeps the error, for the image named <paramref name="image"/>.</summary>
    void Invalid(string image, string problem)
    {
        var error = locator.Error(image, problem);
        if (!Options.SkipInvalid) throw new AnnotationFormatException(error);
        Interlocked.Increment(ref skippedImages);
        lock (errorGate)
        {
            if (imageErrors.Count < ReadReport.MaxKeptErrors) imageErrors.Add(error);
        }
    }
}
