namespace LabelSphere.Data;

/// <summary>The label names of an annotation set, in id order; ids are 0-based and dense.</summary>
public sealed class LabelVocabulary
{
    readonly string[] names;
    readonly Dictionary<string, int> ids;

    /// <summary>Builds a vocabulary; names must be unique and non-empty.</summary>
    public LabelVocabulary(IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        this.names = names.ToArray();
        ids = new Dictionary<string, int>(this.names.Length, StringComparer.Ordinal);
        for (int i = 0; i < this.names.Length; i++)
        {
            if (string.IsNullOrEmpty(this.names[i]))
                throw new ArgumentException($"label {i} has an empty name", nameof(names));
            if (!ids.TryAdd(this.names[i], i))
                throw new ArgumentException($"label name '{this.names[i]}' appears twice (ids {ids[this.names[i]]} and {i})", nameof(names));
        }
    }

    /// <summary>Number of labels.</summary>
    public int Count => names.Length;

    /// <summary>Label names in id order.</summary>
    public IReadOnlyList<string> Names => names;

    /// <summary>The name of label <paramref name="id"/>.</summary>
    public string this[int id] => names[id];

    /// <summary>The id of a label name, or -1.</summary>
    public int IndexOf(string name) => ids.TryGetValue(name, out var id) ? id : -1;

    /// <summary>Whether the vocabulary holds <paramref name="name"/>.</summary>
    public bool Contains(string name) => ids.ContainsKey(name);

    /// <summary>A vocabulary with one more label at the end.</summary>
    public LabelVocabulary Append(string name) => new(names.Append(name));

    /// <summary>
    /// The names closest to <paramref name="name"/> by edit distance (case-insensitive), best first: what an
    /// error message suggests for a misspelt label.
    /// </summary>
    public IReadOnlyList<string> Suggest(string name, int count = 3)
    {
        var query = name.ToLowerInvariant();
        var scored = new List<(int Distance, string Name)>(names.Length);
        foreach (var candidate in names)
        {
            var lower = candidate.ToLowerInvariant();
            int d = lower.Contains(query, StringComparison.Ordinal) || query.Contains(lower, StringComparison.Ordinal)
                ? Math.Abs(lower.Length - query.Length) / 2
                : EditDistance(query, lower);
            scored.Add((d, candidate));
        }
        scored.Sort((a, b) => a.Distance != b.Distance ? a.Distance.CompareTo(b.Distance) : string.CompareOrdinal(a.Name, b.Name));
        int limit = Math.Max(2, query.Length / 2);
        var result = new List<string>(count);
        foreach (var (d, n) in scored)
        {
            if (result.Count == count || d > limit) break;
            result.Add(n);
        }
        return result;
    }

    static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) previous[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
