using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
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
/// <see cref="Select"/> (a subset of the instances, such as a validation split) and <see cref="MapLabels"/> (the label
/// sets over another vocabulary) make sources that share this one's images: its decoded-image cache, its cache budget
/// and its record of skipped images.
/// </remarks>
internal sealed partial class ImageSource : IInstanceSource
{
    readonly ImageFiles files;
    // Instance i of this source is image rows[i] of the shared files.
    readonly int[] rows;

    /// <summary>
    /// Makes a source over <paramref name="annotations"/>, whose instance ids name image files in
    /// <paramref name="imageFolder"/>; errors point into the file its report names. Every image file must exist
    /// unless <see cref="ImageSourceOptions.SkipInvalid"/> is set.
    /// </summary>
    public ImageSource(AnnotationSet annotations, string imageFolder, ImageSourceOptions? options = null)
        : this(annotations, imageFolder, options, featurizer: null)
    {
    }

    /// <summary>
    /// As the public constructor; a <see cref="ImageSourceOptions.Pretrained"/> source extracts with
    /// <paramref name="featurizer"/> when given (loaded by the caller for <paramref name="options"/>, which keeps and
    /// disposes it) instead of loading the network itself.
    /// </summary>
    internal ImageSource(AnnotationSet annotations, string imageFolder, ImageSourceOptions? options, ImageFeaturizer? featurizer)
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
        files = new ImageFiles(Options, ImageFolder, annotations.Report, ids) { SharedFeaturizer = featurizer };

