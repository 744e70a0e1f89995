using System.CommandLine;

namespace LabelSphere.Cli;

/// <summary>
/// Options that were renamed so that one name has one meaning in every verb: an old name on the command line is a
/// usage error whose line names its replacement, rather than "unrecognized".
/// </summary>
internal static class Renamed
{
    // (verb or null for every verb, old name) → what to write instead.
    static readonly (string? Verb, string Old, string New)[] Options =
    [
        ("generate", "--labels", "--label-count"),
        ("generate", "--features", "--feature-dim"),
        ("compare", "--dims", "--dim"),
        (null, "--validation-fraction", "--validation"),
        (null, "--no-augment", "--augment false"),
    ];

    /// <summary>The line for the first renamed option <paramref name="parse"/> did not match, or null.</summary>
    public static string? Explain(ParseResult parse)
    {
        var verb = parse.CommandResult.Command.Name;
        foreach (var token in parse.UnmatchedTokens)
        {
            var name = token.Split('=', 2)[0];
            foreach (var (v, old, replacement) in Options)
                if ((v is null || v == verb) && name == old) return $"{old} is now {replacement}";
        }
        return null;
    }

    /// <summary>The old names of <paramref name="verb"/>'s options, with their replacements.</summary>
    public static IEnumerable<(string Old, string New)> Of(string verb) =>
        Options.Where(o => o.Verb is null || o.Verb == verb).Select(o => (o.Old, o.New));
}
