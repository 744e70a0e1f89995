using System.Security.Cryptography;
using LabelSphere.Data;

namespace LabelSphere.Training;

/// <summary>Sources with other label sets over the same inputs, and subsets of sources.</summary>
internal static class InstanceSources
{
    /// <summary>
    /// Rows of <paramref name="count"/> instances split into training and validation: a share
    /// <paramref name="validationShare"/> drawn by a shuffle seeded from <paramref name="seed"/> alone (the same split for
    /// every model trained with that seed), each part in instance order; every row trains when the share is 0.
    /// </summary>
    public static (int[] Train, int[] Validation) SplitRows(int count, double validationShare, int seed)
    {
        if (!(validationShare >= 0 && validationShare < 1))
            throw new ArgumentOutOfRangeException(nameof(validationShare), validationShare, $"the validation share must be in [0, 1), got {validationShare}");
        var order = new int[count];
        for (int i = 0; i < count; i++) order[i] = i;
        if (validationShare == 0) return (order, []);
        new Random(Trainer.Mix(seed, -1)).Shuffle(order);
        int held = (int)Math.Round(count * validationShare);
        if (held == 0 || held == count)
            throw new ArgumentException($"a validation share of {validationShare} of {count} instances leaves {(held == 0 ? "no validation" : "no training")} instances");
        var validation = order[(count - held)..];
        var train = order[..(count - held)];
        Array.Sort(train);
        Array.Sort(validation);
        return (train, validation);
    }

    /// <summary>
    /// The instances <paramref name="rows"/> of <paramref name="source"/> (distinct, each below its count) as a source of
    /// their own, instance i being row rows[i], batched by <paramref name="source"/>.
    /// </summary>
    public static IInstanceSource Subset(this IInstanceSource source, int[] rows)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(rows);
        var position = new int[source.Count];
        Array.Fill(position, -1);
        for (int i = 0; i < rows.Length; i++)
        {
            if ((uint)rows[i] >= (uint)source.Count) throw new ArgumentOutOfRangeException(nameof(rows), rows[i], $"rows must be below the source's {source.Count} instances");
            if (position[rows[i]] >= 0) throw new ArgumentException($"row {rows[i]} is listed twice", nameof(rows));
            position[rows[i]] = i;
        }
        return new SubsetSource(source, [.. rows], position, source.Labels.SelectRows(rows));
    }

    sealed class SubsetSource(IInstanceSource inner, int[] rows, int[] position, LabelMatrix labels) : IInstanceSource
    {
        public int Count => rows.Length;

        public LabelVocabulary Vocabulary => inner.Vocabulary;

        public LabelMatrix Labels { get; } = labels;

        public long[] InputShape => inner.InputShape;

        public FeatureTransform? Transform => inner.Transform;

        public IEnumerable<InstanceBatch> Batches(int[] order, int batchSize, bool augment, int seed, CancellationToken cancellationToken = default)
        {
            var mapped = new int[order.Length];
            for (int i = 0; i < order.Length; i++) mapped[i] = rows[order[i]];
            foreach (var batch in inner.Batches(mapped, batchSize, augment, seed, cancellationToken))
            {
                var indices = new int[batch.Indices.Length];
                for (int i = 0; i < indices.Length; i++) indices[i] = position[batch.Indices[i]];
                yield return batch with { Indices = indices };
            }
        }
    }

    /// <summary>
    /// <paramref name="source"/>'s instances, batched as it batches them, with the label sets
    /// <paramref name="labels"/> ([source.Count, at most source.Vocabulary.Count]) in place of its own: noisy training
    /// labels over clean inputs, for instance, or labels held out for a zero-shot test.
    /// </summary>
    /// <param name="vocabulary">The vocabulary <paramref name="labels"/> refer to; the source's own when null.</param>
    public static IInstanceSource WithLabels(this IInstanceSource source, LabelMatrix labels, LabelVocabulary? vocabulary = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(labels);
        vocabulary ??= source.Vocabulary;
        if (labels.Rows != source.Count) throw new ArgumentException($"{labels.Rows} label rows for {source.Count} instances");
        if (labels.Columns > vocabulary.Count)
            throw new ArgumentException($"label matrix has {labels.Columns} columns, the vocabulary {vocabulary.Count} labels");
        // Relabelling a relabelled source replaces the labels again rather than stacking wrappers.
        var inner = source is RelabeledSource relabeled ? relabeled.Inner : source;
        return new RelabeledSource(inner, labels.WithColumns(vocabulary.Count), vocabulary);
    }

    sealed class RelabeledSource(IInstanceSource inner, LabelMatrix labels, LabelVocabulary vocabulary) : IInstanceSource
    {
        public IInstanceSource Inner { get; } = inner;

        public int Count => Inner.Count;

        public LabelVocabulary Vocabulary { get; } = vocabulary;

        public LabelMatrix Labels { get; } = labels;

        public long[] InputShape => Inner.InputShape;

        public FeatureTransform? Transform => Inner.Transform;

        public IEnumerable<InstanceBatch> Batches(int[] order, int batchSize, bool augment, int seed, CancellationToken cancellationToken = default) =>
            Inner.Batches(order, batchSize, augment, seed, cancellationToken);

        public IEnumerable<InstanceBatch> EpochBatches(int seed, int epoch, int skip, int batchSize, CancellationToken cancellationToken = default) =>
            Inner.EpochBatches(seed, epoch, skip, batchSize, cancellationToken);

        public void AppendInputs(IncrementalHash hash) => Inner.AppendInputs(hash);
    }
}

/// <summary>Inputs held in memory as one array ([instances, ..inputShape] row-major), with their label sets.</summary>
internal sealed class ArraySource : IInstanceSource
{
    readonly float[] inputs;
    readonly long size;

    /// <summary>A source over <paramref name="inputs"/>, one instance per row of <paramref name="labels"/>.</summary>
    public ArraySource(float[] inputs, long[] inputShape, LabelMatrix labels, LabelVocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(inputShape);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(vocabulary);
        size = inputShape.Aggregate(1L, (a, b) => a * b);
        if (inputs.Length != labels.Rows * size)
            throw new ArgumentException($"{inputs.Length} input values are not {labels.Rows} instances of [{string.Join(", ", inputShape)}]");
        this.inputs = inputs;
        InputShape = inputShape;
        Labels = labels;
        Vocabulary = vocabulary;
    }

    /// <inheritdoc />
    public int Count => Labels.Rows;

    /// <inheritdoc />
    public LabelVocabulary Vocabulary { get; }

    /// <inheritdoc />
    public LabelMatrix Labels { get; }

    /// <inheritdoc />
    public long[] InputShape { get; }

    /// <inheritdoc />
    public IEnumerable<InstanceBatch> Batches(int[] order, int batchSize, bool augment, int seed, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(order);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        for (int start = 0; start < order.Length; start += batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int count = Math.Min(batchSize, order.Length - start);
            var batch = new float[count * size];
            var indices = order[start..(start + count)];
            for (int i = 0; i < count; i++) inputs.AsSpan(checked((int)(indices[i] * size)), (int)size).CopyTo(batch.AsSpan((int)(i * size)));
            yield return new InstanceBatch(batch, [count, .. InputShape], indices);
        }
    }
}
