using System.Globalization;
using System.Text;

namespace LabelSphere.IO;

/// <summary>
/// Text from a file made safe to print in one line of an error message: control characters, line breaks and the
/// replacement character that stands for undecodable bytes are escaped (<c>\x0A</c>, <c>\uFFFD</c>), and long
/// excerpts are cut.
/// </summary>
internal static class Printable
{
    /// <summary>Characters of an excerpt kept by <see cref="Shorten"/>.</summary>
    public const int ExcerptLength = 60;

    /// <summary><paramref name="text"/> with every character that is not printable escaped; the rest unchanged.</summary>
    public static string Escape(ReadOnlySpan<char> text)
    {
        int first = IndexOfUnprintable(text);
        if (first < 0) return new string(text);
        var builder = new StringBuilder(text.Length + 16);
        builder.Append(text[..first]);
        for (int i = first; i < text.Length; i++) Append(builder, text[i]);
        return builder.ToString();
    }

    /// <summary>
    /// An excerpt of <paramref name="text"/> for an error message: escaped as <see cref="Escape"/> does and cut to
    /// about <see cref="ExcerptLength"/> characters, ending in "..." when cut.
    /// </summary>
    public static string Shorten(ReadOnlySpan<char> text)
    {
        var head = Escape(text.Length > ExcerptLength ? text[..(ExcerptLength + 1)] : text);
        if (head.Length <= ExcerptLength && text.Length <= ExcerptLength) return head;
        var builder = new StringBuilder(ExcerptLength);
        var one = new StringBuilder(6);
        foreach (var c in text)
        {
            one.Clear();
            Append(one, c);
            if (builder.Length + one.Length > ExcerptLength - 3) break;
            builder.Append(one);
        }
        return builder.Append("...").ToString();
    }

    static int IndexOfUnprintable(ReadOnlySpan<char> text)
    {
        for (int i = 0; i < text.Length; i++) if (!IsPrintable(text[i])) return i;
        return -1;
    }

    static bool IsPrintable(char c) =>
        !char.IsControl(c) && !char.IsSurrogate(c) && c != '\uFFFD' && c != '\u2028' && c != '\u2029' && c != '\u001B';

    static void Append(StringBuilder builder, char c)
    {
        if (IsPrintable(c)) builder.Append(c);
        else if (c <= 0xFF) builder.Append("\\x").Append(((int)c).ToString("X2", CultureInfo.InvariantCulture));
        else builder.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
    }
}
