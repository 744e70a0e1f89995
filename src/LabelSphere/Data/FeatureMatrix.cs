namespace LabelSphere.Data;

/// <summary>
/// Instance features in compressed sparse row form (values float32); dense formats are stored the same way,
/// so a sparse data set is never densified as a whole.
/// </summary>
public sealed class FeatureMatrix
{
    readonly long[] offsets;
    readonly int[] indices;
    readonly float[] values;

    /// <summary>
    /// Wraps CSR arrays; column ids must be below <paramref name="columns"/>. <paramref name="names"/> are the
    /// features' names in column order where the format has them (ARFF attributes), else null.
    /// <paramref name="columnsInferred"/>: <paramref name="columns"/> is the largest index in the rows (LIBSVM), not a
    /// count the file declares.
    /// </summary>
    public FeatureMatrix(long[] offsets, int[] indices, float[] values, int columns, IReadOnlyList<string>? names = null,
                         bool columnsInferred = false)
    {
        ArgumentNullException.ThrowIfNull(offsets);
        if (indices.Length != values.Length) throw new ArgumentException("indices and values differ in length");
        if (offsets.Length == 0 || offsets[0] != 0 || offsets[^1] != indices.Length)
            throw new ArgumentException("offsets must start at 0 and end at the number of values", nameof(offsets));
        foreach (var c in indices)
            if ((uint)c >= (uint)columns) throw new ArgumentException($"feature id {c} is outside 0..{columns - 1}", nameof(indices));
        if (names is not null && names.Count != columns) throw new ArgumentException($"{names.Count} feature names for {columns} features", nameof(names));
        this.offsets = offsets;
        this.indices = indices;
        this.values = values;
        Columns = columns;
        Names = names;
        ColumnsInferred = columnsInferred;
    }

    /// <summary>
    /// Whether <see cref="Columns"/> was inferred from the largest feature index in the rows (LIBSVM files declare no
    /// count), so that the rows fit any feature space at least that wide.
    /// </summary>
    public bool ColumnsInferred { get; }

    /// <summary>The features' names in column order, or null when the format has none.</summary>
    public IReadOnlyList<string>? Names { get; }

    /// <summary>Number of instances.</summary>
    public int Rows => offsets.Length - 1;

    /// <summary>Number of features.</summary>
    public int Columns { get; }

    /// <summary>Row starts, length Rows + 1.</summary>
    public ReadOnlySpan<long> Offsets => offsets;

    /// <summary>Feature ids of all rows, concatenated.</summary>
    public ReadOnlySpan<int> Indices => indices;

    /// <summary>Feature values of all rows, concatenated.</summary>
    public ReadOnlySpan<float> Values => values;

    /// <summary>Writes row <paramref name="row"/> densely into <paramref name="destination"/> (length Columns).</summary>
    public void CopyRowTo(int row, Span<float> destination)
    {
        destination.Clear();
        for (long k = offsets[row]; k < offsets[row + 1]; k++) destination[indices[k]] = values[k];
    }
}

/// <summary>Collects feature rows into a <see cref="FeatureMatrix"/>.</summary>
public sealed class FeatureMatrixBuilder
{
    readonly List<long> offsets = [0];
    readonly List<int> indices = [];
    readonly List<float> values = [];

    /// <summary>Adds one feature (column, value) to the current row; zeros are skipped.</summary>
    public void Add(int column, float value)
    {
        if (value == 0f) return;
        indices.Add(column);
        values.Add(value);
    }

    /// <summary>Closes the current row.</summary>
    public void EndRow() => offsets.Add(indices.Count);

    /// <summary>Adds a whole row given densely ([columns], zeros skipped) and closes it.</summary>
    public void AddRow(ReadOnlySpan<float> dense)
    {
        for (int c = 0; c < dense.Length; c++) Add(c, dense[c]);
        EndRow();
    }

    /// <summary>Drops what was added to the current row since it began.</summary>
    public void DiscardRow()
    {
        int start = (int)offsets[^1];
        indices.RemoveRange(start, indices.Count - start);
        values.RemoveRange(start, values.Count - start);
    }

    /// <summary>
    /// The matrix, with the features' <paramref name="names"/> where the format has them; <paramref name="columnsInferred"/>
    /// as <see cref="FeatureMatrix.ColumnsInferred"/>.
    /// </summary>
    public FeatureMatrix Build(int columns, IReadOnlyList<string>? names = null, bool columnsInferred = false) =>
        new([.. offsets], [.. indices], [.. values], columns, names, columnsInferred);
}
