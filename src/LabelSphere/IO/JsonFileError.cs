using System.Text.Json;

namespace LabelSphere.IO;

/// <summary>One line for a JSON file that does not parse: the file, the line and the field, then what is wrong.</summary>
internal static class JsonFileError
{
    /// <summary>
    /// "<c>path: line 3, field labels: corrupt JSON: ...</c>", from the position <paramref name="error"/> gives;
    /// the parser's own position suffix ("Path: $.x | LineNumber: ...") is dropped since the line says it.
    /// </summary>
    public static string Describe(string path, JsonException error)
    {
        var where = error.LineNumber is { } line ? $"line {line + 1}" : "";
        var field = error.Path is { Length: > 1 } p && p.StartsWith("$.", StringComparison.Ordinal) ? p[2..] : null;
        if (field is not null) where += (where.Length > 0 ? ", " : "") + $"field {field}";
        return $"{path}: {(where.Length > 0 ? where + ": " : "")}corrupt JSON: {Problem(error)}";
    }

    /// <summary>What the parser found wrong, without its position suffix ("Path: $.x | LineNumber: 0 | ...").</summary>
    public static string Problem(JsonException error)
    {
        var message = error.Message;
        int suffix = message.IndexOf(" Path: ", StringComparison.Ordinal);
        if (suffix < 0) suffix = message.IndexOf(" LineNumber: ", StringComparison.Ordinal);
        if (suffix >= 0) message = message[..suffix];
        return Printable.Escape(message.Trim());
    }
}
