using System.Runtime.CompilerServices;
using LabelSphere.Data;
using LabelSphere.Tests.Data;
using LabelSphere.Training;
using LabelSphere.Training.Images;

namespace LabelSphere.Tests.Training.Images.Pretrained;

/// <summary>
/// Image sources whose inputs are a pretrained network's features, and the store that keeps those features. The small
/// images in odd/ were written by odd/make_odd_images.py.
/// </summary>
public sealed class PretrainedSourceTests
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    static string Odd([CallerFilePath] string here = "") => Path.Combine(Path.GetDirectoryName(here)!, "odd");

    static ImageSourceOptions Options(string store) => new() { Size = 224, Pretrained = PretrainedNetwork.ResNet18ImageNet, FeatureStore = store, Crop = ImageCrop.None, HorizontalFlip = false };

    /// <summary>A folder holding copies of the named odd/ images and a long CSV naming each once (label = its name).</summary>
    static (TempFolder Folder, string Csv) Copy(params string[] names)
    {
        var folder = new TempFolder();
        foreach (var name in names) File.Copy(Path.Combine(Odd(), name), Path.Combine(folder.Path, name));
        var csv = folder.Write("labels.csv", "image,label\n" + string.Concat(names.Select(n => $"{n},{Path.GetFileNameWithoutExtension(n)}\n")));
        return (folder, csv);
    }

    static float[] All(ImageSource source) =>
        [.. source.Batches([.. Enumerable.Range(0, source.Count)], 64, augment: false, seed: 0, Ct).SelectMany(b => b.Inputs)];

    static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.Length; i++) { dot += a[i] * b[i]; aa += a[i] * a[i]; bb += b[i] * b[i]; }
        return dot / Math.Sqrt(aa * bb);
    }

    [Fact]
    public void Inputs_are_the_networks_512_features_with_unit_length()
    {
        // Given two images and a source with the pretrained network
        var (folder, csv) = Copy("rgb.jpg", "white.png");
        using var _ = folder;
        using var store = new TempFolder();
        var source = ImageSource.FromLongCsv(csv, folder.Path, Options(store.Path));

        // When its batches are read
        var batch = Assert.Single(source.Batches([1, 0], 8, augment: true, seed: 3, Ct));

        // Then each instance is 512 finite values of L2 norm 1, in the order asked for, whatever the augmentation
        Assert.Equal([512L], source.InputShape);
        Assert.Equal([2L, 512L], batch.Shape);
        Assert.Equal([1, 0], batch.Indices);
        for (int i = 0; i < 2; i++)
        {
            var row = batch.Inputs.AsSpan(i * 512, 512);
            foreach (var v in row) Assert.True(float.IsFinite(v));
            Assert.Equal(1.0, Math.Sqrt(Cosine(row, row) * System.Numerics.Tensors.TensorPrimitives.Dot(row, row)), 4);
        }
        Assert.Equal(All(source).AsSpan(0, 512).ToArray(), batch.Inputs.AsSpan(512, 512).ToArray());
    }

    [Fact]
    public void A_second_run_reads_every_image_back_and_runs_the_network_on_none()
    {
        // Given three images whose features a first source extracted into a store
        var (folder, csv) = Copy("rgb.jpg", "grey.jpg", "alpha.png");
        using var _ = folder;
        using var store = new TempFolder();
        var first = ImageSource.FromLongCsv(csv, folder.Path, Options(store.Path));
        var firstReport = first.ExtractFeatures(cancellationToken: Ct);

        // When a new source over the same images extracts them
        var second = ImageSource.FromLongCsv(csv, folder.Path, Options(store.Path));
        var secondReport = second.ExtractFeatures(cancellationToken: Ct);

        // Then the first ran the network on all three, the second on none, and both give the same inputs
        Assert.Equal(new FeatureStoreReport(3, 0, 3), firstReport);
        Assert.Equal(new FeatureStoreReport(3, 3, 0), secondReport);
        Assert.Equal(All(first), All(second));
    }

    [Fact]
    public void A_changed_image_is_extracted_again_and_the_others_are_read_back()
    {
        // Given two images extracted into a store
        var (folder, csv) = Copy("rgb.jpg", "grey.jpg");
        using var _ = folder;
        using var store = new TempFolder();
        var before = All(ImageSource.FromLongCsv(csv, folder.Path, Options(store.Path)));

        // When one image's content changes (same name, other picture)
        File.Copy(Path.Combine(Odd(), "cmyk.jpg"), Path.Combine(folder.Path, "grey.jpg"), overwrite: true);
        var source = ImageSource.FromLongCsv(csv, folder.Path, Options(store.Path));
        var report = source.ExtractFeatures(cancellationToken: Ct);
        var after = All(source);

        // Then only the changed image ran through the network, and only its features changed
        Assert.Equal(new FeatureStoreReport(2, 1, 1), report);
        Assert.Equal(before.AsSpan(0, 512).ToArray(), after.AsSpan(0, 512).ToArray());
        Assert.NotEqual(before.AsSpan(512, 512).ToArray(), after.AsSpan(512, 512).ToArray());
    }

    [Fact]
    public void A_file_that_is_not_an_image_is_named_with_the_line_that_names_it()
    {
        // Given a folder with an image and a text file named like a JPEG, listed on line 3 of the annotations
        var (folder, csv) = Copy("rgb.jpg");
        using var _ = folder;
        using var store = new TempFolder();
        folder.Write("notes.jpg", "not a picture\n");
        File.AppendAllText(csv, "notes.jpg,notes\n");
        var source = ImageSource.FromLongCsv(csv, folder.Path, Options(store.Path));

        // When its features are extracted
        var error = Assert.Throws<AnnotationFormatException>(() => source.ExtractFeatures(cancellationToken: Ct));

        // Then the error names the annotation file, its line and the image file, and nothing was stored for a broken image
        Assert.Contains($"{csv}:3", error.Message);
        Assert.Contains("notes.jpg", error.Message);
        Assert.Contains("cannot be decoded", error.Message);
        Assert.Empty(Directory.GetFiles(store.Path, "*.f32", SearchOption.AllDirectories));
    }

    [Fact]
    public void With_skip_invalid_a_broken_image_is_left_out_and_counted()
    {
        // Given an image and a truncated JPEG
        var (folder, csv) = Copy("rgb.jpg");
        using var _ = folder;
        using var store = new TempFolder();
        var bytes = File.ReadAllBytes(Path.Combine(Odd(), "cmyk.jpg"));
        File.WriteAllBytes(Path.Combine(folder.Path, "cut.jpg"), bytes[..(bytes.Length / 3)]);
        File.AppendAllText(csv, "cut.jpg,cut\n");
        var source = ImageSource.FromLongCsv(csv, folder.Path, Options(store.Path) with { SkipInvalid = true });

        // When its batches are read
        var batches = source.Batches([0, 1], 8, augment: false, seed: 0, Ct).ToList();

        // Then only the good image is in them, and the broken one is counted with its reason
        Assert.Equal([0], Assert.Single(batches).Indices);
        Assert.Equal(1, source.SkippedImages);
        Assert.Contains("cut.jpg", Assert.Single(source.ImageErrors).Problem);
    }

    [Fact]
    public void CMYK_and_grey_JPEGs_decode_to_the_colours_their_RGB_twins_hold()
    {
        // Given one picture (61×37, odd sides) as an RGB JPEG and as a CMYK JPEG, and its grey levels as a one-channel
        // JPEG and as an RGB PNG
        using var featurizer = ImageFeaturizer.Load();
        float[] Render(string name)
        {
            var pixels = new float[3 * 224 * 224];
            featurizer.Render(Path.Combine(Odd(), name), pixels);
            return pixels;
        }

        // When each is decoded and scaled to the network's input
        var (rgb, cmyk, grey, greyRgb) = (Render("rgb.jpg"), Render("cmyk.jpg"), Render("grey.jpg"), Render("grey-rgb.png"));

        // Then the twins differ by no more than JPEG's loss on so small a picture (mean absolute difference below 10 of
        // 255; 6.5 seen for CMYK), where a CMYK file read without Adobe's inversion (about 200) or a grey one read as
        // a single colour channel would differ by far more
        Assert.True(MeanAbsolute(rgb, cmyk) < 10, $"RGB against CMYK: {MeanAbsolute(rgb, cmyk)}");
        Assert.True(MeanAbsolute(grey, greyRgb) < 10, $"grey JPEG against grey PNG: {MeanAbsolute(grey, greyRgb)}");
        Assert.True(MeanAbsolute(rgb, greyRgb) > 20, "a colour picture and its grey levels differ");
    }

    static double MeanAbsolute(float[] a, float[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += Math.Abs(a[i] - b[i]);
        return sum / a.Length;
    }

    [Fact]
    public void A_transparent_half_gives_the_features_of_a_white_half()
    {
        // Given a tall 37×61 PNG whose right half is transparent, and the same picture with that half white
        var (folder, csv) = Copy("alpha.png", "white.png", "rgb.jpg");
        using var _ = folder;
        var source = ImageSource.FromLongCsv(csv, folder.Path, Options(folder.Path) with { FeatureStore = null });

        // When their features are extracted
        var f = All(source);

        // Then they are the same (transparency is composited over the white background), and another picture's are not
        Assert.True(Cosine(f.AsSpan(0, 512), f.AsSpan(512, 512)) > 0.99999, $"cosine {Cosine(f.AsSpan(0, 512), f.AsSpan(512, 512))}");
        Assert.True(Cosine(f.AsSpan(0, 512), f.AsSpan(1024, 512)) < 0.99);
    }
}
