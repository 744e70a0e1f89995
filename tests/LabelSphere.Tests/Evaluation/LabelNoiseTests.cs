using LabelSphere.Data;
using LabelSphere.Evaluation;

namespace LabelSphere.Tests.Evaluation;

public sealed class LabelNoiseTests
{
    /// <summary>
    /// Seeded label sets of <paramref name="rows"/> instances over <paramref name="columns"/> labels whose
    /// frequencies fall off like a power law, 0 to 6 labels each; the last <paramref name="unused"/> labels are never carried.
    /// </summary>
    static LabelMatrix RandomLabels(int rows, int columns, int unused = 0, int seed = 3)
    {
        var random = new Random(seed);
        var builder = new LabelMatrixBuilder();
        var row = new List<int>();
        for (int r = 0; r < rows; r++)
        {
            row.Clear();
            int n = random.Next(7);
            for (int k = 0; k < n; k++) row.Add((int)((columns - unused) * Math.Pow(random.NextDouble(), 2)));
            builder.AddRow(row.ToArray());
        }
        return builder.Build(columns);
    }

    static bool Same(LabelMatrix a, LabelMatrix b) =>
        a.Rows == b.Rows && a.Columns == b.Columns && a.Offsets.SequenceEqual(b.Offsets) && a.Indices.SequenceEqual(b.Indices);

    static bool IsSubset(ReadOnlySpan<int> small, ReadOnlySpan<int> large)
    {
        foreach (var id in small) if (large.BinarySearch(id) < 0) return false;
        return true;
    }

    [Fact]
    public void Dropping_nothing_returns_the_same_label_sets()
    {
        // Given random label sets
        var labels = RandomLabels(500, 30);

        // When a fraction of 0 is dropped
        var noisy = LabelNoise.Drop(labels, 0, 5);

        // Then nothing changes
        Assert.True(Same(labels, noisy.Labels));
        Assert.Equal(0, noisy.Removed);
        Assert.Equal(0, noisy.Added);
    }

    [Fact]
    public void Adding_nothing_returns_the_same_label_sets()
    {
        var labels = RandomLabels(500, 30);
        var noisy = LabelNoise.Add(labels, 0, 5);
        Assert.True(Same(labels, noisy.Labels));
        Assert.Equal(0, noisy.Added);
    }

