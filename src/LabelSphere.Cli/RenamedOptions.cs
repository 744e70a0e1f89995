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
        ("embed", "--min-count", "--min-word-count"),
    ];

    /// <summary>The line for the first renamed option <paramref name="parse"/> did not match, or null.</summary>
    public static string? Explain(ParseResult parse)
    {
        var command = parse.CommandResult.Command;
        foreach (var token in parse.UnmatchedTokens)
        {
            var name = token.Split('=', 2)[0];
            // Only where the verb takes the new name (zeroshot has no --validation to point to).
            foreach (var (v, old, replacement) in Options)
                if ((v is null || v == command.Name) && name == old && command.Options.Any(o => o.Name == replacement.Split(' ')[0]))
                    return $"{old} is now {replacement}";
        }
        return null;
    }
}
