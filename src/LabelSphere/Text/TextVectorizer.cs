using System.Buffers.Binary;
using System.Text;
using LabelSphere.Data;

namespace LabelSphere.Text;

/// <summary>
/// How raw text becomes term counts (scikit-learn's <c>CountVectorizer</c> / <c>HashingVectorizer</c>): lower-cased,
/// split into words, word n-grams of <see cref="NgramMin"/> to <see cref="NgramMax"/> words, then either a vocabulary
/// learnt from the training rows (terms in at least <see cref="MinDocumentFrequency"/> of them, at most
/// <see cref="MaxFeatures"/>) or, with <see cref="HashWidth"/>, hashing into a fixed number of columns. The feature
/// scaling (<see cref="Training.FeatureScaling.TfIdf"/> by default) then weighs the counts.
/// </summary>
public sealed record TextFeatureOptions
{
    /// <summary>Shortest word n-gram, in words (1: single words).</summary>
    public int NgramMin { get; init; } = 1;

    /// <summary>Longest word n-gram, in words.</summary>
    public int NgramMax { get; init; } = 1;

    /// <summary>Vocabulary: a term is kept when at least this many training rows hold it (scikit-learn's integer <c>min_df</c>).</summary>
    public int MinDocumentFrequency { get; init; } = 1;

    /// <summary>
    /// Vocabulary: keep at most this many terms, those with the most occurrences in the training rows (ties by term,
    /// ordinally), or null for all.
    /// </summary>
    public int? MaxFeatures { get; init; }

    /// <summary>
    /// Hash terms into this many columns instead of learning a vocabulary (MurmurHash3 of the UTF-8 term, seed 0, as
    /// scikit-learn's <c>HashingVectorizer(alternate_sign=False)</c>), or null for a vocabulary.
    /// </summary>
    public int? HashWidth { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the option when a value is out of range or two contradict.</summary>
    public void Validate()
    {
        if (NgramMin < 1) throw new ArgumentOutOfRangeException(nameof(NgramMin), NgramMin, $"the shortest n-gram must be at least 1 word, got {NgramMin}");
        if (NgramMax < NgramMin || NgramMax > 10)
            throw new ArgumentOutOfRangeException(nameof(NgramMax), NgramMax, $"the longest n-gram must be between the shortest ({NgramMin}) and 10 words, got {NgramMax}");
        if (MinDocumentFrequency < 1)
            throw new ArgumentOutOfRangeException(nameof(MinDocumentFrequency), MinDocumentFrequency, $"the minimum document frequency must be at least 1, got {MinDocumentFrequency}");
        if (MaxFeatures is < 1) throw new ArgumentOutOfRangeException(nameof(MaxFeatures), MaxFeatures, $"the number of features must be at least 1, got {MaxFeatures}");
        if (HashWidth is < 1) throw new ArgumentOutOfRangeException(nameof(HashWidth), HashWidth, $"the hashing width must be at least 1, got {HashWidth}");
        if (HashWidth is not null && (MaxFeatures is not null || MinDocumentFrequency != 1))
            throw new ArgumentException("hashing needs no vocabulary: a minimum document frequency or a number of features cannot apply to it", nameof(HashWidth));
    }
}

/// <summary>
/// A fitted text vectoriser: turns raw text into term counts over a vocabulary learnt from the training rows (or a
/// hashing width), so that a model trained on text takes text when it predicts. Immutable and thread-safe.
/// </summary>
/// <remarks>
/// Tokens are the maximal runs of letters, digits (any Unicode number) and underscores of two or more characters in
/// the lower-cased text, as scikit-learn's default <c>token_pattern</c> <c>(?u)\b\w\w+\b</c> finds them (characters
/// outside the Basic Multilingual Plane end a word here); n-grams join consecutive tokens with one space. The
/// vocabulary's columns are its terms in ordinal order, as scikit-learn orders them.
/// </remarks>
public sealed class TextVectorizer
{
    readonly string[]? terms;
    readonly Dictionary<string, int>? columns;

