using System.Globalization;
using LabelSphere.Data;

namespace LabelSphere.Embedding;

/// <summary>
/// Co-occurrence counts counted elsewhere (a SQL engine's self-join GROUP BY, docs/sql/cooccurrence.sql), read as
/// what <c>embed</c> would have counted: CSV (optionally .gz) with header <c>label_a,label_b,count</c>; one row with
/// both labels empty gives the number of instances (unlabelled ones included), a row naming the same label twice
/// gives that label's own count, any other row how many instances carry both labels. Labels take ids in the order
/// of their own rows; pairs not listed count 0. See docs/formats.md.
/// </summary>
internal static class PairCountsFile
{
    /// <summary>The header that marks a pair-counts file.</summary>
    public const string Header = "label_a,label_b,count";

    /// <summary>Whether the first line of <paramref name="path"/> is the pair-counts header.</summary>
    public static bool Is(string path)
    {
        if (!File.Exists(path)) return false;
        try
        {
            using var lines = new LineSource(path);
            var csv = new CsvRecordReader(lines);
            return csv.Read() && IsHeader(csv);
        }
        catch (InvalidDataException)
        {
            return false;
        }
    }

    /// <summary>Whether the current record of <paramref name="csv"/> is the pair-counts header.</summary>
    internal static bool IsHeader(CsvRecordReader csv) =>
        csv.FieldCount == 3 && string.Join(',', Enumerable.Range(0, 3).Select(i => csv.GetString(i).Trim())).Equals(Header, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Reads the counts; every error is an <see cref="AnnotationFormatException"/> naming the file, the line and the
    /// field. <paramref name="bytesRead"/> reports progress through the file.
    /// </summary>
    public static CooccurrenceCounts Read(string path, IProgress<long>? bytesRead = null, CancellationToken cancellationToken = default)
    {
        IO.InputFile.Require(path);
        using var lines = new LineSource(path);
        var csv = new CsvRecordReader(lines);
        if (!csv.Read()) throw Error(path, 1, "header", "the file is empty");
        if (!IsHeader(csv))
            throw Error(path, csv.Line, "header", $"expected '{Header}'");

        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var names = new List<string>();
        var own = new List<long>();
        var pairs = new Dictionary<long, (long Count, long Line)>();
        var pending = new List<(string A, string B, long Count, long Line)>();
        long? instances = null;
        long instancesLine = 0;
        while (csv.Read())
        {
            if ((csv.Line & 0xFFFF) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                bytesRead?.Report(lines.BytesRead);
            }
            long line = csv.Line;
            if (csv.Unterminated) throw Error(path, line, "label_a", "a quoted field runs to the end of the file (truncated?)");
            if (csv.FieldCount != 3) throw Error(path, line, "count", $"a row has 3 fields (label_a,label_b,count), this one {csv.FieldCount}");
            var a = csv.GetString(0);
            var b = csv.GetString(1);
            var text = csv[2].Trim();
            if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var count))
                throw Error(path, line, "count", $"'{IO.Printable.Shorten(text)}' is not a non-negative whole number");
            if (a.Length == 0 && b.Length == 0)
            {
                if (instances is not null) throw Error(path, line, "count", $"a second instance count (the first is on line {instancesLine})");
                if (count == 0) throw Error(path, line, "count", "the number of instances is 0");
                (instances, instancesLine) = (count, line);
            }
            else if (a.Length == 0 || b.Length == 0)
                throw Error(path, line, a.Length == 0 ? "label_a" : "label_b", "empty: only the instance-count row leaves a label empty, and it leaves both");
            else if (a == b)
            {
                if (ids.ContainsKey(a)) throw Error(path, line, "label_a", $"'{IO.Printable.Shorten(a)}' has a second own count");
                ids[a] = names.Count;
                names.Add(a);
                own.Add(count);
            }
            else if (count > 0) pending.Add((a, b, count, line));
        }
        if (instances is null)
            throw Error(path, lines.LineNumber, "label_a", "no instance count: a row ',,N' gives the number of instances");
        int n = names.Count;
        if (n == 0) throw Error(path, lines.LineNumber, "label_a", "no label has its own count (a row 'label,label,count')");
        for (int i = 0; i < n; i++)
            if (own[i] > instances)
                throw Error(path, instancesLine, "count", $"{instances} instances, but '{IO.Printable.Shorten(names[i])}' alone is on {own[i]}");

        foreach (var (a, b, count, line) in pending)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!ids.TryGetValue(a, out var i)) throw Error(path, line, "label_a", $"'{IO.Printable.Shorten(a)}' has no own count (a row '{IO.Printable.Shorten(a)},{IO.Printable.Shorten(a)},N')");
            if (!ids.TryGetValue(b, out var j)) throw Error(path, line, "label_b", $"'{IO.Printable.Shorten(b)}' has no own count (a row '{IO.Printable.Shorten(b)},{IO.Printable.Shorten(b)},N')");
            if (count > Math.Min(own[i], own[j]))
                throw Error(path, line, "count", $"{count} instances carry both, more than carry '{IO.Printable.Shorten(own[i] <= own[j] ? a : b)}' ({Math.Min(own[i], own[j])})");
            long key = (long)Math.Min(i, j) * n + Math.Max(i, j);
            if (!pairs.TryAdd(key, (count, line)))
                throw Error(path, line, "label_b", $"the pair ('{IO.Printable.Shorten(a)}', '{IO.Printable.Shorten(b)}') is also on line {pairs[key].Line}: list each pair once");
        }
        bytesRead?.Report(lines.BytesRead);
        var sparse = new Dictionary<long, long>(pairs.Count);
        foreach (var (key, value) in pairs) sparse[key] = value.Count;
        return new CooccurrenceCounts(new LabelVocabulary(names), instances.Value, emptyInstances: -1, [.. own], null, sparse);
    }

    static AnnotationFormatException Error(string path, long line, string field, string problem) =>
        new(new AnnotationError(path, line, field, problem));
}
