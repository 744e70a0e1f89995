using LabelSphere.Tests.Training;

namespace LabelSphere.Tests.Embedding;

/// <summary>The labels' 2-D map is the PCA of their unit vectors: centred, uncorrelated axes, the first of largest variance.</summary>
[Collection(TorchCollection.Name)]
public sealed class LabelMapTests
{
    [Fact]
    public void The_map_projects_the_unit_vectors_on_their_two_principal_components()
    {
        // Given an embedding of the synthetic world
        var embedding = TrainingFixtures.Synthetic(300).Embed(6);
        int n = embedding.LabelCount, k = embedding.Dimension;

        // When it is mapped
        var map = embedding.Map();

        // Then both axes are centred and uncorrelated
        Assert.Equal(n, map.X.Length);
        Assert.Equal(0, map.X.Average(), 1e-5);
        Assert.Equal(0, map.Y.Average(), 1e-5);
        double covariance = Enumerable.Range(0, n).Sum(i => (double)map.X[i] * map.Y[i]) / n;
        Assert.Equal(0, covariance, 1e-5);

        // and the first axis holds the most variance of any direction, its share of the total as reported
        var mean = new double[k];
        for (int i = 0; i < n; i++) for (int c = 0; c < k; c++) mean[c] += embedding.UnitVector(i)[c] / n;
        double Variance(double[] direction) => Enumerable.Range(0, n).Average(i =>
        {
            double p = 0;
            for (int c = 0; c < k; c++) p += (embedding.UnitVector(i)[c] - mean[c]) * direction[c];
            return p * p;
        });
        double total = 0;
        for (int c = 0; c < k; c++) total += Variance([.. Enumerable.Range(0, k).Select(d => d == c ? 1.0 : 0.0)]);
        double first = map.X.Average(x => (double)x * x), second = map.Y.Average(y => (double)y * y);
        Assert.True(first >= second);
        Assert.Equal(first / total, map.Explained[0], 1e-5);
        Assert.Equal(second / total, map.Explained[1], 1e-5);
        var random = new Random(3);
        for (int trial = 0; trial < 200; trial++)
        {
            var w = Enumerable.Range(0, k).Select(_ => random.NextDouble() - 0.5).ToArray();
            double norm = Math.Sqrt(w.Sum(v => v * v));
            Assert.True(Variance([.. w.Select(v => v / norm)]) <= first + 1e-6);
        }

        // and it is the same on every run
        Assert.Equal(map.X, embedding.Map().X);
    }
}
