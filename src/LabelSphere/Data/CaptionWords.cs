namespace LabelSphere.Data;

/// <summary>
/// Splits captions into words: lower-cased (invariant culture), a word is a run of letters, digits and apostrophes
/// (’ and ‘ count as '), with apostrophes at its ends trimmed and a final possessive <c>'s</c> dropped ("man's" →
/// "man"), while other inner apostrophes stay ("don't"). Everything else (spaces, hyphens, punctuation) separates
/// words, so "t-shirt" gives "t" and "shirt".
/// </summary>
internal static class CaptionWords
{
    /// <summary>Calls <paramref name="word"/> with each word of <paramref name="caption"/>, in order, repeats included.</summary>
    /// <param name="caption">The caption text.</param>
    /// <param name="buffer">Scratch space, grown as needed; the span passed to <paramref name="word"/> lives in it.</param>
    /// <param name="word">Called once per word.</param>
    public static void Split(ReadOnlySpan<char> caption, ref char[] buffer, WordAction word)
    {
        if (buffer.Length < caption.Length) buffer = new char[caption.Length];
        int i = 0;
        while (i < caption.Length)
        {
            int n = 0;
            while (i < caption.Length && IsWordChar(caption[i], out char c))
            {
                buffer[n++] = c;
                i++;
            }
            i++;
            var w = Trim(buffer.AsSpan(0, n));
            if (w.Length >= 2 && w[^2] == '\'' && w[^1] == 's') w = Trim(w[..^2]);
            if (!w.IsEmpty) word(w);
        }
    }

    /// <summary>Receives one word; the span is valid only during the call.</summary>
    public delegate void WordAction(ReadOnlySpan<char> word);

    /// <summary>
    /// A common English stop-word list (the NLTK list of 179 words: pronouns, articles, auxiliaries, prepositions,
    /// conjunctions and contraction pieces), used for captions when no stop-word file is given.
    /// </summary>
    public static readonly IReadOnlyList<string> EnglishStopWords =
    [
        "i", "me", "my", "myself", "we", "our", "ours", "ourselves", "you", "you're", "you've", "you'll", "you'd", "your",
        "yours", "yourself", "yourselves", "he", "him", "his", "himself", "she", "she's", "her", "hers", "herself", "it",
        "it's", "its", "itself", "they", "them", "their", "theirs", "themselves", "what", "which", "who", "whom", "this",
        "that", "that'll", "these", "those", "am", "is", "are", "was", "were", "be", "been", "being", "have", "has", "had",
        "having", "do", "does", "did", "doing", "a", "an", "the", "and", "but", "if", "or", "because", "as", "until",
        "while", "of", "at", "by", "for", "with", "about", "against", "between", "into", "through", "during", "before",
        "after", "above", "below", "to", "from", "up", "down", "in", "out", "on", "off", "over", "under", "again",
        "further", "then", "once", "here", "there", "when", "where", "why", "how", "all", "any", "both", "each", "few",
        "more", "most", "other", "some", "such", "no", "nor", "not", "only", "own", "same", "so", "than", "too", "very",
        "s", "t", "can", "will", "just", "don", "don't", "should", "should've", "now", "d", "ll", "m", "o", "re", "ve",
        "y", "ain", "aren", "aren't", "couldn", "couldn't", "didn", "didn't", "doesn", "doesn't", "hadn", "hadn't",
        "hasn", "hasn't", "haven", "haven't", "isn", "isn't", "ma", "mightn", "mightn't", "mustn", "mustn't", "needn",
        "needn't", "shan", "shan't", "shouldn", "shouldn't", "wasn", "wasn't", "weren", "weren't", "won", "won't",
        "wouldn", "wouldn't",
    ];

    /// <summary>
    /// The stop words in force for <paramref name="options"/>: those of <see cref="ReaderOptions.StopWordsPath"/>
    /// (one per line, normalised like caption words; blank lines and lines starting with # ignored), else the
    /// built-in English list when <see cref="ReaderOptions.UseStopWords"/>, else none.
    /// </summary>
    public static HashSet<string> StopWords(ReaderOptions options)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        if (options.StopWordsPath is { } path)
        {
            IO.InputFile.Require(path, "stop-word file");
            using var lines = new LineSource(path);
            var buffer = new char[64];
            while (lines.ReadLine() is { } line)
            {
                var text = line.AsSpan().Trim();
                if (text.IsEmpty || text[0] == '#') continue;
                Split(text, ref buffer, w => set.Add(w.ToString()));
            }
        }
        else if (options.UseStopWords)
        {
            foreach (var w in EnglishStopWords) set.Add(w);
        }
        return set;
    }

    static bool IsWordChar(char c, out char normalized)
    {
        if (char.IsLetterOrDigit(c))
        {
            normalized = char.ToLowerInvariant(c);
            return true;
        }
        normalized = '\'';
        return c is '\'' or '\u2019' or '\u2018';
    }

    static Span<char> Trim(Span<char> word) => word.Trim('\'');
}
