namespace LabelSphere.Embedding;

/// <summary>The marginals PMI divides by, fixed once so that a label folded in later is measured the same way.</summary>
/// <param name="Instances">N, the number of instances counted.</param>
/// <param name="Scale">Factor that turns c(i)^α into p_α(i); 1/N when α = 1.</param>
/// <param name="Alpha">Smoothing exponent α.</param>
/// <param name="UnseenValue">The value of a pair never seen together, after the measure (before shift and clip);
/// for <see cref="UnseenPairs.HalfCount"/> it depends on the pair, and this is NaN.</param>
public sealed record PmiMarginals(long Instances, double Scale, double Alpha, double UnseenValue)
{
    /// <summary>p_α(i) for a label seen <paramref name="count"/> times.</summary>
    public double P(long count) => Math.Pow(count, Alpha) * Scale;
}

/// <summary>A dense symmetric PMI matrix.</summary>
/// <param name="Values">[labels, labels] row-major.</param>
/// <param name="Labels">Number of labels.</param>
/// <param name="Marginals">How it was normalised, to measure new labels the same way.</param>
public sealed record PmiMatrix(double[] Values, int Labels, PmiMarginals Marginals)
{
    /// <summary>PMI(i, j).</summary>
    public double this[int i, int j] => Values[(long)i * Labels + j];
}

/// <summary>
/// A symmetric PMI matrix holding only the pairs seen together and the diagonal, every other cell 0: what PMI is
/// with unseen pairs at 0 and no shift of them, kept in memory that grows with the pairs seen rather than n².
/// </summary>
/// <param name="Rows">[entries] row of each stored cell (both (i, j) and (j, i) are stored).</param>
/// <param name="Columns">[entries] column of each stored cell.</param>
/// <param name="Values">[entries] the PMI of each stored cell.</param>
/// <param name="Labels">Number of labels n.</param>
/// <param name="Marginals">How it was normalised.</param>
public sealed record SparsePmiMatrix(long[] Rows, long[] Columns, double[] Values, int Labels, PmiMarginals Marginals);

/// <summary>Pointwise mutual information from co-occurrence counts, one pure function per step.</summary>
public static class Pmi
{
    /// <summary>Whether <paramref name="options"/> leave unseen pairs at exactly 0, so that PMI can be stored sparse.</summary>
    public static bool KeepsUnseenAtZero(PmiOptions options) =>
        options.Unseen == UnseenPairs.Zero && (options.Shift == 1.0 || options.Positive);

