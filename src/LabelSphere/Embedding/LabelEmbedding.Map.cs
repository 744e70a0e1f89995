namespace LabelSphere.Embedding;

/// <summary>
/// A 2-D map of the labels: each label's unit vector, centred on the mean of them all, projected on the first two
/// principal components.
/// </summary>
/// <param name="X">[labels] coordinate on the first principal component.</param>
/// <param name="Y">[labels] coordinate on the second (0 for a one-dimensional embedding).</param>
/// <param name="Explained">The share of the unit vectors' variance each of the two components holds, descending.</param>
internal sealed record LabelMap(float[] X, float[] Y, double[] Explained);

public sealed partial class LabelEmbedding
{
    /// <summary>
    /// The labels' PCA map (<see cref="LabelMap"/>): unit vectors, because proximity is their cosine, so labels near each
    /// other in the map tend to be neighbours. The k × k covariance is decomposed exactly; each component's sign is
    /// chosen so that its largest entry is positive, which makes the map the same on every run.
    /// </summary>
    internal LabelMap Map()
    {
        int n = LabelCount, k = Dimension;
        var mean = new double[k];
        for (int i = 0; i < n; i++)
        {
            var u = UnitVector(i);
            for (int c = 0; c < k; c++) mean[c] += u[c];
        }
        for (int c = 0; c < k; c++) mean[c] /= n;
        var covariance = new double[k * k];
        var centred = new double[k];
        for (int i = 0; i < n; i++)
        {
            var u = UnitVector(i);
            for (int c = 0; c < k; c++) centred[c] = u[c] - mean[c];
            for (int a = 0; a < k; a++)
                for (int b = a; b < k; b++) covariance[a * k + b] += centred[a] * centred[b];
        }
        double trace = 0;
        for (int a = 0; a < k; a++)
        {
            for (int b = a; b < k; b++) covariance[b * k + a] = covariance[a * k + b] /= n;
            trace += covariance[a * k + a];
        }
        int components = Math.Min(2, k);
        var pca = SymmetricEigensolver.Decompose(covariance, k, components, EigenRanking.Algebraic, EigenSolver.Exact);
        var axes = new double[2][];
        for (int p = 0; p < 2; p++)
        {
            axes[p] = new double[k];
            if (p >= components) continue;
            int largest = 0;
            for (int c = 0; c < k; c++)
            {
                axes[p][c] = pca.Vectors[c * components + p];   // [k, components] row-major
                if (Math.Abs(axes[p][c]) > Math.Abs(axes[p][largest])) largest = c;
            }
            if (axes[p][largest] < 0)
                for (int c = 0; c < k; c++) axes[p][c] = -axes[p][c];
        }
        var x = new float[n];
        var y = new float[n];
        for (int i = 0; i < n; i++)
        {
            var u = UnitVector(i);
            double px = 0, py = 0;
            for (int c = 0; c < k; c++)
            {
                double d = u[c] - mean[c];
                px += d * axes[0][c];
                py += d * axes[1][c];
            }
            x[i] = (float)px;
            y[i] = (float)py;
        }
        var explained = new double[2];
        for (int p = 0; p < components; p++) explained[p] = trace > 0 ? Math.Max(0, pca.Values[p]) / trace : 0;
        return new LabelMap(x, y, explained);
    }
}
