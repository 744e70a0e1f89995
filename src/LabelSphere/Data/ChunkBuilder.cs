namespace LabelSphere.Data;

/// <summary>
/// Collects accepted instances (label ids, optional features, optional id) until a chunk is full, then hands them
/// over as an <see cref="AnnotationChunk"/> and starts again.
/// </summary>
internal sealed class ChunkBuilder
{
    readonly int labelCount;
    readonly int featureCount;
    readonly bool hasIds;
    readonly bool hasText;
    LabelMatrixBuilder labels = new();
    FeatureMatrixBuilder? features;
    List<string>? ids;
    List<string>? texts;

    /// <summary>
    /// Starts an empty chunk for <paramref name="labelCount"/> labels and <paramref name="featureCount"/> features (0:
    /// none); with <paramref name="hasText"/>, every instance carries its raw text.
    /// </summary>
    public ChunkBuilder(int labelCount, int featureCount, bool hasIds, bool hasText = false)
    {
        this.labelCount = labelCount;
        this.featureCount = featureCount;
        this.hasIds = hasIds;
        this.hasText = hasText;
        Reset();
    }

    /// <summary>Instances in the current chunk.</summary>
    public int Count => labels.Rows;

    /// <summary>
    /// Adds one instance; <paramref name="labelIds"/> is sorted and made distinct in place. Returns the number of
    /// distinct labels, which the reader passes to <c>Accepted</c>.
    /// </summary>
    public int Add(Span<int> labelIds, ReadOnlySpan<int> featureIds = default, ReadOnlySpan<float> featureValues = default,
                   string? id = null, string? text = null)
    {
        int distinct = SortDistinct(labelIds);
        labels.AddSortedRow(labelIds[..distinct]);
        if (features is not null)
        {
            for (int k = 0; k < featureIds.Length; k++) features.Add(featureIds[k], featureValues[k]);
            features.EndRow();
        }
        if (ids is not null) ids.Add(id ?? throw new ArgumentNullException(nameof(id), "this format has instance ids"));
        if (texts is not null) texts.Add(text ?? throw new ArgumentNullException(nameof(text), "this format has text"));
        return distinct;
    }

    /// <summary>The instances collected so far as a chunk; the builder starts a new one.</summary>
    public AnnotationChunk Take()
    {
        var chunk = new AnnotationChunk(labels.Build(labelCount), features?.Build(featureCount), ids, texts);
        Reset();
        return chunk;
    }

    /// <summary>
    /// Chunks of instances already held in memory (rows of label ids with their instance ids), calling
    /// <paramref name="accepted"/> with each instance's label count as it is added.
    /// </summary>
    public static IEnumerable<AnnotationChunk> FromRows(int[][] rows, string[] ids, int labelCount, int chunkSize,
                                                        Action<int> accepted)
    {
        var chunk = new ChunkBuilder(labelCount, 0, hasIds: true);
        for (int i = 0; i < rows.Length; i++)
        {
            accepted(chunk.Add(rows[i], id: ids[i]));
            if (chunk.Count == chunkSize) yield return chunk.Take();
        }
        if (chunk.Count > 0) yield return chunk.Take();
    }

    /// <summary>Sorts <paramref name="ids"/> and moves its distinct values to the front; returns how many there are.</summary>
    public static int SortDistinct(Span<int> ids)
    {
        if (ids.Length < 2) return ids.Length;
        ids.Sort();
        int n = 1;
        for (int i = 1; i < ids.Length; i++)
            if (ids[i] != ids[n - 1]) ids[n++] = ids[i];
        return n;
    }

    void Reset()
    {
        labels = new LabelMatrixBuilder();
        features = featureCount > 0 ? new FeatureMatrixBuilder() : null;
        ids = hasIds ? [] : null;
        texts = hasText ? [] : null;
    }
}
