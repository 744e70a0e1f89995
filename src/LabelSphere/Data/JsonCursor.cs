using System.Text.Json;

namespace LabelSphere.Data;

/// <summary>
/// Walks the JSON tokens of a stream block by block (a <see cref="Utf8JsonReader"/> over a refilled buffer), so a
/// large file is never held whole, and knows the 1-based line of the current token for error messages.
/// </summary>
internal ref struct JsonCursor
{
    readonly Stream stream;
    byte[] buffer;
    int length;
    bool final;
    Utf8JsonReader reader;
    long line;
    int counted;

    /// <summary>Starts reading <paramref name="stream"/>; a UTF-8 byte-order mark is skipped.</summary>
    public JsonCursor(Stream stream, int bufferSize = 1 << 16)
    {
        this.stream = stream;
        buffer = new byte[bufferSize];
        line = 1;
        Fill();
        if (buffer.AsSpan(0, length).StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            Array.Copy(buffer, 3, buffer, 0, length - 3);
            length -= 3;
            if (!final) Fill();
        }
        reader = new Utf8JsonReader(buffer.AsSpan(0, length), final, default);
    }

    /// <summary>The type of the current token.</summary>
    public readonly JsonTokenType TokenType => reader.TokenType;

    /// <summary>The 1-based line on which the current token starts.</summary>
    public long Line
    {
        get
        {
            CountLines((int)reader.TokenStartIndex);
            return line;
        }
    }

    /// <summary>Moves to the next token; false at the end of the input.</summary>
    public bool Read()
    {
        while (!reader.Read())
        {
            if (final) return false;
            Refill();
        }
        return true;
    }

    /// <summary>Whether the current property name or string equals <paramref name="utf8"/>.</summary>
    public readonly bool NameIs(ReadOnlySpan<byte> utf8) => reader.ValueTextEquals(utf8);

    /// <summary>The current string token (or property name) as a string.</summary>
    public readonly string GetString() => reader.GetString()!;

    /// <summary>The current token as a 64-bit integer, when it is a JSON number holding one.</summary>
    public readonly bool TryGetInt64(out long value)
    {
        value = 0;
        return reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out value);
    }

    /// <summary>The current token's text, for messages (strings without their quotes).</summary>
    public readonly string RawText() =>
        reader.TokenType == JsonTokenType.String ? reader.GetString()! : System.Text.Encoding.UTF8.GetString(reader.ValueSpan);

    /// <summary>
    /// Skips the value that starts at the current token (after a property name: the value that follows it), so the
    /// next <see cref="Read"/> returns the token after that value.
    /// </summary>
    public void Skip()
    {
        if (reader.TokenType == JsonTokenType.PropertyName && !Read()) return;
        if (reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray)) return;
        if (reader.TrySkip()) return;
        int depth = reader.CurrentDepth;
        while (Read())
        {
            if (reader.TokenType is JsonTokenType.EndObject or JsonTokenType.EndArray && reader.CurrentDepth == depth) return;
        }
    }

    void Refill()
    {
        int consumed = (int)reader.BytesConsumed;
        CountLines(consumed);
        int leftover = length - consumed;
        if (consumed == 0 && length == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
        else if (leftover > 0) Array.Copy(buffer, consumed, buffer, 0, leftover);
        length = leftover;
        counted = 0;
        Fill();
        reader = new Utf8JsonReader(buffer.AsSpan(0, length), final, reader.CurrentState);
    }

    void Fill()
    {
        while (length < buffer.Length)
        {
            int n = stream.Read(buffer, length, buffer.Length - length);
            if (n == 0)
            {
                final = true;
                return;
            }
            length += n;
        }
    }

    void CountLines(int upTo)
    {
        if (upTo <= counted) return;
        line += buffer.AsSpan(counted, upTo - counted).Count((byte)'\n');
        counted = upTo;
    }
}
