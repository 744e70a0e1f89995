namespace LabelSphere.Data;

/// <summary>
/// Splits a <see cref="LineSource"/> into CSV records (RFC 4180): fields separated by commas, a field in double
/// quotes may hold commas, line breaks and doubled quotes (<c>""</c> for one <c>"</c>). Fields are exposed as spans
/// into a reused buffer, valid until the next <see cref="Read"/>.
/// </summary>
internal sealed class CsvRecordReader(LineSource lines)
{
    readonly List<(int Start, int Length)> fields = [];
    char[] text = new char[1024];
    int used;

    /// <summary>The 1-based line on which the current record starts.</summary>
    public long Line { get; private set; }

    /// <summary>Whether the current record ended inside a quoted field because the file ended (a truncated file).</summary>
    public bool Unterminated { get; private set; }

    /// <summary>Number of fields of the current record.</summary>
    public int FieldCount => fields.Count;

    /// <summary>Field <paramref name="index"/> of the current record, quotes removed.</summary>
    public ReadOnlySpan<char> this[int index] => text.AsSpan(fields[index].Start, fields[index].Length);

    /// <summary>Field <paramref name="index"/> as a new string.</summary>
    public string GetString(int index) => new(this[index]);

    /// <summary>Reads the next record, skipping blank lines; false at the end of the file.</summary>
    public bool Read()
    {
        fields.Clear();
        used = 0;
        Unterminated = false;
        string? line;
        do
        {
            line = lines.ReadLine();
            if (line is null) return false;
        } while (line.Length == 0);
        Line = lines.LineNumber;

        ReadOnlySpan<char> rest = line;
        while (true)
        {
            int start = used;
            if (rest.Length > 0 && rest[0] == '"')
            {
                rest = rest[1..];
                while (true)
                {
                    int quote = rest.IndexOf('"');
                    if (quote < 0)
                    {
                        // The quoted field goes on past the line break: keep the break and read on.
                        Append(rest);
                        Append("\n");
                        line = lines.ReadLine();
                        if (line is null)
                        {
                            Unterminated = true;
                            fields.Add((start, used - start));
                            return true;
                        }
                        rest = line;
                        continue;
                    }
                    Append(rest[..quote]);
                    rest = rest[(quote + 1)..];
                    if (rest.Length > 0 && rest[0] == '"')
                    {
                        Append("\"");
                        rest = rest[1..];
                        continue;
                    }
                    break;
                }
                // Text between the closing quote and the next comma is not RFC 4180; keep it rather than lose it.
                int comma = rest.IndexOf(',');
                Append(comma < 0 ? rest : rest[..comma]);
                fields.Add((start, used - start));
                if (comma < 0) return true;
                rest = rest[(comma + 1)..];
            }
            else
            {
                int comma = rest.IndexOf(',');
                Append(comma < 0 ? rest : rest[..comma]);
                fields.Add((start, used - start));
                if (comma < 0) return true;
                rest = rest[(comma + 1)..];
            }
        }
    }

    void Append(ReadOnlySpan<char> span)
    {
        if (used + span.Length > text.Length) Array.Resize(ref text, Math.Max(text.Length * 2, used + span.Length));
        span.CopyTo(text.AsSpan(used));
        used += span.Length;
    }
}
