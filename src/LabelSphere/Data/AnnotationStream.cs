namespace LabelSphere.Data;

/// <summary>One run of consecutive instances from an <see cref="AnnotationStream"/>.</summary>
/// <param name="Labels">[instances, labels] label sets.</param>
/// <param name="Features">[instances, features] or null when the format has none.</param>
/// <param name="InstanceIds">Instance names, or null when the format has none.</param>
/// <param name="Texts">[instances] each instance's raw text (text formats), or null when the format has none.</param>
public sealed record AnnotationChunk(LabelMatrix Labels, FeatureMatrix? Features, IReadOnlyList<string>? InstanceIds,
                                     IReadOnlyList<string>? Texts = null);

/// <summary>
/// An annotation file opened for reading in chunks, so that counting never needs the whole file in memory.
/// The vocabulary is known once the stream is open; <see cref="Report"/> is complete once the chunks are consumed.
/// </summary>
public abstract class AnnotationStream : IDisposable
{
    readonly List<AnnotationError> errors = [];
    List<int>? skippedRows;
    int instances;
    int empty;
    int skipped;
    bool reading;

    /// <summary>Opens the stream state for <paramref name="path"/>.</summary>
    protected AnnotationStream(string path, AnnotationFormat format, ReaderOptions options)
    {
        Path = path;
        Format = format;
        Options = options;
    }

    /// <summary>The file read.</summary>
    public string Path { get; }

    /// <summary>Its format.</summary>
    public AnnotationFormat Format { get; }

    /// <summary>The reader options in force.</summary>
    public ReaderOptions Options { get; }

    /// <summary>Label names in id order.</summary>
    public abstract LabelVocabulary Vocabulary { get; }

    /// <summary>Number of features, or 0 when the format has none.</summary>
    public virtual int FeatureCount => 0;

    /// <summary>The features' names in feature-id order where the data declares them (ARFF attributes, an XC _features.txt), else null.</summary>
    public virtual IReadOnlyList<string>? FeatureNames => null;

    /// <summary>
    /// Whether <see cref="FeatureCount"/> was inferred from the largest feature index in the rows (LIBSVM, which
    /// declares no count) rather than declared by the file: the data then fits any feature space at least that wide.
    /// </summary>
    public virtual bool FeatureCountInferred => false;

    /// <summary>Whether the instances are raw text (<see cref="AnnotationChunk.Texts"/>) rather than feature vectors.</summary>
    public virtual bool HasText => false;

    /// <summary>Bytes of the file consumed so far, for progress; never more than <see cref="TotalBytes"/>.</summary>
    public virtual long BytesRead => 0;

    /// <summary>Size of the file in bytes.</summary>
    public long TotalBytes => new FileInfo(Path).Length;

    /// <summary>What was read so far: instances, empty instances, skipped invalid lines, the first errors.</summary>
    public ReadReport Report => new(Path, Format, instances, empty, skipped, errors.ToArray());

    /// <summary>
    /// Reads the instances in runs of at most <paramref name="chunkSize"/>; enumerate once. A file that yields no
    /// instance at all (none written, or every one skipped as invalid) is an <see cref="AnnotationFormatException"/>.
    /// </summary>
    public IEnumerable<AnnotationChunk> ReadChunks(int chunkSize = 65536)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunkSize);
        if (reading) throw new InvalidOperationException($"{Path}: ReadChunks can be called once per opened stream; open the file again to reread it");
        reading = true;
        return RequireInstances(ReadInstances(chunkSize));
    }

    /// <summary>The reader's instances in runs of at most <paramref name="chunkSize"/>; called once, by <see cref="ReadChunks"/>.</summary>
    protected abstract IEnumerable<AnnotationChunk> ReadInstances(int chunkSize);

    IEnumerable<AnnotationChunk> RequireInstances(IEnumerable<AnnotationChunk> chunks)
    {
        foreach (var chunk in chunks) yield return chunk;
        if (instances > 0) yield break;
        throw NoInstances();
    }

    /// <summary>The error for a file without instances: none written, or every one skipped as invalid.</summary>
    protected AnnotationFormatException NoInstances() => new(skipped == 0
        ? new AnnotationError(Path, 0, "instances", "the file holds no instances")
        : new AnnotationError(Path, 0, "instances", $"no valid instance: all {skipped:N0} were skipped as invalid; the first: {errors[0]}"));

    /// <summary>
    /// Reports a defect: throws <see cref="AnnotationFormatException"/>, or with
    /// <see cref="ReaderOptions.SkipInvalid"/> counts it and returns so that the caller skips the instance.
    /// </summary>
    protected void Invalid(long line, string field, string problem)
    {
        var error = new AnnotationError(Path, line, field, problem);
        if (!Options.SkipInvalid) throw new AnnotationFormatException(error);
        skipped++;
        if (errors.Count < ReadReport.MaxKeptErrors) errors.Add(error);
    }

    /// <summary>
    /// <see cref="Invalid"/> for the instance at 0-based row <paramref name="row"/> of a format without instance ids,
    /// so that the instances kept are still named by their row in the file (<see cref="AnnotationSet.InstanceName"/>).
    /// </summary>
    protected void InvalidRow(int row, long line, string field, string problem)
    {
        Invalid(line, field, problem);
        (skippedRows ??= []).Add(row);
    }

    /// <summary>0-based rows of the instances skipped as invalid, ascending, in formats without instance ids.</summary>
    public IReadOnlyList<int> SkippedRows => skippedRows ?? [];

    /// <summary>
    /// Stops at a defect that makes the whole file unreadable (a bad header), whatever the options;
    /// <paramref name="setting"/> names the <see cref="ReaderOptions"/> property that can resolve it, if one can.
    /// </summary>
    protected AnnotationFormatException Fatal(long line, string field, string problem, string? setting = null) =>
        new(new AnnotationError(Path, line, field, problem) { Setting = setting });

    /// <summary>Counts an accepted instance; call once per instance a chunk carries.</summary>
    protected void Accepted(int labelCount)
    {
        instances++;
        if (labelCount == 0) empty++;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the file.</summary>
    protected virtual void Dispose(bool disposing) { }
}
