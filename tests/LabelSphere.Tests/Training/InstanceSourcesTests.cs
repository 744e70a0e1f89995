using LabelSphere.Training;

namespace LabelSphere.Tests.Training;

public sealed class InstanceSourcesTests
{
    [Fact]
    public void The_validation_split_is_disjoint_from_training_covers_every_row_and_depends_on_the_seed_alone()
    {
        // Given 1,000 instances and a validation share of 0.1
        // When they are split twice with one seed and once with another
        var (train, validation) = InstanceSources.SplitRows(1000, 0.1, seed: 3);
        var again = InstanceSources.SplitRows(1000, 0.1, seed: 3);
        var other = InstanceSources.SplitRows(1000, 0.1, seed: 4);

        // Then 100 rows validate, none of them trains, together they are every row, each part in order,
        // the same seed gives the same split and another seed another
        Assert.Equal(100, validation.Length);
        Assert.Empty(train.Intersect(validation));
        Assert.Equal(Enumerable.Range(0, 1000), train.Concat(validation).Order());
        Assert.Equal(train.Order(), train);
        Assert.Equal(validation.Order(), validation);
        Assert.Equal(validation, again.Validation);
        Assert.Equal(train, again.Train);
        Assert.NotEqual(validation, other.Validation);
        var none = InstanceSources.SplitRows(5, 0, seed: 3);
        Assert.Equal(Enumerable.Range(0, 5), none.Train);
        Assert.Empty(none.Validation);
        Assert.Throws<ArgumentException>(() => InstanceSources.SplitRows(3, 0.1, seed: 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => InstanceSources.SplitRows(10, 1, seed: 3));
    }

    [Fact]
    public void A_subset_source_gives_its_rows_inputs_and_labels_under_its_own_indices()
    {
        // Given a feature source and a subset of its rows
        var data = TrainingFixtures.Synthetic(50);
        var source = data.Source(FeatureTransform.Fit(data.Features, FeatureScaling.None));
        int[] rows = [3, 7, 20, 41];
        var subset = source.Subset(rows);

        // When the subset is batched in some order
        var batches = subset.Batches([2, 0, 3, 1], 3, augment: false, seed: 0, TestContext.Current.CancellationToken).ToArray();
        var whole = source.Batches([20, 3, 41, 7], 3, augment: false, seed: 0, TestContext.Current.CancellationToken).ToArray();

        // Then its instances are the rows' own (same inputs, same labels), indexed from 0 in the subset
        Assert.Equal(4, subset.Count);
        Assert.Equal([2, 0, 3, 1], batches.SelectMany(b => b.Indices));
        Assert.Equal(whole.SelectMany(b => b.Inputs), batches.SelectMany(b => b.Inputs));
        for (int i = 0; i < rows.Length; i++) Assert.Equal(data.Labels.Row(rows[i]).ToArray(), subset.Labels.Row(i).ToArray());
        Assert.Throws<ArgumentException>(() => source.Subset([1, 1]));
    }
}