    TextVectorizer(TextFeatureOptions options, string[]? terms)
    {
        Options = options;
        this.terms = terms;
        if (terms is not null)
        {
            columns = new Dictionary<string, int>(terms.Length, StringComparer.Ordinal);
            for (int i = 0; i < terms.Length; i++)
                if (!columns.TryAdd(terms[i], i)) throw new ArgumentException($"the term '{terms[i]}' is in the vocabulary twice", nameof(terms));
        }
    }

    /// <summary>How it was fitted.</summary>
    public TextFeatureOptions Options { get; }

    /// <summary>[Width] the vocabulary's terms in column order, or null when terms are hashed.</summary>
    public IReadOnlyList<string>? Terms => terms;

    /// <summary>Number of columns of the vectors it produces.</summary>
    public int Width => terms?.Length ?? Options.HashWidth!.Value;

    /// <summary>
    /// Learns the vocabulary from <paramref name="rows"/> of <paramref name="texts"/> (all rows when null); with
    /// hashing there is nothing to learn. Throws when no term is left (every one rarer than the minimum document frequency).
    /// </summary>
    public static TextVectorizer Fit(IReadOnlyList<string> texts, TextFeatureOptions options, int[]? rows = null)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (options.HashWidth is not null) return new TextVectorizer(options, null);
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var names = new List<string>();
        var documentFrequency = new List<int>();
        var occurrences = new List<long>();
        var lastRow = new List<int>();
        var words = new List<string>();
        var grams = new List<string>();
        int n = rows?.Length ?? texts.Count;
        for (int i = 0; i < n; i++)
        {
            int row = rows is null ? i : rows[i];
            Ngrams(texts[row], options, words, grams);
            foreach (var gram in grams)
            {
                if (!index.TryGetValue(gram, out int t))
                {
                    t = names.Count;
                    index.Add(gram, t);
                    names.Add(gram);
                    documentFrequency.Add(0);
                    occurrences.Add(0);
                    lastRow.Add(-1);
                }
                occurrences[t]++;
                if (lastRow[t] != i)
                {
                    lastRow[t] = i;
                    documentFrequency[t]++;
                }
            }
        }
        var kept = new List<int>();
        for (int t = 0; t < names.Count; t++) if (documentFrequency[t] >= options.MinDocumentFrequency) kept.Add(t);
        if (kept.Count == 0)
            throw new ArgumentException(names.Count == 0
                ? $"the {n:N0} training texts hold no word of two or more letters or digits"
                : $"none of the {names.Count:N0} terms of the {n:N0} training texts is in at least {options.MinDocumentFrequency} of them", nameof(options.MinDocumentFrequency));
        if (options.MaxFeatures is { } max && kept.Count > max)
        {
            kept.Sort((a, b) => occurrences[a] != occurrences[b] ? occurrences[b].CompareTo(occurrences[a]) : string.CompareOrdinal(names[a], names[b]));
            kept.RemoveRange(max, kept.Count - max);
        }
        var vocabulary = new string[kept.Count];
        for (int i = 0; i < kept.Count; i++) vocabulary[i] = names[kept[i]];
        Array.Sort(vocabulary, StringComparer.Ordinal);
        return new TextVectorizer(options, vocabulary);
    }

