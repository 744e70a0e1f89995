using System.Globalization;
using LabelSphere.Data;

namespace LabelSphere.Embedding;

/// <summary>
/// The counts file of a label to be placed zero-shot: CSV with header <c>label,count</c>; the row naming the new
/// label itself gives how many instances carry it, every other row how many carry it together with a known label.
/// Known labels that are not listed count 0. See docs/formats.md.
/// </summary>
internal static class CooccurrenceFile
{
    /// <summary>Reads the file against <paramref name="embedding"/>'s labels; errors name the file, line and field.</summary>
    public static (long Count, long[] Cooccurrences) Read(string path, string newLabel, LabelEmbedding embedding)
    {
        IO.InputFile.Require(path);
        var tally = new CooccurrenceTally(newLabel, embedding);
        int lineNumber = 0;
        foreach (var raw in File.ReadLines(path))
        {
            lineNumber++;
            var line = raw.Trim();
            if (lineNumber == 1)
            {
                if (!line.Equals("label,count", StringComparison.OrdinalIgnoreCase))
                    throw Error(path, 1, "header", $"expected 'label,count', found '{Shorten(line)}'");
                continue;
            }
            if (line.Length == 0 || line[0] == '#') continue;
            int comma = line.LastIndexOf(',');
            if (comma < 0) throw Error(path, lineNumber, "count", "missing: a row is '<label>,<count>'");
            var name = Unquote(line[..comma].Trim());
            var countText = line[(comma + 1)..].Trim();
            if (!long.TryParse(countText, NumberStyles.None, CultureInfo.InvariantCulture, out var count))
                throw Error(path, lineNumber, "count", $"'{Shorten(countText)}' is not a non-negative whole number");
            tally.Add(name, count, (field, problem) => Error(path, lineNumber, field, problem));
        }
        if (lineNumber == 0) throw Error(path, 1, "header", "the file is empty");
        return tally.Finish((field, problem) => Error(path, lineNumber, field, problem));
    }

    static string Unquote(string s) => s.Length >= 2 && s[0] == '"' && s[^1] == '"' ? s[1..^1].Replace("\"\"", "\"") : s;

    static string Shorten(string s) => IO.Printable.Shorten(s);

    static AnnotationFormatException Error(string path, long line, string field, string problem) =>
        new(new AnnotationError(path, line, field, problem));
}

/// <summary>
/// The counts of a label to be placed zero-shot, checked against an embedding as they are read, one (label, count)
/// pair at a time: the new label's own count and its co-occurrence with known labels (the rows of the counts file,
/// the fields of <c>POST /labels</c>). Each check reports through the caller's <c>fail</c>, which names the place.
/// </summary>
internal sealed class CooccurrenceTally(string newLabel, LabelEmbedding embedding)
{
    readonly long[] co = new long[embedding.LabelCount];
    readonly bool[] seen = new bool[embedding.LabelCount];
    long? own;

    /// <summary>Adds one pair; <paramref name="fail"/> makes the error for a field ("label" or "count") and a problem.</summary>
    public void Add(string name, long count, Func<string, string, Exception> fail)
    {
        if (count < 0) throw fail("count", $"{count} is not a non-negative whole number");
        if (name == newLabel)
        {
            if (own is not null) throw fail("label", $"'{name}' (the new label's own count) is listed twice");
            own = count;
            return;
        }
        int id = embedding.Vocabulary.IndexOf(name);
        if (id < 0)
        {
            var suggestions = embedding.Vocabulary.Suggest(name);
            throw fail("label", $"'{name}' is not in the embedding" +
                (suggestions.Count > 0 ? $"; did you mean {string.Join(", ", suggestions.Select(s => $"'{s}'"))}?" : ""));
        }
        if (seen[id]) throw fail("label", $"'{name}' is listed twice");
        if (count > embedding.LabelCounts[id])
            throw fail("count", $"{count} exceeds the {embedding.LabelCounts[id]} instances that carry '{name}'");
        seen[id] = true;
        co[id] = count;
    }

    /// <summary>The new label's count and [labels] co-occurrences, once every pair is in.</summary>
    public (long Count, long[] Cooccurrences) Finish(Func<string, string, Exception> fail)
    {
        if (own is not { } ownCount || ownCount == 0)
            throw fail("label", $"no row gives the new label's own count: add '{newLabel},<instances carrying it>'");
        if (ownCount > embedding.Instances)
            throw fail("count", $"the new label's count {ownCount} exceeds the embedding's {embedding.Instances} instances");
        for (int j = 0; j < co.Length; j++)
            if (co[j] > ownCount)
                throw fail("count", $"the count with '{embedding.Vocabulary[j]}' ({co[j]}) exceeds the new label's own count ({ownCount})");
        return (ownCount, co);
    }
}
