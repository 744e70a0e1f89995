using System.Buffers;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using LabelSphere.IO;
using LabelSphere.Text;

namespace LabelSphere.Data;

/// <summary>One file of a pack: its name inside the folder, its size and its SHA-256 (lower-case hex).</summary>
internal sealed record PackFile(string Name, long Bytes, string Sha256);

/// <summary>One shard of a pack: <paramref name="Rows"/> consecutive instances' raw features.</summary>
/// <param name="Rows">Instances in the shard: the pack's shard size for all but the last.</param>
/// <param name="Features">[Rows, width] float32, row-major, little-endian, no header.</param>
internal sealed record PackShard(int Rows, PackFile Features);

/// <summary>
/// <c>pack.json</c>: what a pack holds. Label sets are one CSR matrix over the whole pack (<paramref name="LabelOffsets"/>
/// int64 [Rows + 1], <paramref name="LabelIds"/> int32, each row sorted and distinct); features are sharded.
/// </summary>
/// <param name="Format">Always <see cref="Pack.FormatName"/>.</param>
/// <param name="FormatVersion">The layout's version (<see cref="Pack.FormatVersion"/>).</param>
/// <param name="Rows">Instances.</param>
/// <param name="Width">Features per instance.</param>
/// <param name="ShardRows">Instances per shard (the last may hold fewer).</param>
/// <param name="Source">The data the pack was made from.</param>
/// <param name="Labels">The label vocabulary, id order.</param>
/// <param name="LabelCounts">Instances carrying each label (class weights and priors are computed from these).</param>
/// <param name="EmptyRows">Instances without a label.</param>
/// <param name="DocumentFrequency">
/// Instances whose feature c is neither 0 nor NaN, for each c: with <paramref name="Rows"/>, everything a feature scaling is
/// fitted from (TF-IDF's idf), so that training fits the scaling it is asked for without reading the rows.
/// </param>
/// <param name="FeatureNamesHash">The feature names' hash (<c>FeatureTransform.HashNames</c>), or null when the data named none.</param>
/// <param name="Text">For a pack of text, how it was vectorised (the terms are in <see cref="Pack.TermsFile"/> unless hashed); else null.</param>
/// <param name="LabelOffsets">The label matrix's row starts.</param>
/// <param name="LabelIds">The label matrix's ids.</param>
/// <param name="Shards">The feature shards, in row order.</param>
internal sealed record PackManifest(
    string Format, int FormatVersion, int Rows, int Width, int ShardRows, string Source, IReadOnlyList<string> Labels, long[] LabelCounts,
    int EmptyRows, long[] DocumentFrequency, string? FeatureNamesHash, TextFeatureOptions? Text, PackFile LabelOffsets, PackFile LabelIds,
    IReadOnlyList<PackShard> Shards);

/// <summary>
/// Training data on disk for sets too large for memory: instances in shards of a fixed row count, memory-mapped one
/// shard at a time while training, and their label sets memory-mapped as one CSR matrix (see docs/scale.md, "Packs").
/// Opening checks the manifest's version, every file's size and the label files' SHA-256; a feature shard's SHA-256 is
/// checked the first time it is mapped.
/// </summary>
internal sealed class Pack
{
    /// <summary>The manifest's name inside a pack folder.</summary>
    public const string ManifestFile = "pack.json";

    /// <summary>The terms of a pack of text (one a line), when its vectoriser learnt a vocabulary.</summary>
    public const string TermsFile = "text-terms.txt";

    /// <summary>The manifest's <see cref="PackManifest.Format"/>.</summary>
    public const string FormatName = "labelsphere-pack";

    /// <summary>The layout this version reads and writes.</summary>
    public const int FormatVersion = 1;

    /// <summary>Instances per shard unless asked otherwise: 2^20, fewer for wide rows (<see cref="ShardRowsFor"/>).</summary>
    public const int DefaultShardRows = 1 << 20;