    /// <summary>
    /// The PMI matrix as its seen pairs and diagonal (see <see cref="SparsePmiMatrix"/>); the options must keep
    /// unseen pairs at 0 (<see cref="KeepsUnseenAtZero"/>). Equal, cell for cell, to <see cref="Compute"/>.
    /// </summary>
    public static SparsePmiMatrix ComputeSparse(CooccurrenceCounts counts, PmiOptions options, CancellationToken cancellationToken = default)
    {
        options.Validate();
        if (!KeepsUnseenAtZero(options))
            throw new ArgumentException("a sparse PMI matrix needs unseen pairs at 0: Unseen = Zero, and no shift unless Positive", nameof(PmiOptions.Unseen));
        int n = counts.Labels;
        var labelCounts = counts.LabelCounts.ToArray();
        var marginals = Marginals(labelCounts, counts.Instances, options);
        var p = new double[n];
        for (int i = 0; i < n; i++) p[i] = marginals.P(labelCounts[i]);
        double shift = Math.Log(options.Shift);
        var pairs = new List<(int I, int J, double V)>();
        var gate = new Lock();
        counts.ForEachPair((i, j, c) =>
        {
            double v = Measure(c, p[i], p[j], counts.Instances, options.Measure) - shift;
            if (options.Positive) v = Math.Max(0, v);
            lock (gate) pairs.Add((i, j, v));
        }, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        // Row maxima over the off-diagonal cells, unseen zeros included, for DiagonalMode.RowMax.
        var rowMax = new double[n];
        var seenInRow = new int[n];
        Array.Fill(rowMax, double.NegativeInfinity);
        foreach (var (i, j, v) in pairs)
        {
            rowMax[i] = Math.Max(rowMax[i], v);
            rowMax[j] = Math.Max(rowMax[j], v);
            seenInRow[i]++;
            seenInRow[j]++;
        }
        int entries = 2 * pairs.Count + n;
        var rows = new long[entries];
        var columns = new long[entries];
        var values = new double[entries];
        int k = 0;
        foreach (var (i, j, v) in pairs)
        {
            rows[k] = i; columns[k] = j; values[k++] = v;
            rows[k] = j; columns[k] = i; values[k++] = v;
        }
        for (int i = 0; i < n; i++)
        {
            double diagonal = 0;
            if (labelCounts[i] > 0)
            {
                bool hasUnseen = seenInRow[i] < n - 1;   // unstored cells are 0, as in the dense matrix
                double max = hasUnseen ? Math.Max(rowMax[i], 0) : rowMax[i];
                diagonal = options.Diagonal switch
                {
                    DiagonalMode.SelfInformation => options.Measure == PmiMeasure.Normalized ? 1.0 : -Math.Log(Math.Min(p[i], 1.0)),
                    DiagonalMode.Zero => 0.0,
                    DiagonalMode.RowMax => double.IsNegativeInfinity(max) ? 0.0 : max,
                    _ => throw new ArgumentOutOfRangeException(nameof(options)),
                };
            }
            rows[k] = i; columns[k] = i; values[k++] = diagonal;
        }
        return new SparsePmiMatrix(rows, columns, values, n, marginals);
    }

    /// <summary>
    /// The symmetric PMI matrix of the counts under <paramref name="options"/>. Labels never seen have an all-zero
    /// row and column: there is nothing to say about them.
    /// </summary>
    /// <param name="cancellationToken">Checked across the rows; cancelling throws <see cref="OperationCanceledException"/>.</param>
    public static PmiMatrix Compute(CooccurrenceCounts counts, PmiOptions options, CancellationToken cancellationToken = default)
    {
        options.Validate();
        int n = counts.Labels;
        var labelCounts = counts.LabelCounts.ToArray();
        var marginals = Marginals(labelCounts, counts.Instances, options);
        var p = new double[n];
        for (int i = 0; i < n; i++) p[i] = marginals.P(labelCounts[i]);

        var values = new double[(long)n * n];
        double unseen = options.Unseen == UnseenPairs.HalfCount ? double.NaN : 0.0;
        // Unseen pairs first, then every observed pair overwrites its two cells.
        Parallel.For(0, n, new ParallelOptions { CancellationToken = cancellationToken }, i =>
        {
            var row = values.AsSpan((int)((long)i * n), n);
            if (labelCounts[i] == 0) return;
            for (int j = 0; j < n; j++)
                row[j] = labelCounts[j] == 0 ? 0.0 : options.Unseen == UnseenPairs.HalfCount
                    ? Measure(0.5, p[i], p[j], counts.Instances, options.Measure)
                    : unseen;
        });
        double minObserved = double.PositiveInfinity;
        var gate = new Lock();
        counts.ForEachPair((i, j, c) =>
        {
            double v = Measure(c, p[i], p[j], counts.Instances, options.Measure);
            values[(long)i * n + j] = v;
            values[(long)j * n + i] = v;
            if (v < minObserved) lock (gate) minObserved = Math.Min(minObserved, v);
        }, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        if (options.Unseen == UnseenPairs.MinObserved)
        {
            unseen = double.IsPositiveInfinity(minObserved) ? 0.0 : minObserved;
            ReplaceUnseen(values, n, labelCounts, counts, unseen);
        }
        marginals = marginals with { UnseenValue = options.Unseen == UnseenPairs.HalfCount ? double.NaN : unseen };

        ShiftAndClip(values, n, labelCounts, options);
        for (int i = 0; i < n; i++)
            values[(long)i * n + i] = labelCounts[i] == 0 ? 0.0 : Diagonal(values.AsSpan((int)((long)i * n), n), i, p[i], options);
        return new PmiMatrix(values, n, marginals);
    }

    /// <summary>
    /// The PMI of a label outside the matrix with each known label, measured with the matrix's marginals:
    /// what zero-shot placement approximates.
    /// </summary>
    /// <param name="count">Instances carrying the new label.</param>
    /// <param name="cooccurrences">[labels] instances carrying both the new label and label j.</param>
    /// <param name="labelCounts">[labels] the known labels' counts.</param>
    public static double[] Row(long count, ReadOnlySpan<long> cooccurrences, ReadOnlySpan<long> labelCounts,
                               PmiMarginals marginals, PmiOptions options)
    {
        var row = new double[labelCounts.Length];
        double pNew = marginals.P(count);
        for (int j = 0; j < row.Length; j++)
        {
            if (labelCounts[j] == 0 || count == 0) continue;
            double pj = marginals.P(labelCounts[j]);
            double v = cooccurrences[j] > 0 ? Measure(cooccurrences[j], pNew, pj, marginals.Instances, options.Measure)
                : options.Unseen == UnseenPairs.HalfCount ? Measure(0.5, pNew, pj, marginals.Instances, options.Measure)
                : marginals.UnseenValue;
            v -= Math.Log(options.Shift);
            row[j] = options.Positive ? Math.Max(0, v) : v;
        }
        return row;
    }

    /// <summary>The marginals of the counts: p_α(i) = c(i)^α · Σc / (N · Σc^α), which is c(i)/N at α = 1.</summary>
    public static PmiMarginals Marginals(ReadOnlySpan<long> labelCounts, long instances, PmiOptions options)
    {
        if (instances <= 0) throw new ArgumentOutOfRangeException(nameof(instances), instances, "PMI needs at least one instance");
        if (options.Alpha == 1.0) return new PmiMarginals(instances, 1.0 / instances, 1.0, 0.0);
        double total = 0, smoothed = 0;
        foreach (var c in labelCounts)
        {
            total += c;
            smoothed += Math.Pow(c, options.Alpha);
        }
        return new PmiMarginals(instances, smoothed == 0 ? 0 : total / (instances * smoothed), options.Alpha, 0.0);
    }

    /// <summary>The association of a pair seen together <paramref name="count"/> times in N instances.</summary>
    public static double Measure(double count, double pi, double pj, long instances, PmiMeasure measure)
    {
        double pij = count / instances;
        double pmi = Math.Log(pij / (pi * pj));
        return measure switch
        {
            PmiMeasure.Pmi => pmi,
            PmiMeasure.Normalized => pij >= 1.0 ? 1.0 : pmi / -Math.Log(pij),
            _ => throw new ArgumentOutOfRangeException(nameof(measure)),
        };
    }

    static void ReplaceUnseen(double[] values, int n, long[] labelCounts, CooccurrenceCounts counts, double unseen)
    {
        Parallel.For(0, n, i =>
        {
            if (labelCounts[i] == 0) return;
            for (int j = 0; j < n; j++)
                if (j != i && labelCounts[j] != 0 && counts.Pair(i, j) == 0) values[(long)i * n + j] = unseen;
        });
    }

    static void ShiftAndClip(double[] values, int n, long[] labelCounts, PmiOptions options)
    {
        double shift = Math.Log(options.Shift);
        if (shift == 0 && !options.Positive) return;
        Parallel.For(0, n, i =>
        {
            if (labelCounts[i] == 0) return;
            var row = values.AsSpan((int)((long)i * n), n);
            for (int j = 0; j < n; j++)
            {
                if (labelCounts[j] == 0) continue;
                double v = row[j] - shift;
                row[j] = options.Positive ? Math.Max(0, v) : v;
            }
        });
    }

    static double Diagonal(ReadOnlySpan<double> row, int i, double pi, PmiOptions options) => options.Diagonal switch
    {
        DiagonalMode.SelfInformation => options.Measure == PmiMeasure.Normalized ? 1.0 : -Math.Log(Math.Min(pi, 1.0)),
        DiagonalMode.Zero => 0.0,
        DiagonalMode.RowMax => RowMax(row, i),
        _ => throw new ArgumentOutOfRangeException(nameof(options)),
    };

    static double RowMax(ReadOnlySpan<double> row, int i)
    {
        double max = double.NegativeInfinity;
        for (int j = 0; j < row.Length; j++) if (j != i && row[j] > max) max = row[j];
        return double.IsNegativeInfinity(max) ? 0.0 : max;
    }
}
