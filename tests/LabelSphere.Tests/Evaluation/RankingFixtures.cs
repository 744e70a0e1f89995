using LabelSphere.Data;

namespace LabelSphere.Tests.Evaluation;

/// <summary>Seeded score matrices and label sets for the ranking metrics.</summary>
internal static class RankingFixtures
{
    public static string TestData(string file) => Path.Combine(AppContext.BaseDirectory, "TestData", "metrics", file);

    /// <summary>
    /// Label sets where class c is carried with probability between 0.6 and 0.01 (so some classes have more than
    /// 100 positives and some few), and a few instances carry none.
    /// </summary>
    public static LabelMatrix Labels(int instances, int classes, int seed)
    {
        var random = new Random(seed);
        var builder = new LabelMatrixBuilder();
        var row = new List<int>();
        for (int r = 0; r < instances; r++)
        {
            row.Clear();
            if (r % 17 != 3)
                for (int c = 0; c < classes; c++)
                    if (random.NextDouble() < 0.6 * Math.Pow(0.01 / 0.6, (double)((c * 7) % classes) / Math.Max(1, classes - 1))) row.Add(c);
            builder.AddSortedRow(row.ToArray());
        }
        return builder.Build(classes);
    }

    /// <summary>
    /// [instances, classes] scores with no tie inside any class's column: a permutation of 0..instances−1 per class,
    /// plus a half-integer bonus for positives so that scores carry signal.
    /// </summary>
    public static float[] DistinctScores(LabelMatrix truth, int classes, int seed)
    {
        var random = new Random(seed);
        int n = truth.Rows;
        var scores = new float[n * classes];
        var order = new int[n];
        for (int c = 0; c < classes; c++)
        {
            for (int r = 0; r < n; r++) order[r] = r;
            random.Shuffle(order);
            for (int r = 0; r < n; r++) scores[r * classes + c] = order[r];
        }
        float bonus = n / 3 + 0.5f;
        for (int r = 0; r < n; r++)
            foreach (var c in truth.Row(r)) scores[r * classes + c] += bonus;
        return scores;
    }

    /// <summary>Scores on a grid of eighths, so that equal scores are common in rows and columns alike.</summary>
    public static float[] TiedScores(LabelMatrix truth, int classes, int seed)
    {
        var random = new Random(seed);
        var scores = new float[truth.Rows * classes];
        for (int i = 0; i < scores.Length; i++) scores[i] = random.Next(8) / 8f;
        for (int r = 0; r < truth.Rows; r++)
            foreach (var c in truth.Row(r)) scores[r * classes + c] += 0.25f;
        return scores;
    }

    /// <summary>Rows <paramref name="from"/>..<paramref name="from"/>+<paramref name="count"/> of both the scores and the label sets.</summary>
    public static (float[] Scores, LabelMatrix Truth) Slice(float[] scores, LabelMatrix truth, int classes, int from, int count)
    {
        var rows = Enumerable.Range(from, count).ToArray();
        return (scores.AsSpan(from * classes, count * classes).ToArray(), truth.SelectRows(rows));
    }

    /// <summary>Instances reordered: new row i is old row <paramref name="permutation"/>[i].</summary>
    public static (float[] Scores, LabelMatrix Truth) Permute(float[] scores, LabelMatrix truth, int classes, int[] permutation)
    {
        var permuted = new float[scores.Length];
        for (int i = 0; i < permutation.Length; i++)
            scores.AsSpan(permutation[i] * classes, classes).CopyTo(permuted.AsSpan(i * classes, classes));
        return (permuted, truth.SelectRows(permutation));
    }
}
