namespace LabelSphere.Data;

/// <summary>
/// The label sets of a run of instances in compressed sparse row form: row i holds the sorted, distinct label ids
/// <c>Indices[Offsets[i]..Offsets[i+1]]</c>.
/// </summary>
public sealed class LabelMatrix
{
    readonly ReadOnlyMemory<long> offsets;
    readonly ReadOnlyMemory<int> indices;
    // Known when the rows come from a pack (counted when it was written), so that nothing walks a mapped matrix for them.
    readonly long[]? labelCounts;
    readonly int emptyRows = -1;

    /// <summary>Wraps CSR arrays; rows must be sorted, distinct and below <paramref name="columns"/>.</summary>
    public LabelMatrix(long[] offsets, int[] indices, int columns)
    {
        ArgumentNullException.ThrowIfNull(offsets);
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        if (offsets.Length == 0 || offsets[0] != 0 || offsets[^1] != indices.Length)
            throw new ArgumentException("offsets must start at 0 and end at the number of indices", nameof(offsets));
        for (int r = 0; r + 1 < offsets.Length; r++)
        {
            if (offsets[r + 1] < offsets[r]) throw new ArgumentException($"offsets decrease at row {r}", nameof(offsets));
            for (long k = offsets[r]; k < offsets[r + 1]; k++)
            {
                int id = indices[k];
                if ((uint)id >= (uint)columns)
                    throw new ArgumentException($"row {r} holds label id {id}, outside 0..{columns - 1}", nameof(indices));
                if (k > offsets[r] && indices[k - 1] >= id)
                    throw new ArgumentException($"row {r} is not sorted and distinct", nameof(indices));
            }
        }
        this.offsets = offsets;
        this.indices = indices;
        Columns = columns;
    }

    /// <summary>
    /// Wraps CSR storage that was checked when it was written (a pack's memory-mapped label files, whose SHA-256 was
    /// verified), with its label counts, empty rows and content hash as recorded then: nothing here reads every row.
    /// </summary>
    internal LabelMatrix(ReadOnlyMemory<long> offsets, ReadOnlyMemory<int> indices, int columns, long[]? labelCounts, int emptyRows, string? contentHash)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        if (labelCounts is not null && labelCounts.Length != columns) throw new ArgumentException($"{labelCounts.Length} label counts for {columns} labels", nameof(labelCounts));
        this.offsets = offsets;
        this.indices = indices;
        Columns = columns;
        this.labelCounts = labelCounts;
        this.emptyRows = emptyRows;
        ContentHash = contentHash;
    }

    /// <summary>A hash of the rows recorded when they were written (a pack's), or null: fingerprints use it instead of reading every row.</summary>
    internal string? ContentHash { get; }

    /// <summary>Number of instances.</summary>
    public int Rows => offsets.Length - 1;

    /// <summary>Number of labels the ids refer to.</summary>
    public int Columns { get; }

    /// <summary>Number of (instance, label) pairs.</summary>
    public long NonZeros => indices.Length;

    /// <summary>Row starts, length Rows + 1.</summary>
    public ReadOnlySpan<long> Offsets => offsets.Span;

    /// <summary>Label ids of all rows, concatenated.</summary>
    public ReadOnlySpan<int> Indices => indices.Span;

    /// <summary>The sorted label ids of instance <paramref name="row"/>.</summary>
    public ReadOnlySpan<int> Row(int row)
    {
        var starts = offsets.Span;
        return indices.Span.Slice((int)starts[row], (int)(starts[row + 1] - starts[row]));
    }

    /// <summary>How many instances carry each label, length Columns.</summary>
    public long[] LabelCounts()
    {
        if (labelCounts is not null) return [.. labelCounts];
        var counts = new long[Columns];
        foreach (var id in indices.Span) counts[id]++;
        return counts;
    }

    /// <summary>Number of rows without any label.</summary>
    internal int EmptyRows()
    {
        if (emptyRows >= 0) return emptyRows;
        var starts = offsets.Span;
        int empty = 0;
        for (int r = 0; r + 1 < starts.Length; r++) if (starts[r + 1] == starts[r]) empty++;
        return empty;
    }

    /// <summary>The same rows with <paramref name="columns"/> columns (at least the current number).</summary>
    public LabelMatrix WithColumns(int columns)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, Columns);
        if (columns == Columns) return this;
        // Every id is below the old width, so the rows stay valid: the storage is shared, not checked again.
        long[]? counts = null;
        if (labelCounts is not null)
        {
            counts = new long[columns];
            labelCounts.CopyTo(counts, 0);
        }
        return new LabelMatrix(offsets, indices, columns, counts, emptyRows, ContentHash);
    }

    /// <summary>
    /// The same rows over the columns listed: column j of the result is column <paramref name="columns"/>[j] of this
    /// matrix, and labels in no listed column are dropped.
    /// </summary>
    /// <param name="columns">Distinct column ids, ascending, so that every row stays sorted.</param>
    public LabelMatrix SelectColumns(ReadOnlySpan<int> columns)
    {
        var newId = new int[Columns];
        Array.Fill(newId, -1);
        for (int j = 0; j < columns.Length; j++)
        {
            if ((uint)columns[j] >= (uint)Columns) throw new ArgumentOutOfRangeException(nameof(columns), columns[j], $"column must be below {Columns}");
            if (j > 0 && columns[j] <= columns[j - 1]) throw new ArgumentException("columns must be distinct and ascending", nameof(columns));
            newId[columns[j]] = j;
        }
        var builder = new LabelMatrixBuilder();
        var row = new List<int>();
        for (int r = 0; r < Rows; r++)
        {
            row.Clear();
            foreach (var id in Row(r))
                if (newId[id] >= 0) row.Add(newId[id]);
            builder.AddSortedRow(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(row));
        }
        return builder.Build(columns.Length);
    }

    /// <summary>The rows listed, in that order.</summary>
    public LabelMatrix SelectRows(ReadOnlySpan<int> rows)
    {
        var builder = new LabelMatrixBuilder();
        foreach (var r in rows) builder.AddSortedRow(Row(r));
        return builder.Build(Columns);
    }
}

/// <summary>Collects label sets row by row into a <see cref="LabelMatrix"/>.</summary>
public sealed class LabelMatrixBuilder
{
    readonly List<long> offsets = [0];
    readonly List<int> indices = [];
    int maxId = -1;

    /// <summary>Rows added so far.</summary>
    public int Rows => offsets.Count - 1;

    /// <summary>Adds a row given in any order, possibly with repeats; it is stored sorted and distinct.</summary>
    public void AddRow(ReadOnlySpan<int> labels)
    {
        Span<int> buffer = labels.Length <= 256 ? stackalloc int[labels.Length] : new int[labels.Length];
        labels.CopyTo(buffer);
        buffer.Sort();
        int previous = -1;
        foreach (var id in buffer)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(id);
            if (id == previous) continue;
            indices.Add(id);
            previous = id;
        }
        if (previous > maxId) maxId = previous;
        offsets.Add(indices.Count);
    }

    /// <summary>Adds a row already sorted and distinct (not checked here; <see cref="Build"/> checks every row).</summary>
    public void AddSortedRow(ReadOnlySpan<int> labels)
    {
        foreach (var id in labels) indices.Add(id);
        if (labels.Length > 0 && labels[^1] > maxId) maxId = labels[^1];
        offsets.Add(indices.Count);
    }

    /// <summary>The matrix; <paramref name="columns"/> defaults to one past the largest id seen.</summary>
    public LabelMatrix Build(int? columns = null) => new([.. offsets], [.. indices], columns ?? maxId + 1);
}
