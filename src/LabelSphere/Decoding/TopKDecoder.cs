using LabelSphere.Embedding;
using LabelSphere.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace LabelSphere.Decoding;

/// <summary>Ranks every label by cosine proximity to predicted vectors and keeps the best p (the paper's inference).</summary>
internal static class TopKDecoder
{
    /// <summary>
    /// The top <paramref name="top"/> labels of each predicted vector, best first: one matrix product with the unit
    /// label vectors and a partial sort (topk), in batches so that the score matrix stays small.
    /// </summary>
    /// <param name="predictions">[rows, dimension] row-major.</param>
    public static ScoredLabel[][] Decode(LabelEmbedding embedding, ReadOnlySpan<float> predictions, int top, int batch = 1024)
    {
        int k = embedding.Dimension;
        if (predictions.Length % k != 0) throw new ArgumentException($"{predictions.Length} values are not whole rows of dimension {k}");
        if (top < 1 || top > embedding.LabelCount) throw new ArgumentOutOfRangeException(nameof(top), top, $"top must be between 1 and the number of labels ({embedding.LabelCount}), got {top}");
        TorchRuntime.EnsureLoaded();
        int rows = predictions.Length / k;
        var result = new ScoredLabel[rows][];
        using var guard = no_grad();
        using var outer = NewDisposeScope();
        var units = tensor(embedding.UnitVectors.ToArray(), [embedding.LabelCount, k]);
        for (int start = 0; start < rows; start += batch)
        {
            using var scope = NewDisposeScope();
            int count = Math.Min(batch, rows - start);
            var p = tensor(predictions.Slice(start * k, count * k).ToArray(), [count, k]);
            p = nn.functional.normalize(p, p: 2, dim: 1);
            var scores = p.matmul(units.T);
            var (values, indexes) = scores.topk(top, dim: 1, largest: true, sorted: true);
            var v = values.data<float>().ToArray();
            var ix = indexes.data<long>().ToArray();
            for (int r = 0; r < count; r++)
            {
                var labels = new ScoredLabel[top];
                for (int t = 0; t < top; t++)
                {
                    int id = (int)ix[r * top + t];
                    labels[t] = new ScoredLabel(id, embedding.Vocabulary[id], v[r * top + t]);
                }
                result[start + r] = labels;
            }
        }
        return result;
    }
}