    /// <summary>Rows per shard for rows of <paramref name="width"/> features: 2^20, or fewer so that a shard stays within 1 GiB.</summary>
    public static int ShardRowsFor(int width) => Math.Max(1, Math.Min(DefaultShardRows, (1 << 30) / (Math.Max(1, width) * sizeof(float))));

    /// <summary>A pack folder, recognised by its manifest.</summary>
    public static readonly OutputKind Kind = new("a pack", folder => File.Exists(Path.Combine(folder, ManifestFile)),
        [ManifestFile, TermsFile, PackWriter.LabelOffsetsFile, PackWriter.LabelIdsFile, PackWriter.ShardFolder]);

    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new KebabEnumConverter() },
    };

    readonly bool[] verified;

    Pack(string folder, PackManifest manifest, LabelVocabulary vocabulary, LabelMatrix labels, TextVectorizer? text)
    {
        Folder = folder;
        Manifest = manifest;
        Vocabulary = vocabulary;
        Labels = labels;
        Text = text;
        verified = new bool[manifest.Shards.Count];
    }

    /// <summary>The pack's folder (full path).</summary>
    public string Folder { get; }

    /// <summary>What it holds.</summary>
    public PackManifest Manifest { get; }

    /// <summary>Instances.</summary>
    public int Rows => Manifest.Rows;

    /// <summary>Features per instance.</summary>
    public int Width => Manifest.Width;

    /// <summary>The labels the label sets refer to.</summary>
    public LabelVocabulary Vocabulary { get; }

    /// <summary>[Rows, labels] label sets, memory-mapped.</summary>
    public LabelMatrix Labels { get; }

    /// <summary>For a pack of text, the vectoriser that made its term counts; else null.</summary>
    public TextVectorizer? Text { get; }

    /// <summary>
    /// Writes <paramref name="data"/> as a pack into <paramref name="output"/> (opened by the caller with <see cref="Kind"/>,
    /// replaced in one step when complete): its features as read, or for text the term counts of a vectoriser fitted on
    /// all its rows as <paramref name="text"/> says, reporting rows written; <paramref name="shardRows"/> rows a shard
    /// (<see cref="ShardRowsFor"/> the width when null).
    /// </summary>
    public static PackManifest Write(AnnotationSet data, TextFeatureOptions? text, IO.OutputFolder output, int? shardRows = null,
                                     IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(output);
        var (transform, features) = Training.FeatureTransform.Fit(data, Training.FeatureScaling.None, text: text);
        PackManifest? manifest = null;
        output.Write(temp =>
        {
            using var writer = new PackWriter(temp, transform.Columns, data.Vocabulary.Count, shardRows ?? ShardRowsFor(transform.Columns));
            AddRows(writer, transform.Columns, features, data.Labels, progress, cancellationToken);
            manifest = writer.Complete(data.Vocabulary, data.Report.Path, transform.NamesHash, transform.Text);
            progress?.Report(data.Count);
        });
        return manifest!;
    }

    /// <summary>
    /// Whether <paramref name="stream"/> can be packed as it is read (<see cref="Write(AnnotationStream, IO.OutputFolder, int?, IProgress{long}?, CancellationToken, int)"/>):
    /// feature vectors of a width the file declares (Extreme Classification text, ARFF, CSV). Text needs its vectoriser
    /// fitted on every row first, and LIBSVM's width is known only at its end: those are read whole.
    /// </summary>
    public static bool Streams(AnnotationStream stream) => !stream.HasText && !stream.FeatureCountInferred && stream.FeatureCount > 0;

    /// <summary>
    /// Writes the rows of <paramref name="stream"/> as a pack as they are read, a chunk at a time, so that a file larger
    /// than memory can be packed: the same pack, file for file, as <see cref="Write(AnnotationSet, TextFeatureOptions?, IO.OutputFolder, int?, IProgress{long}?, CancellationToken)"/>
    /// of the same file read whole. Reports the bytes of the file read; <see cref="AnnotationStream.Report"/> is complete when it returns.
    /// </summary>
    /// <param name="chunkRows">Rows read at a time.</param>
    public static PackManifest Write(AnnotationStream stream, IO.OutputFolder output, int? shardRows = null, IProgress<long>? progress = null,
                                     CancellationToken cancellationToken = default, int chunkRows = 65536)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(output);
        if (!Streams(stream)) throw new ArgumentException($"{stream.Path}: text and LIBSVM data are packed from memory, not streamed", nameof(stream));
        int width = stream.FeatureCount;
        PackManifest? manifest = null;
        output.Write(temp =>
        {
            using var writer = new PackWriter(temp, width, stream.Vocabulary.Count, shardRows ?? ShardRowsFor(width));
            foreach (var chunk in stream.ReadChunks(chunkRows))
            {
                AddRows(writer, width, chunk.Features!, chunk.Labels, null, cancellationToken);
                progress?.Report(stream.BytesRead);
            }
            manifest = writer.Complete(stream.Vocabulary, stream.Path, Training.FeatureTransform.HashNames(stream.FeatureNames), null);
        });
        return manifest!;
    }

    /// <summary>Adds every row of <paramref name="features"/> (densified) with its label set to <paramref name="writer"/>.</summary>
    static void AddRows(PackWriter writer, int width, FeatureMatrix features, LabelMatrix labels, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var row = new float[width];
        var offsets = features.Offsets;
        var indices = features.Indices;
        var values = features.Values;
        for (int r = 0; r < features.Rows; r++)
        {
            if ((r & 0xFFF) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                progress?.Report(r);
            }
            Array.Clear(row);
            for (long k = offsets[r]; k < offsets[r + 1]; k++) row[indices[(int)k]] = values[(int)k];
            writer.Add(row, labels.Row(r));
        }
    }

    /// <summary>Whether <paramref name="path"/> is a folder holding a pack manifest.</summary>
    public static bool IsPack(string path) => Directory.Exists(path) && File.Exists(Path.Combine(path, ManifestFile));

    /// <summary>
    /// Opens the pack in <paramref name="folder"/>: the manifest read and checked (format, version, sizes), the label files'
    /// SHA-256 verified and the label matrix mapped. A defect is one line naming the file.
    /// </summary>
    public static Pack Open(string folder)
    {
        folder = Path.GetFullPath(folder);
        var manifestPath = Path.Combine(folder, ManifestFile);
        if (!File.Exists(manifestPath)) throw new FileNotFoundException($"{folder}: holds no {ManifestFile}; it is not a pack (make one with LabelSphere's pack step)", manifestPath);
        PackManifest manifest;
        try
        {
            var bytes = File.ReadAllBytes(manifestPath);
            using (var document = JsonDocument.Parse(bytes))
            {
                var root = document.RootElement;
                if (!root.TryGetProperty("format", out var format) || format.ValueKind != JsonValueKind.String || format.GetString() != FormatName)
                    throw new InvalidDataException($"{manifestPath}: not a LabelSphere pack manifest (its format is not \"{FormatName}\")");
                if (!root.TryGetProperty("formatVersion", out var version) || !version.TryGetInt32(out var v) || v != FormatVersion)
                    throw new InvalidDataException($"{manifestPath}: a pack of format version {(root.TryGetProperty("formatVersion", out var given) ? given.ToString() : "(none)")}; this LabelSphere reads version {FormatVersion}: pack the data again with it");
            }
            manifest = JsonSerializer.Deserialize<PackManifest>(bytes, Json) ?? throw new InvalidDataException($"{manifestPath}: empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{manifestPath}: line {e.LineNumber + 1}: {e.Message}");
        }
        Check(manifest, manifestPath);
        foreach (var file in (PackFile[])[manifest.LabelOffsets, manifest.LabelIds, .. manifest.Shards.Select(s => s.Features)])
        {
            var path = Path.Combine(folder, file.Name);
            long length = File.Exists(path) ? new FileInfo(path).Length : -1;
            if (length != file.Bytes)
                throw new InvalidDataException($"{path}: {(length < 0 ? "missing" : $"{length:N0} bytes")}, the manifest records {file.Bytes:N0}{Where(manifest, file)}: the pack is truncated or damaged; pack the data again");
        }
        foreach (var file in new[] { manifest.LabelOffsets, manifest.LabelIds })
        {
            var path = Path.Combine(folder, file.Name);
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
            if (Convert.ToHexStringLower(SHA256.HashData(stream)) != file.Sha256) throw Corrupt(path, manifest, file);
        }
        var offsets = MappedMemory<long>.Open(Path.Combine(folder, manifest.LabelOffsets.Name), manifest.LabelOffsets.Bytes);
        var ids = MappedMemory<int>.Open(Path.Combine(folder, manifest.LabelIds.Name), manifest.LabelIds.Bytes);
        if (offsets.Length == 0) throw new InvalidDataException($"{Path.Combine(folder, manifest.LabelOffsets.Name)}: empty: the pack is damaged; pack the data again");
        var span = offsets.Span;
        if (span[0] != 0 || span[^1] != ids.Length)
            throw new InvalidDataException($"{Path.Combine(folder, manifest.LabelOffsets.Name)}: does not span the {ids.Length:N0} label ids of {manifest.LabelIds.Name}: the pack is damaged; pack the data again");
        var labels = new LabelMatrix(offsets.Memory, ids.Memory, manifest.Labels.Count, manifest.LabelCounts, manifest.EmptyRows,
            $"{manifest.LabelOffsets.Sha256}/{manifest.LabelIds.Sha256}/{manifest.Labels.Count}");
        TextVectorizer? text = null;
        if (manifest.Text is { } options)
        {
            string[]? terms = null;
            if (options.HashWidth is null)
            {
                var termsPath = Path.Combine(folder, TermsFile);
                if (!File.Exists(termsPath)) throw new InvalidDataException($"{termsPath}: missing; the pack holds text vectorised by a vocabulary, which it keeps there");
                terms = File.ReadAllLines(termsPath);
            }
            text = TextVectorizer.FromParts(options, terms);
            if (text.Width != manifest.Width)
                throw new InvalidDataException($"{Path.Combine(folder, TermsFile)}: {text.Width:N0} terms for the {manifest.Width:N0} features the manifest records");
        }
        return new Pack(folder, manifest, new LabelVocabulary(manifest.Labels), labels, text);
    }

    static void Check(PackManifest m, string path)
    {
        string? problem =
            m.Rows < 0 ? $"rows is {m.Rows}" :
            m.Width <= 0 ? $"width is {m.Width}" :
            m.ShardRows <= 0 ? $"shardRows is {m.ShardRows}" :
            m.Labels is null || m.LabelCounts is null || m.LabelCounts.Length != m.Labels.Count ? "labelCounts does not hold one count per label" :
            m.DocumentFrequency is null || m.DocumentFrequency.Length != m.Width ? "documentFrequency does not hold one count per feature" :
            m.Shards is null || m.LabelOffsets is null || m.LabelIds is null ? "the file list is incomplete" :
            m.Shards.Sum(s => (long)s.Rows) != m.Rows ? $"the shards hold {m.Shards.Sum(s => (long)s.Rows):N0} rows, not {m.Rows:N0}" :
            m.Shards.Take(m.Shards.Count - 1).Any(s => s.Rows != m.ShardRows) ? $"a shard before the last holds other than {m.ShardRows:N0} rows" :
            m.Shards.Any(s => s.Features.Bytes != (long)s.Rows * m.Width * sizeof(float)) ? "a shard's size is not its rows times the width in float32" :
            m.LabelOffsets.Bytes != ((long)m.Rows + 1) * sizeof(long) ? "labelOffsets is not rows + 1 int64" :
            m.LabelIds.Bytes % sizeof(int) != 0 ? "labelIds is not a whole number of int32" :
            null;
        if (problem is not null) throw new InvalidDataException($"{path}: {problem}: the manifest is damaged; pack the data again");
    }

    static string Where(PackManifest manifest, PackFile file)
    {
        for (int s = 0; s < manifest.Shards.Count; s++)
            if (ReferenceEquals(manifest.Shards[s].Features, file))
            {
                long first = (long)s * manifest.ShardRows;
                return $" (shard {s}, rows {first:N0}-{first + manifest.Shards[s].Rows - 1:N0})";
            }
        return "";
    }

    static InvalidDataException Corrupt(string path, PackManifest manifest, PackFile file) =>
        new($"{path}: its SHA-256 is not the one the manifest records{Where(manifest, file)}: the pack is damaged; pack the data again");

    /// <summary>Shard of global row <paramref name="row"/>.</summary>
    public int ShardOf(int row) => row / Manifest.ShardRows;

    /// <summary>
    /// The row order of an epoch after its first <paramref name="skip"/> rows, drawn from <paramref name="mixed"/> =
    /// <c>Trainer.Mix(seed, epoch)</c>: the shards in an order drawn from it (<see cref="ShardOrder"/>), and each shard's
    /// rows shuffled by a generator of (it, shard). Shard 0's generator is <c>Trainer.Permutation</c>'s, so a pack of one
    /// shard is visited in exactly the in-memory order.
    /// Memory: one shard's row list.
    /// </summary>
    public IEnumerable<int> EpochOrder(int mixed, int skip)
    {
        var shards = Manifest.Shards;
        int[]? rows = null;
        foreach (var s in ShardOrder(mixed))
        {
            int count = shards[s].Rows;
            if (skip >= count)
            {
                skip -= count;
                continue;
            }
            rows ??= new int[Manifest.ShardRows];
            var local = rows.AsSpan(0, count);
            for (int i = 0; i < count; i++) local[i] = i;
            new Random(s == 0 ? mixed : Training.Trainer.Mix(mixed, s)).Shuffle(local);
            int first = s * Manifest.ShardRows;
            for (int i = skip; i < count; i++) yield return first + rows[i];
            skip = 0;
        }
    }

    /// <summary>The shards in the order an epoch drawn from <paramref name="mixed"/> visits them (<see cref="EpochOrder"/>).</summary>
    int[] ShardOrder(int mixed)
    {
        var order = new int[Manifest.Shards.Count];
        for (int s = 0; s < order.Length; s++) order[s] = s;
        new Random(Training.Trainer.Mix(mixed, -1)).Shuffle(order);
        return order;
    }

    /// <summary>
    /// The shard whose rows <see cref="EpochOrder"/>(<paramref name="mixed"/>, <paramref name="skip"/>) begins with, or -1
    /// when the skipped rows are the whole epoch.
    /// </summary>
    public int FirstShard(int mixed, int skip)
    {
        foreach (var s in ShardOrder(mixed))
        {
            int count = Manifest.Shards[s].Rows;
            if (skip < count) return s;
            skip -= count;
        }
        return -1;
    }

    /// <summary>
    /// Checks shard <paramref name="shard"/>'s SHA-256 against the manifest unless this process has already (which reads
    /// the whole shard and so leaves it in the page cache), so that the rows read from it next are neither a surprise
    /// nor a wait on the disk.
    /// </summary>
    public void Check(int shard)
    {
        if (verified[shard]) return;
        Map(shard).Dispose();
    }

    /// <summary>Maps shard <paramref name="shard"/>'s features, checked the first time this process maps it.</summary>
    MappedMemory<float> Map(int shard)
    {
        var file = Manifest.Shards[shard].Features;
        var path = Path.Combine(Folder, file.Name);
        // The kernel reads the shard ahead as a whole: its rows are then read in a shuffled order from memory, not page
        // by page from the disk (a shard checked earlier in the run may have left the page cache since).
        var mapped = MappedMemory<float>.Open(path, file.Bytes, readAhead: true);
        if (!verified[shard])
        {
            if (Convert.ToHexStringLower(SHA256.HashData(MemoryMarshal.AsBytes(mapped.Span))) != file.Sha256)
            {
                mapped.Dispose();
                throw Corrupt(path, Manifest, file);
            }
            verified[shard] = true;
        }
        return mapped;
    }

    /// <summary>A reader of rows that maps one shard at a time; used by one thread.</summary>
    public ShardReader OpenReader() => new(this);

    /// <summary>Maps the shards of a pack one at a time (the last one asked for stays mapped) and hands out rows.</summary>
    internal sealed class ShardReader(Pack pack) : IDisposable
    {
        MappedMemory<float>? mapped;
        int current = -1;

        /// <summary>[Width] raw features of global row <paramref name="row"/>; valid until the next call.</summary>
        public ReadOnlySpan<float> Row(int row)
        {
            int shard = pack.ShardOf(row);
            if (shard != current)
            {
                mapped?.Dispose();
                mapped = null;
                current = -1;
                mapped = pack.Map(shard);
                current = shard;
            }
            int width = pack.Width;
            return mapped!.Span.Slice((row - shard * pack.Manifest.ShardRows) * width, width);
        }

        public void Dispose()
        {
            mapped?.Dispose();
            mapped = null;
        }
    }
}

