using LabelSphere.Data;

namespace LabelSphere.Tests.Data;

public sealed class LabelMatrixTests
{
    static LabelMatrix Sample()
    {
        var builder = new LabelMatrixBuilder();
        builder.AddRow([0, 2, 4]);
        builder.AddRow([1]);
        builder.AddRow([]);
        builder.AddRow([3, 4]);
        return builder.Build(5);
    }

    [Fact]
    public void Selecting_columns_renumbers_the_kept_labels_and_drops_the_others()
    {
        var selected = Sample().SelectColumns([0, 3, 4]);
        Assert.Equal(3, selected.Columns);
        Assert.Equal(4, selected.Rows);
        Assert.Equal([0, 2], selected.Row(0).ToArray());
        Assert.True(selected.Row(1).IsEmpty);
        Assert.True(selected.Row(2).IsEmpty);
        Assert.Equal([1, 2], selected.Row(3).ToArray());
    }

    [Fact]
    public void Selecting_every_column_is_the_identity_and_labels_are_conserved()
    {
        var matrix = Sample();
        var all = matrix.SelectColumns([0, 1, 2, 3, 4]);
        Assert.Equal(matrix.Indices.ToArray(), all.Indices.ToArray());
        Assert.Equal(matrix.Offsets.ToArray(), all.Offsets.ToArray());
        Assert.Equal(matrix.NonZeros, matrix.SelectColumns([0, 2, 4]).NonZeros + matrix.SelectColumns([1, 3]).NonZeros);
    }

    [Fact]
    public void Columns_out_of_order_or_out_of_range_are_refused()
    {
        Assert.Throws<ArgumentException>(() => Sample().SelectColumns([2, 1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sample().SelectColumns([5]));
    }
}
