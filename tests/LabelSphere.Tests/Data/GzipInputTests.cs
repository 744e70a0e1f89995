using System.IO.Compression;
using System.Text;
using LabelSphere.Data;

namespace LabelSphere.Tests.Data;

public sealed class GzipInputTests : IDisposable
{
    readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    /// <summary>A wide CSV of <paramref name="rows"/> rows with varied cells, so that it compresses to many blocks.</summary>
    static string WideCsv(int rows, int seed)
    {
        var random = new Random(seed);
        var text = new StringBuilder("image,a,b,c,d\n");
        for (int r = 0; r < rows; r++)
            text.Append($"img{seed}_{r:D6}.jpg,{random.Next(2)},{random.Next(2)},{random.Next(2)},{random.Next(2)}\n");
        return text.ToString();
    }

    static byte[] Gzip(string text)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true)) gzip.Write(Encoding.UTF8.GetBytes(text));
        return output.ToArray();
    }

    string WriteBytes(string name, byte[] bytes)
    {
        var path = Path.Combine(folder.Path, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.9)]
    public void A_gzip_file_cut_short_is_an_error_naming_the_file_even_when_skipping_invalid_rows(double kept)
    {
        // Given a gzipped wide CSV cut after a share of its bytes
        var whole = Gzip(WideCsv(20000, 1));
        var path = WriteBytes("cut.csv.gz", whole[..(int)(whole.Length * kept)]);

        // When it is read, skipping invalid rows (which would hide a line cut in half)
        var e = Assert.Throws<InvalidDataException>(() => AnnotationReader.Read(path, new ReaderOptions { SkipInvalid = true }));

        // Then the error names the file and says it stops early
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Contains("cut short", e.Message);
    }

    [Fact]
    public void A_gzip_file_missing_only_its_trailer_is_an_error()
    {
        // Given a gzipped wide CSV whose last four bytes (the length in its trailer) are cut off
        var whole = Gzip(WideCsv(2000, 2));
        var path = WriteBytes("trailer.csv.gz", whole[..^4]);

        // When it is read, then the file is named
        var e = Assert.Throws<InvalidDataException>(() => AnnotationReader.Read(path));
        Assert.StartsWith(path + ": ", e.Message);
    }

    [Fact]
    public void A_multi_member_gzip_file_reads_every_member()
    {
        // Given a gzip file of two members, the header row and half the rows in the first and the rest in the second
        var text = WideCsv(3000, 3);
        int split = text.IndexOf('\n', text.Length / 2) + 1;
        var path = WriteBytes("two.csv.gz", [.. Gzip(text[..split]), .. Gzip(text[split..])]);

        // When it is read, then every row is there
        var set = AnnotationReader.Read(path);
        Assert.Equal(3000, set.Count);
        Assert.Equal("img3_002999.jpg", set.InstanceIds![^1]);
    }

    [Fact]
    public void A_multi_member_gzip_file_cut_in_its_last_member_is_an_error()
    {
        // Given two members, the second cut in the middle
        var text = WideCsv(6000, 4);
        int split = text.IndexOf('\n', text.Length / 2) + 1;
        var second = Gzip(text[split..]);
        var path = WriteBytes("twocut.csv.gz", [.. Gzip(text[..split]), .. second[..(second.Length / 2)]]);

        // When it is read, then the file is named
        var e = Assert.Throws<InvalidDataException>(() => AnnotationReader.Read(path, new ReaderOptions { SkipInvalid = true }));
        Assert.StartsWith(path + ": ", e.Message);
    }

    [Fact]
    public void A_file_named_gz_that_is_not_gzip_is_one_line_naming_the_file()
    {
        // Given plain CSV text under a .gz name
        var path = folder.Write("plain.csv.gz", "image,a\nx.jpg,1\n");

        // When it is read, then the error names the file and says it is not gzip
        var e = Assert.Throws<InvalidDataException>(() => AnnotationReader.Read(path));
        Assert.StartsWith(path + ": not gzip data", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void A_corrupt_gzip_block_is_an_error_naming_the_file()
    {
        // Given a gzip file with a flipped byte in its stored CRC-32
        var bytes = Gzip(WideCsv(500, 5));
        bytes[^6] ^= 0x55;
        var path = WriteBytes("crc.csv.gz", bytes);

        // When it is read, then the file is named
        var e = Assert.Throws<InvalidDataException>(() => AnnotationReader.Read(path));
        Assert.StartsWith(path + ": ", e.Message);
    }

    [Fact]
    public void Nuswide_train_cut_at_half_is_an_error_not_a_shorter_data_set()
    {
        // Given the NUS-WIDE training ground truth cut after half its bytes
        var source = DatasetPaths.Get("nuswide", "nuswide-train.csv.gz");
        if (source is null) Assert.Skip(DatasetPaths.Missing);
        var bytes = File.ReadAllBytes(source);
        var path = WriteBytes("nuswide-train.csv.gz", bytes[..(bytes.Length / 2)]);

        // When it is read skipping invalid rows (as the run did, which read 81,577 of 161,788 instances)
        var e = Assert.Throws<InvalidDataException>(() => AnnotationReader.Read(path, new ReaderOptions { SkipInvalid = true }));

        // Then it stops with the file named
        Assert.StartsWith(path + ": ", e.Message);
    }
}