/// <summary>A read-only memory-mapped file seen as <see cref="Memory{T}"/> of <typeparamref name="T"/>.</summary>
internal sealed unsafe class MappedMemory<T> : MemoryManager<T> where T : unmanaged
{
    readonly MemoryMappedFile? file;
    readonly MemoryMappedViewAccessor? view;
    readonly byte* pointer;
    bool disposed;

    MappedMemory(MemoryMappedFile? file, MemoryMappedViewAccessor? view, byte* pointer, int length)
    {
        this.file = file;
        this.view = view;
        this.pointer = pointer;
        Length = length;
    }

    /// <summary>Elements.</summary>
    public int Length { get; }

    /// <summary>The mapped elements.</summary>
    public Span<T> Span => GetSpan();

    /// <summary>
    /// Maps the first <paramref name="bytes"/> of <paramref name="path"/> read-only; with <paramref name="readAhead"/> the
    /// kernel is asked to start reading all of them into the page cache (<c>madvise(MADV_WILLNEED)</c>, on Linux).
    /// </summary>
    public static MappedMemory<T> Open(string path, long bytes, bool readAhead = false)
    {
        int length = checked((int)(bytes / sizeof(T)));
        if (length == 0) return new MappedMemory<T>(null, null, null, 0);
        var file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        try
        {
            var view = file.CreateViewAccessor(0, bytes, MemoryMappedFileAccess.Read);
            byte* p = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            if (readAhead) PageCache.ReadAhead(p, bytes + view.PointerOffset);
            return new MappedMemory<T>(file, view, p + view.PointerOffset, length);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public override Span<T> GetSpan()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        return new Span<T>(pointer, Length);
    }

    /// <inheritdoc />
    public override MemoryHandle Pin(int elementIndex = 0) => new(pointer + (long)elementIndex * sizeof(T));

    /// <inheritdoc />
    public override void Unpin()
    {
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposed) return;
        disposed = true;
        if (view is not null)
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
            view.Dispose();
        }
        file?.Dispose();
    }

    /// <summary>Unmaps the file.</summary>
    public void Dispose() => ((IDisposable)this).Dispose();
}

/// <summary>Hints to the kernel's page cache.</summary>
internal static unsafe class PageCache
{
    const int MadviseWillNeed = 3;

    /// <summary>
    /// Asks the kernel to start reading the <paramref name="length"/> mapped bytes at <paramref name="start"/> (page-aligned)
    /// into memory (<c>madvise(MADV_WILLNEED)</c>, on Linux). A hint: where it is refused, or there is no madvise, the pages
    /// are read when first touched, as without it.
    /// </summary>
    public static void ReadAhead(byte* start, long length)
    {
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            _ = Madvise(start, (nuint)length, MadviseWillNeed);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
        }
    }

    [DllImport("libc", EntryPoint = "madvise")]
    static extern int Madvise(byte* address, nuint length, int advice);
}
