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
        var co = new long[embedding.LabelCount];
        var seen = new bool[embedding.LabelCount];
        long? own = null;
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
            if (name == newLabel)
            {
                if (own is not null) throw Error(path, lineNumber, "label", $"'{name}' (the new label's own count) is listed twice");
                own = count;
                continue;
            }
            int id = embedding.Vocabulary.IndexOf(name);
            if (id < 0)
            {
                var suggestions = embedding.Vocabulary.Suggest(name);
                throw Error(path, lineNumber, "label", $"'{name}' is not in the embedding" +
                    (suggestions.Count > 0 ? $"; did you mean {string.Join(", ", suggestions.Select(s => $"'{s}'"))}?" : ""));
            }
            if (seen[id]) throw Error(path, lineNumber, "label", $"'{name}' is listed twice");
            if (count > embedding.LabelCounts[id])
                throw Error(path, lineNumber, "count", $"{count} exceeds the {embedding.LabelCounts[id]} instances that carry '{name}'");
            seen[id] = true;
            co[id] = count;
        }
        if (lineNumber == 0) throw Error(path, 1, "header", "the file is empty");
        if (own is not { } ownCount || ownCount == 0)
            throw Error(path, lineNumber, "label", $"no row gives the new label's own count: add '{newLabel},<instances carrying it>'");
        if (ownCount > embedding.Instances)
            throw Error(path, lineNumber, "count", $"the new label's count {ownCount} exceeds the embedding's {embedding.Instances} instances");
        for (int j = 0; j < co.Length; j++)
            if (co[j] > ownCount)
                throw Error(path, lineNumber, "count", $"the count with '{embedding.Vocabulary[j]}' ({co[j]}) exceeds the new label's own count ({ownCount})");
        return (ownCount, co);
    }

    static string Unquote(string s) => s.Length >= 2 && s[0] == '"' && s[^1] == '"' ? s[1..^1].Replace("\"\"", "\"") : s;

    static string Shorten(string s) => IO.Printable.Shorten(s);

    static AnnotationFormatException Error(string path, long line, string field, string problem) =>
        new(new AnnotationError(path, line, field, problem));
}
