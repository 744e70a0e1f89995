using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using LabelSphere.Text;

namespace LabelSphere.Data;

/// <summary>
/// Writes a pack row by row into a folder the caller stages (<c>OutputFolder.Write</c>), so that memory stays one write
/// buffer whatever the number of rows: features go to the current shard, label sets to the CSR files, and the counts
/// the manifest records (labels, empty rows, document frequencies) and every file's SHA-256 are kept as rows arrive.
/// <see cref="Complete"/> writes the manifest last.
/// </summary>
internal sealed class PackWriter : IDisposable
{
    /// <summary>The label matrix's row starts, int64 [rows + 1].</summary>
    public const string LabelOffsetsFile = "labels-offsets.i64";

    /// <summary>The label matrix's ids, int32.</summary>
    public const string LabelIdsFile = "labels-ids.i32";

    /// <summary>The folder of the feature shards (<c>00000.f32</c>, ...).</summary>
    public const string ShardFolder = "shards";

    readonly string folder;
    readonly int width, labelCount, shardRows;
    readonly long[] labelCounts, documentFrequency;
    readonly List<PackShard> shards = [];
    readonly HashedFile offsets, ids;
    HashedFile? shard;
    int shardFilled, emptyRows, rows;
    long nonZeros;
    bool completed;

    /// <param name="folder">An empty folder to write into.</param>
    /// <param name="width">Features per row.</param>
    /// <param name="labelCount">Size of the label vocabulary (ids are below it).</param>
    /// <param name="shardRows">Rows per shard.</param>
    public PackWriter(string folder, int width, int labelCount, int shardRows = Pack.DefaultShardRows)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegative(labelCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(shardRows);
        if ((long)shardRows * width > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(shardRows), shardRows, $"a shard of {shardRows:N0} rows of {width:N0} features holds over {int.MaxValue:N0} values; use fewer rows per shard");
        this.folder = folder;
        this.width = width;
        this.labelCount = labelCount;
        this.shardRows = shardRows;
        labelCounts = new long[labelCount];
        documentFrequency = new long[width];
        Directory.CreateDirectory(Path.Combine(folder, ShardFolder));
        offsets = new HashedFile(folder, LabelOffsetsFile);
        ids = new HashedFile(folder, LabelIdsFile);
        offsets.Write(MemoryMarshal.AsBytes<long>([0]));
    }

    /// <summary>Rows written so far.</summary>
    public int Rows => rows;

    /// <summary>
    /// Appends a row: <paramref name="features"/> ([width] raw values, NaN for missing) and its label ids
    /// <paramref name="labels"/> (sorted and distinct, each below the vocabulary's size).
    /// </summary>
    public void Add(ReadOnlySpan<float> features, ReadOnlySpan<int> labels)
    {
        ObjectDisposedException.ThrowIf(completed, this);
        if (features.Length != width) throw new ArgumentException($"row {rows:N0} has {features.Length} features, the pack {width}", nameof(features));
        if (rows == int.MaxValue) throw new InvalidOperationException($"a pack holds at most {int.MaxValue:N0} rows");
        for (int k = 0; k < labels.Length; k++)
        {
            if ((uint)labels[k] >= (uint)labelCount) throw new ArgumentOutOfRangeException(nameof(labels), labels[k], $"row {rows:N0}: label id {labels[k]} is outside 0..{labelCount - 1}");
            if (k > 0 && labels[k] <= labels[k - 1]) throw new ArgumentException($"row {rows:N0}: label ids are not sorted and distinct", nameof(labels));
            labelCounts[labels[k]]++;
        }
        if (labels.IsEmpty) emptyRows++;
        nonZeros += labels.Length;
        ids.Write(MemoryMarshal.AsBytes(labels));
        offsets.Write(MemoryMarshal.AsBytes<long>([nonZeros]));
        for (int c = 0; c < width; c++) if (features[c] != 0 && !float.IsNaN(features[c])) documentFrequency[c]++;
        if (shard is null)
        {
            shard = new HashedFile(folder, Path.Combine(ShardFolder, $"{shards.Count:D5}.f32"));
            shardFilled = 0;
        }
        shard.Write(MemoryMarshal.AsBytes(features));
        rows++;
        if (++shardFilled == shardRows) CloseShard();
    }

    void CloseShard()
    {
        if (shard is null) return;
        shards.Add(new PackShard(shardFilled, shard.Close()));
        shard = null;
    }

    /// <summary>
    /// Closes the files and writes the manifest: the vocabulary <paramref name="vocabulary"/>, where the rows came from,
    /// the feature names' hash and, for text, the vectoriser that made the term counts (its terms beside the manifest).
    /// </summary>
    public PackManifest Complete(LabelVocabulary vocabulary, string source, string? featureNamesHash, TextVectorizer? text)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        ObjectDisposedException.ThrowIf(completed, this);
        if (vocabulary.Count != labelCount) throw new ArgumentException($"{vocabulary.Count} label names for {labelCount} labels", nameof(vocabulary));
        CloseShard();
        completed = true;
        var manifest = new PackManifest(Pack.FormatName, Pack.FormatVersion, rows, width, shardRows, source, [.. vocabulary.Names], labelCounts,
            emptyRows, documentFrequency, featureNamesHash, text?.Options, offsets.Close(), ids.Close(), shards);
        if (text?.Terms is { } terms) File.WriteAllLines(Path.Combine(folder, Pack.TermsFile), terms, new System.Text.UTF8Encoding(false));
        File.WriteAllBytes(Path.Combine(folder, Pack.ManifestFile), JsonSerializer.SerializeToUtf8Bytes(manifest, Pack.Json));
        return manifest;
    }

    /// <summary>Closes any open file without a manifest (the staged folder is then discarded).</summary>
    public void Dispose()
    {
        offsets.Dispose();
        ids.Dispose();
        shard?.Dispose();
    }

    /// <summary>A file written through a buffer and hashed on the way.</summary>
    sealed class HashedFile : IDisposable
    {
        readonly string name;
        readonly FileStream stream;
        readonly IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        readonly byte[] buffer = new byte[1 << 20];
        int filled;
        long bytes;

        public HashedFile(string folder, string name)
        {
            this.name = name.Replace(Path.DirectorySeparatorChar, '/');
            stream = new FileStream(Path.Combine(folder, name), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.SequentialScan);
        }

        public void Write(ReadOnlySpan<byte> data)
        {
            while (!data.IsEmpty)
            {
                if (filled == buffer.Length) Flush();
                int n = Math.Min(data.Length, buffer.Length - filled);
                data[..n].CopyTo(buffer.AsSpan(filled));
                filled += n;
                data = data[n..];
            }
        }

        void Flush()
        {
            hash.AppendData(buffer, 0, filled);
            stream.Write(buffer, 0, filled);
            bytes += filled;
            filled = 0;
        }

        public PackFile Close()
        {
            Flush();
            stream.Flush(flushToDisk: true);
            stream.Dispose();
            return new PackFile(name, bytes, Convert.ToHexStringLower(hash.GetHashAndReset()));
        }

        public void Dispose()
        {
            stream.Dispose();
            hash.Dispose();
        }
    }
}