    [Fact]
    public void The_same_seed_gives_the_same_noise_and_another_seed_other_noise()
    {
        // Given random label sets
        var labels = RandomLabels(2_000, 40);

        // When each noise is applied twice with one seed and once with another
        var drop = (A: LabelNoise.Drop(labels, 0.3, 11), B: LabelNoise.Drop(labels, 0.3, 11), Other: LabelNoise.Drop(labels, 0.3, 12));
        var add = (A: LabelNoise.Add(labels, 0.3, 11), B: LabelNoise.Add(labels, 0.3, 11), Other: LabelNoise.Add(labels, 0.3, 12));

        // Then the same seed repeats the result exactly and another seed does not
        Assert.True(Same(drop.A.Labels, drop.B.Labels));
        Assert.Equal(drop.A.Removed, drop.B.Removed);
        Assert.False(Same(drop.A.Labels, drop.Other.Labels));
        Assert.True(Same(add.A.Labels, add.B.Labels));
        Assert.Equal(add.A.Added, add.B.Added);
        Assert.False(Same(add.A.Labels, add.Other.Labels));
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.5)]
    [InlineData(0.9)]
    public void Drop_removes_the_fraction_asked_of_the_true_labels_and_adds_none(double fraction)
    {
        // Given about 60,000 labels
        var labels = RandomLabels(20_000, 200);

        // When a fraction of them is dropped
        var noisy = LabelNoise.Drop(labels, fraction, 1);

        // Then every noisy set is a subset of its clean set, the count is what went missing, and the share removed is
        // the fraction within 5 binomial standard deviations
        Assert.Equal(labels.Rows, noisy.Labels.Rows);
        Assert.Equal(labels.Columns, noisy.Labels.Columns);
        for (int r = 0; r < labels.Rows; r++) Assert.True(IsSubset(noisy.Labels.Row(r), labels.Row(r)), $"row {r}");
        Assert.Equal(labels.NonZeros - noisy.Labels.NonZeros, noisy.Removed);
        Assert.Equal(0, noisy.Added);
        double share = (double)noisy.Removed / labels.NonZeros;
        Assert.InRange(share, fraction - 5 * Math.Sqrt(fraction * (1 - fraction) / labels.NonZeros), fraction + 5 * Math.Sqrt(fraction * (1 - fraction) / labels.NonZeros));
    }

    [Theory]
    [InlineData(0.3)]
    [InlineData(1.0)]
    public void Add_gives_each_instance_its_share_of_wrong_labels_it_did_not_have(double fraction)
    {
        // Given about 60,000 labels over 200 classes
        var labels = RandomLabels(20_000, 200);

        // When wrong labels are added
        var noisy = LabelNoise.Add(labels, fraction, 2);

        // Then every clean set is kept whole, each instance gains ⌊f·n⌋ or ⌈f·n⌉ distinct new labels (the count would
        // fall short if a label were drawn twice or drawn although present), and f of the labels are added overall
        Assert.Equal(labels.Columns, noisy.Labels.Columns);
        for (int r = 0; r < labels.Rows; r++)
        {
            var clean = labels.Row(r);
            Assert.True(IsSubset(clean, noisy.Labels.Row(r)), $"row {r}");
            int gained = noisy.Labels.Row(r).Length - clean.Length;
            double expected = fraction * clean.Length;
            Assert.True(gained == (int)Math.Floor(expected) || gained == (int)Math.Ceiling(expected), $"row {r}: {gained} added to {clean.Length}");
        }
        Assert.Equal(noisy.Labels.NonZeros - labels.NonZeros, noisy.Added);
        Assert.Equal(0, noisy.Removed);
        Assert.InRange((double)noisy.Added / labels.NonZeros, fraction - 0.01, fraction + 0.01);
    }

    [Fact]
    public void Added_labels_follow_the_label_frequencies_and_never_invent_an_unused_label()
    {
        // Given label sets in which low ids are frequent and the last 10 labels are never carried
        var labels = RandomLabels(20_000, 100, unused: 10);
        var counts = labels.LabelCounts();

        // When wrong labels are added
        var noisy = LabelNoise.Add(labels, 0.5, 4);
        var after = noisy.Labels.LabelCounts();

        // Then no unused label appears, and the frequent labels gain more wrong instances than the rare ones
        for (int j = 90; j < 100; j++) Assert.Equal(0, after[j]);
        long Gained(int from, int to) { long sum = 0; for (int j = from; j < to; j++) sum += after[j] - counts[j]; return sum; }
        Assert.True(Gained(0, 10) > 3 * Gained(80, 90), $"frequent {Gained(0, 10)}, rare {Gained(80, 90)}");
    }

    [Fact]
    public void Instances_that_hold_nearly_every_label_get_only_the_ones_left()
    {
        // Given five labels: 100 instances with the four frequent ones, and one with the fifth, so rare that drawing it
        // by frequency mostly fails and the exact draw over the labels left has to find it
        var builder = new LabelMatrixBuilder();
        for (int r = 0; r < 100; r++) builder.AddRow([0, 1, 2, 3]);
        builder.AddRow([4]);
        var labels = builder.Build(5);

        // When one wrong label per true label is asked for
        var noisy = LabelNoise.Add(labels, 1.0, 0);

        // Then each full instance gets the one label it lacks, and the last one label of the others
        for (int r = 0; r < 100; r++) Assert.Equal([0, 1, 2, 3, 4], noisy.Labels.Row(r).ToArray());
        Assert.Equal(2, noisy.Labels.Row(100).Length);
        Assert.Equal(101, noisy.Added);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.0)]
    [InlineData(double.NaN)]
    public void Drop_rejects_a_fraction_outside_0_to_1(double fraction)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => LabelNoise.Drop(RandomLabels(10, 5), fraction, 0));
        Assert.Contains("at least 0 and below 1", error.Message);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.PositiveInfinity)]
    public void Add_rejects_a_fraction_outside_0_to_its_maximum(double fraction)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => LabelNoise.Add(RandomLabels(10, 5), fraction, 0));
        Assert.Contains("between 0 and 1", error.Message);
    }
}