    /// <summary>A vectoriser from saved parts: the options and, unless they hash, the vocabulary's terms in column order.</summary>
    public static TextVectorizer FromParts(TextFeatureOptions options, string[]? terms)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if ((options.HashWidth is null) != (terms is not null))
            throw new ArgumentException(options.HashWidth is null ? "a vocabulary vectoriser needs its terms" : "a hashing vectoriser has no terms", nameof(terms));
        if (terms is { Length: 0 }) throw new ArgumentException("the vocabulary is empty", nameof(terms));
        return new TextVectorizer(options, terms);
    }

    /// <summary>[texts, Width] the term counts of every text; terms outside the vocabulary are dropped.</summary>
    public FeatureMatrix Transform(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        int width = Width;
        var builder = new FeatureMatrixBuilder();
        var words = new List<string>();
        var grams = new List<string>();
        var counts = new Dictionary<int, int>();
        var touched = new List<int>();
        foreach (var text in texts)
        {
            Ngrams(text, Options, words, grams);
            counts.Clear();
            foreach (var gram in grams)
            {
                int column = columns is not null ? (columns.TryGetValue(gram, out int c) ? c : -1) : HashColumn(gram, width);
                if (column < 0) continue;
                counts[column] = counts.GetValueOrDefault(column) + 1;
            }
            touched.Clear();
            touched.AddRange(counts.Keys);
            touched.Sort();
            foreach (var column in touched) builder.Add(column, counts[column]);
            builder.EndRow();
        }
        return builder.Build(width, terms);
    }

    /// <summary>The words of <paramref name="text"/>, lower-cased, in order (the tokeniser the class remarks describe).</summary>
    public static void Words(string text, List<string> destination)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(destination);
        destination.Clear();
        var lower = text.ToLowerInvariant();
        int start = -1;
        for (int i = 0; i <= lower.Length; i++)
        {
            bool word = i < lower.Length && IsWordChar(lower[i]);
            if (word && start < 0) start = i;
            else if (!word && start >= 0)
            {
                if (i - start >= 2) destination.Add(lower[start..i]);
                start = -1;
            }
        }
    }

    static bool IsWordChar(char c) => char.IsLetter(c) || char.IsNumber(c) || c == '_';

    /// <summary>The n-grams of <paramref name="text"/> the options ask for, into <paramref name="grams"/>; <paramref name="words"/> is scratch.</summary>
    static void Ngrams(string text, TextFeatureOptions options, List<string> words, List<string> grams)
    {
        Words(text, words);
        grams.Clear();
        var join = new StringBuilder();
        for (int size = options.NgramMin; size <= options.NgramMax; size++)
        {
            for (int i = 0; i + size <= words.Count; i++)
            {
                if (size == 1)
                {
                    grams.Add(words[i]);
                    continue;
                }
                join.Clear().Append(words[i]);
                for (int k = 1; k < size; k++) join.Append(' ').Append(words[i + k]);
                grams.Add(join.ToString());
            }
        }
    }

    /// <summary>The column of <paramref name="term"/> among <paramref name="width"/> hashed columns, as scikit-learn's <c>HashingVectorizer</c> computes it.</summary>
    public static int HashColumn(string term, int width)
    {
        int h = MurmurHash3(Encoding.UTF8.GetBytes(term), 0);
        // abs(int.MinValue) overflows; scikit-learn defines that case as (2^31 - 1 - (width - 1)) % width.
        return h == int.MinValue ? (int)((2147483647L - (width - 1)) % width) : Math.Abs(h) % width;
    }

    /// <summary>MurmurHash3 x86 32-bit of <paramref name="data"/> (Austin Appleby's reference), as a signed integer.</summary>
    public static int MurmurHash3(ReadOnlySpan<byte> data, uint seed)
    {
        const uint c1 = 0xcc9e2d51, c2 = 0x1b873593;
        uint h = seed;
        int blocks = data.Length / 4;
        for (int i = 0; i < blocks; i++)
        {
            uint k = BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(i * 4, 4));
            k *= c1;
            k = uint.RotateLeft(k, 15);
            k *= c2;
            h ^= k;
            h = uint.RotateLeft(h, 13);
            h = h * 5 + 0xe6546b64;
        }
        var tail = data[(blocks * 4)..];
        uint t = 0;
        switch (tail.Length)
        {
            case 3: t ^= (uint)tail[2] << 16; goto case 2;
            case 2: t ^= (uint)tail[1] << 8; goto case 1;
            case 1:
                t ^= tail[0];
                t *= c1;
                t = uint.RotateLeft(t, 15);
                t *= c2;
                h ^= t;
                break;
        }
        h ^= (uint)data.Length;
        h ^= h >> 16;
        h *= 0x85ebca6b;
        h ^= h >> 13;
        h *= 0xc2b2ae35;
        h ^= h >> 16;
        return unchecked((int)h);
    }
}
