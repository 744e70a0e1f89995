using LabelSphere.Data;
using LabelSphere.Training;

namespace LabelSphere.Tests.Training;

public sealed class FeatureSourceTests
{
    static FeatureMatrix Matrix(params (int Column, float Value)[][] rows)
    {
        var builder = new FeatureMatrixBuilder();
        foreach (var row in rows)
        {
            foreach (var (c, v) in row) builder.Add(c, v);
            builder.EndRow();
        }
        return builder.Build(4);
    }

    [Fact]
    public void Batches_hold_the_requested_rows_densified_and_scaled()
    {
        // Given three sparse rows and L2 scaling
        var features = Matrix([(0, 3f), (2, 4f)], [(1, 2f)], [(3, float.NaN), (0, 1f)]);
        var labels = new LabelMatrix([0, 1, 1, 2], [0, 1], 2);
        var source = new FeatureSource(features, labels, new LabelVocabulary(["a", "b"]), FeatureTransform.Fit(features, FeatureScaling.L2));

        // When rows 2 and 0 are asked for in batches of one
        var batches = source.Batches([2, 0], 1, augment: false, seed: 0, TestContext.Current.CancellationToken).ToArray();

        // Then each batch is one dense unit row, NaN read as 0, in the order asked
        Assert.Equal(2, batches.Length);
        Assert.Equal([1f, 0f, 0f, 0f], batches[0].Inputs);
        Assert.Equal([2], batches[0].Indices);
        Assert.Equal([1L, 4L], batches[0].Shape);
        Assert.Equal([0.6f, 0f, 0.8f, 0f], batches[1].Inputs);
        Assert.Equal([4L], source.InputShape);
    }

    [Fact]
    public void Tf_idf_rows_have_unit_length_and_weight_rare_features_up()
    {
        // Given a feature in every row and one in a single row
        var features = Matrix([(0, 1f), (1, 1f)], [(0, 1f)], [(0, 1f)], [(0, 1f)]);
        var transform = FeatureTransform.Fit(features, FeatureScaling.TfIdf);

        // When the first row is scaled
        var row = new float[4];
        transform.Apply(features, 0, row);

        // Then it has unit length and the rare feature weighs more
        Assert.Equal(1.0, Math.Sqrt(row.Sum(v => (double)v * v)), 5);
        Assert.True(row[1] > row[0]);
        Assert.Equal(Math.Log(5.0 / 2) + 1, transform.Idf[1], 5);
    }

    [Fact]
    public void A_subset_source_sees_only_its_rows()
    {
        var features = Matrix([(0, 1f)], [(1, 1f)], [(2, 1f)]);
        var labels = new LabelMatrix([0, 1, 2, 3], [0, 1, 0], 2);
        var source = new FeatureSource(features, labels, new LabelVocabulary(["a", "b"]), FeatureTransform.Fit(features, FeatureScaling.None), [2, 1]);
        Assert.Equal(2, source.Count);
        Assert.Equal([0], source.Labels.Row(0).ToArray());
        var batch = source.Batches([0, 1], 2, false, 0, TestContext.Current.CancellationToken).Single();
        Assert.Equal([0f, 0f, 1f, 0f, 0f, 1f, 0f, 0f], batch.Inputs);
    }

    [Fact]
    public void Labels_missing_from_the_target_vocabulary_are_dropped_and_reported()
    {
        // Given label sets over {a, b, c} and a vocabulary {c, a}
        var from = new LabelVocabulary(["a", "b", "c"]);
        var labels = new LabelMatrix([0, 2, 3, 4], [0, 2, 1, 1], 3);

        // When they are mapped by name
        var (mapped, report) = LabelMapping.Map(from, labels, new LabelVocabulary(["c", "a"]));

        // Then ids follow the new vocabulary, b is reported with the pairs it took, and emptied rows are counted
        Assert.Equal([0, 1], mapped.Row(0).ToArray());
        Assert.True(mapped.Row(1).IsEmpty && mapped.Row(2).IsEmpty);
        Assert.Equal(["b"], report.MissingLabels);
        Assert.Equal(2, report.DroppedAssignments);
        Assert.Equal(2, report.EmptyInstances);
        Assert.Equal(2, mapped.Columns);
    }

    [Fact]
    public void A_source_with_other_labels_keeps_its_inputs_and_shows_the_new_labels()
    {
        // Given a source over rows 2 and 0 of three, and other label sets for its two instances
        var features = Matrix([(0, 3f), (2, 4f)], [(1, 2f)], [(3, 1f), (0, 1f)]);
        var labels = new LabelMatrix([0, 1, 1, 2], [0, 1], 2);
        var source = new FeatureSource(features, labels, new LabelVocabulary(["a", "b", "c"]), FeatureTransform.Fit(features, FeatureScaling.L2), [2, 0]);
        var other = new LabelMatrix([0, 2, 2], [1, 2], 3);

        // When the labels are replaced, twice
        var relabeled = source.WithLabels(other).WithLabels(other);

        // Then the batches are the source's, the labels the new ones, and a matrix of the wrong height is refused
        var expected = source.Batches([1, 0], 2, augment: false, seed: 0, TestContext.Current.CancellationToken).Single();
        var actual = relabeled.Batches([1, 0], 2, augment: false, seed: 0, TestContext.Current.CancellationToken).Single();
        Assert.Equal(expected.Inputs, actual.Inputs);
        Assert.Equal(expected.Indices, actual.Indices);
        Assert.Equal([1, 2], relabeled.Labels.Row(0).ToArray());
        Assert.True(relabeled.Labels.Row(1).IsEmpty);
        Assert.Equal(source.Count, relabeled.Count);
        Assert.Same(source.Vocabulary, relabeled.Vocabulary);
        Assert.Equal([0], source.Labels.Row(1).ToArray());
        Assert.Throws<ArgumentException>(() => source.WithLabels(labels));
    }

    [Fact]
    public void A_source_refuses_features_of_another_count_or_other_names_than_its_transform()
    {
        // Given a transform fitted on four named features
        var builder = new FeatureMatrixBuilder();
        builder.Add(0, 1f);
        builder.EndRow();
        var transform = FeatureTransform.Fit(builder.Build(4, ["w", "x", "y", "z"]), FeatureScaling.L2);
        var labels = new LabelMatrix([0, 1], [0], 1);
        var vocabulary = new LabelVocabulary(["a"]);

        // When data of three features, or of four other names, is given to it
        var fewer = Assert.Throws<ArgumentException>(() => new FeatureSource(builder.Build(3), labels, vocabulary, transform));
        var renamed = Assert.Throws<ArgumentException>(() => new FeatureSource(builder.Build(4, ["w", "x", "q", "z"]), labels, vocabulary, transform));

        // Then both are refused, and the same space (named or unnamed) is accepted
        Assert.Contains("has 3 features; the model was trained on 4", fewer.Message);
        Assert.Contains("feature names", renamed.Message);
        Assert.Equal(1, new FeatureSource(builder.Build(4, ["w", "x", "y", "z"]), labels, vocabulary, transform).Count);
        Assert.Equal(1, new FeatureSource(builder.Build(4), labels, vocabulary, transform).Count);
    }
}
