using System.Numerics.Tensors;
using System.Text.RegularExpressions;

namespace LabelSphere.Embedding;

/// <summary>A label name that is not in the embedding, with the closest names it does hold.</summary>
public sealed class UnknownLabelException(string label, IReadOnlyList<string> suggestions)
    : Exception($"unknown label '{label}'" + (suggestions.Count > 0 ? $"; did you mean {string.Join(", ", suggestions.Select(s => $"'{s}'"))}?" : ""))
{
    /// <summary>The name asked for.</summary>
    public string Label { get; } = label;

    /// <summary>Close names that exist.</summary>
    public IReadOnlyList<string> Suggestions { get; } = suggestions;
}

public sealed partial class LabelEmbedding
{
    /// <summary>The id of <paramref name="name"/>; throws <see cref="UnknownLabelException"/> suggesting close names.</summary>
    public int IdOf(string name)
    {
        int id = Vocabulary.IndexOf(name);
        return id >= 0 ? id : throw new UnknownLabelException(name, Vocabulary.Suggest(name));
    }

    /// <summary>The cosine proximity of labels <paramref name="i"/> and <paramref name="j"/> (0 when either row is zero).</summary>
    public double Proximity(int i, int j) => TensorPrimitives.Dot(UnitVector(i), UnitVector(j));

    /// <summary>The <paramref name="top"/> labels closest to label <paramref name="name"/>, itself excluded.</summary>
    public IReadOnlyList<ScoredLabel> Nearest(string name, int top = 10)
    {
        int id = IdOf(name);
        return Nearest(UnitVector(id), top, [id]);
    }

    /// <summary>The <paramref name="top"/> labels closest to <paramref name="query"/> (length k) by cosine, best first.</summary>
    public IReadOnlyList<ScoredLabel> Nearest(ReadOnlySpan<float> query, int top = 10, IReadOnlyCollection<int>? exclude = null)
    {
        if (query.Length != Dimension) throw new ArgumentException($"query has length {query.Length}, the dimension is {Dimension}");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(top);
        float norm = TensorPrimitives.Norm(query);
        var heap = new PriorityQueue<int, float>(top + 1);   // min-heap of the best so far
        for (int i = 0; i < LabelCount; i++)
        {
            if (exclude is not null && exclude.Contains(i)) continue;
            float score = norm > 0 ? TensorPrimitives.Dot(query, UnitVector(i)) / norm : 0f;
            if (heap.Count < top) heap.Enqueue(i, score);
            else if (heap.TryPeek(out _, out var worst) && score > worst) heap.EnqueueDequeue(i, score);
        }
        var result = new ScoredLabel[heap.Count];
        for (int r = result.Length - 1; r >= 0; r--)
        {
            heap.TryDequeue(out var id, out var score);
            result[r] = new ScoredLabel(id, Vocabulary[id], score);
        }
        return result;
    }

    /// <summary>
    /// Concept arithmetic: the labels closest to the sum of the unit vectors of the terms, with signs, e.g.
    /// "man + horse" or "king - man + woman". Terms are separated by + or - with spaces around them, so that
    /// names may hold hyphens; the terms themselves are excluded from the answer.
    /// </summary>
    public ArithmeticResult Arithmetic(string expression, int top = 10)
    {
        var terms = ParseExpression(expression);
        var sum = new float[Dimension];
        var ids = new List<int>();
        foreach (var (sign, name) in terms)
        {
            int id = IdOf(name);
            ids.Add(id);
            TensorPrimitives.MultiplyAdd(UnitVector(id), sign, sum, sum);
        }
        // Terms that cancel ("a - a") leave a vector with no direction: every label would score 0 and the order would
        // be arbitrary. Rounding leaves about 1e-7 per unit term, far below any real sum's length.
        if (TensorPrimitives.Norm(sum) <= 1e-4f)
            throw new ArgumentException($"'{expression.Trim()}' sums to the zero vector (its terms cancel), which is no closer to one label than to another; there is nothing to rank");
        return new ArithmeticResult(terms, Nearest(sum, top, ids));
    }

    /// <summary>Splits "a + b - c" into signed terms.</summary>
    internal static IReadOnlyList<(float Sign, string Label)> ParseExpression(string expression)
    {
        ArgumentNullException.ThrowIfNull(expression);
        var text = expression.Trim();
        if (text.Length == 0) throw new FormatException("the expression is empty; write labels joined by ' + ' or ' - ', e.g. \"man + horse\"");
        var parts = OperatorPattern().Split(" + " + text);
        var terms = new List<(float, string)>();
        // Split with a capture group alternates: [before, op, term, op, term, ...]; the leading " + " makes the first term explicit.
        if (parts[0].Trim().Length != 0) throw new FormatException($"cannot read '{expression}'");
        for (int p = 1; p + 1 < parts.Length; p += 2)
        {
            var label = parts[p + 1].Trim();
            if (label.Length == 0) throw new FormatException($"'{expression}' has an operator without a label after it");
            terms.Add((parts[p] == "-" ? -1f : 1f, label));
        }
        return terms;
    }

    [GeneratedRegex(@"(?:^|\s+)([+-])\s+")]
    private static partial Regex OperatorPattern();
}

/// <summary>The terms of a concept-arithmetic expression and the labels closest to their signed sum.</summary>
public sealed record ArithmeticResult(IReadOnlyList<(float Sign, string Label)> Terms, IReadOnlyList<ScoredLabel> Nearest);