        var kept = files.Instances;
        bool all = kept.Length == ids.Count;
        Labels = all ? annotations.Labels : annotations.Labels.SelectRows(kept);
        ImageIds = all ? ids : [.. kept.Select(i => ids[i])];
        Vocabulary = annotations.Vocabulary;
        rows = [.. Enumerable.Range(0, kept.Length)];
        InputShape = ShapeOf(Options);
    }

    /// <summary>A view of <paramref name="files"/>: instance i is image <paramref name="rows"/>[i], labelled by row i of <paramref name="labels"/>.</summary>
    ImageSource(ImageFiles files, int[] rows, IReadOnlyList<string> imageIds, LabelMatrix labels, LabelVocabulary vocabulary)
    {
        this.files = files;
        this.rows = rows;
        Options = files.Options;
        ImageFolder = files.Folder;
        AnnotationReport = files.Report;
        ImageIds = imageIds;
        Labels = labels;
        Vocabulary = vocabulary;
        InputShape = ShapeOf(Options);
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
    public int Count => rows.Length;

    /// <inheritdoc />
    public LabelVocabulary Vocabulary { get; }

    /// <inheritdoc />
    public LabelMatrix Labels { get; }

    /// <summary>[3, Size, Size], or [features] with a <see cref="ImageSourceOptions.Pretrained"/> network.</summary>
    public long[] InputShape { get; }

    /// <summary>
    /// Images of the annotation file left out with <see cref="ImageSourceOptions.SkipInvalid"/>: missing files, then
    /// undecodable ones as found (by this source or any that shares its images).
    /// </summary>
    public int SkippedImages => files.SkippedImages;

    /// <summary>The first <see cref="ReadReport.MaxKeptErrors"/> image errors skipped.</summary>
    public IReadOnlyList<AnnotationError> ImageErrors => files.Errors;

    /// <summary>Bytes of decoded images held in memory now, by this source and those that share its images.</summary>
    public long CachedBytes => files.CachedBytes;

    /// <summary>Full path of instance <paramref name="instance"/>'s image file.</summary>
    public string ImagePath(int instance) => files.Paths[rows[instance]];

    /// <summary>
    /// Adds each instance's image name, file size and last write time to <paramref name="hash"/>: a changed, replaced or
    /// missing image changes the hash without reading every image again.
    /// </summary>
    public void AppendInputs(IncrementalHash hash)
    {
        ArgumentNullException.ThrowIfNull(hash);
        Span<long> identity = stackalloc long[2];
        for (int i = 0; i < Count; i++)
        {
            var file = new FileInfo(ImagePath(i));
            identity[0] = file.Exists ? file.Length : -1;
            identity[1] = file.Exists ? file.LastWriteTimeUtc.Ticks : 0;
            hash.AppendData(MemoryMarshal.AsBytes(ImageIds[i].AsSpan()));
            hash.AppendData(MemoryMarshal.AsBytes(identity));
        }
    }

    /// <summary>
    /// A source over instances <paramref name="instances"/> of this one, in that order (a training or validation
    /// split), sharing its images and their cache.
    /// </summary>
    public ImageSource Select(int[] instances)
    {
        ArgumentNullException.ThrowIfNull(instances);
        var selected = new int[instances.Length];
        var ids = new string[instances.Length];
        for (int i = 0; i < instances.Length; i++)
        {
            int instance = instances[i];
            if ((uint)instance >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(instances), instance, $"instance indices must be between 0 and {Count - 1}, got {instance}");
            selected[i] = rows[instance];
            ids[i] = ImageIds[instance];
        }
        return new ImageSource(files, selected, ids, Labels.SelectRows(instances).WithColumns(Vocabulary.Count), Vocabulary);
    }

    /// <summary>
    /// This source with its label sets rewritten over <paramref name="vocabulary"/> by label name (a model's or an
    /// embedding's vocabulary), sharing its images; labels the vocabulary lacks are dropped and reported.
    /// </summary>
    public (ImageSource Source, LabelMappingReport Mapping) MapLabels(LabelVocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        var (labels, mapping) = LabelMapping.Map(Vocabulary, Labels, vocabulary);
        return (new ImageSource(files, rows, ImageIds, labels, vocabulary), mapping);
    }

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
        return Options.Pretrained is null
            ? Produce([.. order], batchSize, augment, seed, cancellationToken)
            : FeatureBatches([.. order], batchSize, cancellationToken);
    }

    IEnumerable<InstanceBatch> Produce(int[] order, int batchSize, bool augment, int seed, CancellationToken cancellationToken) =>
        Prefetch.Batches(stop => Make(order, batchSize, augment, seed, stop), Options.PrefetchBatches, cancellationToken);

    IEnumerable<InstanceBatch> Make(int[] order, int batchSize, bool augment, int seed, CancellationToken stop)
    {
        for (int start = 0; start < order.Length; start += batchSize)
        {
            var batch = MakeBatch(order, start, Math.Min(batchSize, order.Length - start), augment, seed, stop);
            if (batch.Indices.Length > 0) yield return batch;
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
            int file = rows[instance];
            if (files.IsUndecodable(file))
            {
                skipped[k] = true;
                return;
            }
            try
            {
                var image = files.Load(file);
                var random = SplitMix64.For(seed, position, instance);
                var view = files.Transform.View(image.Width, image.Height, augment, ref random);
                files.Transform.Render(image, view, inputs.AsSpan(k * values, values));
            }
            catch (Exception e) when (e is ImageDecodeException or FileNotFoundException or IOException or UnauthorizedAccessException)
            {
                var reason = e is ImageDecodeException ? $"cannot be decoded: {e.Message}"
                           : e is FileNotFoundException ? "does not exist" : $"cannot be read: {e.Message}";
                var problem = $"the image file '{files.Paths[file]}' {reason}";
                if (Options.SkipInvalid)
                {
                    files.MarkUndecodable(file);
                    skipped[k] = true;
                    files.Invalid(ImageIds[instance], problem);
                }
                else
                {
                    failures[k] = new AnnotationFormatException(files.Locator.Error(ImageIds[instance], problem));
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
}

/// <summary>
/// The image files behind one annotation file and the sources made from it: their paths, the decoded-image cache and
/// its budget, the images found undecodable, and the errors skipped.
/// </summary>
internal sealed partial class ImageFiles
{
    readonly Lock errorGate = new();
    readonly List<AnnotationError> errors = [];
    readonly string[] paths;
    readonly DecodedImage?[] cache;
    // Images found undecodable with SkipInvalid: left out of every later batch without decoding again.
    readonly bool[] undecodable;
    long cachedBytes;
    int skippedImages;

    /// <summary>
    /// The files <paramref name="ids"/> name in <paramref name="folder"/>; a missing one throws, or with SkipInvalid is
    /// left out and counted.
    /// </summary>
    public ImageFiles(ImageSourceOptions options, string folder, ReadReport report, IReadOnlyList<string> ids)
    {
        Options = options;
        Folder = folder;
        Report = report;
        Locator = new ImageLocator(report.Path, report.Format);
        Transform = new ImageTransform(options);
        var kept = new List<int>(ids.Count);
        var keptPaths = new List<string>(ids.Count);
        var keptIds = new List<string>(ids.Count);
        for (int i = 0; i < ids.Count; i++)
        {
            var path = Path.GetFullPath(Path.Join(folder, ids[i]));
            if (!File.Exists(path))
            {
                Invalid(ids[i], $"the image file '{path}' does not exist");
                continue;
            }
            kept.Add(i);
            keptPaths.Add(path);
            keptIds.Add(ids[i]);
        }
        Instances = [.. kept];
        paths = [.. keptPaths];
        Ids = [.. keptIds];
        cache = new DecodedImage?[paths.Length];
        undecodable = new bool[paths.Length];
    }

    public ImageSourceOptions Options { get; }

    /// <summary>A featurizer its caller loaded and disposes, used in place of loading one; null to load one per extraction.</summary>
    public ImageFeaturizer? SharedFeaturizer { get; init; }

    public string Folder { get; }

    public ReadReport Report { get; }

    public ImageLocator Locator { get; }

    public ImageTransform Transform { get; }

    /// <summary>The annotation instances whose image files exist, in order; file i is instance Instances[i]'s.</summary>
    public int[] Instances { get; }

    public IReadOnlyList<string> Paths => paths;

    /// <summary>The annotation file's name of each file, as Paths orders them.</summary>
    public IReadOnlyList<string> Ids { get; }

    public int SkippedImages => Volatile.Read(ref skippedImages);

    public long CachedBytes => Interlocked.Read(ref cachedBytes);

    public IReadOnlyList<AnnotationError> Errors
    {
        get { lock (errorGate) return errors.ToArray(); }
    }

    public bool IsUndecodable(int file) => Volatile.Read(ref undecodable[file]);

    public void MarkUndecodable(int file) => Volatile.Write(ref undecodable[file], true);

    /// <summary>The working image of <paramref name="file"/>, from the cache or decoded (and cached if the budget allows).</summary>
    public DecodedImage Load(int file)
    {
        if (Volatile.Read(ref cache[file]) is { } cached) return cached;
        var image = ImageDecoder.Decode(paths[file], Options.Size, Options.Resize);
        long bytes = image.Pixels.LongLength;
        if (Options.CacheBytes > 0 && Interlocked.Add(ref cachedBytes, bytes) <= Options.CacheBytes)
        {
            // The same image twice in one batch may be decoded twice; only one copy is kept and counted.
            if (Interlocked.CompareExchange(ref cache[file], image, null) is not null) Interlocked.Add(ref cachedBytes, -bytes);
        }
        else if (Options.CacheBytes > 0)
        {
            Interlocked.Add(ref cachedBytes, -bytes);
        }
        return image;
    }

    /// <summary>Throws, or with SkipInvalid counts and keeps the error, for the image named <paramref name="image"/>.</summary>
    public void Invalid(string image, string problem)
    {
        var error = Locator.Error(image, problem);
        if (!Options.SkipInvalid) throw new AnnotationFormatException(error);
        Interlocked.Increment(ref skippedImages);
        lock (errorGate)
        {
            if (errors.Count < ReadReport.MaxKeptErrors) errors.Add(error);
        }
    }
}
