using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using LabelSphere.Data;
using LabelSphere.Tests.Data;
using LabelSphere.Training;
using LabelSphere.Training.Images;
using SkiaSharp;

namespace LabelSphere.Tests.Training.Images;

public sealed class ImageSourceTests
{
    static readonly ImageSourceOptions Emoji64 = new() { Size = 64 };

    static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Emoji_folder_and_long_csv_give_1896_images_and_the_keyword_vocabulary()
    {
        // Given the emoji images and their keywords, one (image, keyword) row each
        var csv = DatasetPaths.Get("emoji", "labels.csv");
        if (csv is null) Assert.Skip(DatasetPaths.Missing);
        var folder = Path.Combine(Path.GetDirectoryName(csv)!, "images");

        // When a source is made over them at 64 pixels
        var source = ImageSource.FromLongCsv(csv, folder, Emoji64);

        // Then it has as many instances and labels as the file has distinct images and keywords (no quoted fields in it)
        var rows = File.ReadLines(csv).Skip(1).Where(l => l.Length > 0).Select(l => l.Split(',')).ToArray();
        Assert.Equal(rows.Select(r => r[0]).Distinct().Count(), source.Count);
        Assert.Equal(1896, source.Count);
        Assert.Equal(rows.Select(r => r[1]).Distinct().Count(), source.Vocabulary.Count);
        Assert.Equal(Directory.GetFiles(folder, "*.png").Length, source.Count);
        Assert.Equal([3L, 64L, 64L], source.InputShape);
        Assert.Equal(rows.Length, source.Labels.NonZeros);
        Assert.True(File.Exists(source.ImagePath(0)));
    }

    [Fact]
    public void Batches_are_B_by_3_by_S_by_S_and_follow_the_order()
    {
        // Given the emoji source and an order of 70 instances, backwards
        var source = EmojiSource(Emoji64);
        if (source is null) Assert.Skip(DatasetPaths.Missing);
        int[] order = [.. Enumerable.Range(0, 70).Reverse()];

        // When it is cut into batches of 32
        var batches = source.Batches(order, 32, augment: false, seed: 0, Ct).ToList();

        // Then there are batches of 32, 32 and 6 images of [3, 64, 64], in order, with finite values
        Assert.Equal([32, 32, 6], batches.Select(b => b.Indices.Length));
        foreach (var b in batches)
        {
            Assert.Equal([b.Indices.Length, 3L, 64L, 64L], b.Shape);
            Assert.Equal(b.Indices.Length * 3 * 64 * 64, b.Inputs.Length);
            Assert.All(b.Inputs, v => Assert.True(float.IsFinite(v)));
        }
        Assert.Equal(order, batches.SelectMany(b => b.Indices));
    }

    [Fact]
    public void Emoji_values_are_composited_over_white_and_normalised_with_imagenet_mean_and_std()
    {
        // Given Pillow's values for one emoji (image_golden.py beside this file)
        var source = EmojiSource(Emoji64);
        if (source is null) Assert.Skip(DatasetPaths.Missing);
        var golden = Golden.Read();
        int instance = IndexOf(source, "0023-fe0f-20e3.png");

        // When its plain (not augmented) input is made
        var input = source.Batches([instance], 1, augment: false, seed: 0, Ct).Single().Inputs;

        // Then the channel means and the transparent, half-transparent and opaque pixels agree within rounding
        // (premultiplied 8-bit values differ from straight-alpha compositing by under one level in 255)
        var means = ChannelMeans(input, 64);
        for (int c = 0; c < 3; c++) Assert.Equal(golden["emoji_mean"][c], means[c], 0.005);
        foreach (var pixel in golden.Pixels)
        {
            for (int c = 0; c < 3; c++)
                Assert.Equal(pixel.Values[c], input[c * 64 * 64 + pixel.Y * 64 + pixel.X], 0.02);
        }
        // A transparent pixel is exactly white: ((1 − mean) / std) per channel
        var white = golden.Pixels[0];
        Assert.Equal((1 - 0.485) / 0.229, white.Values[0], 1e-5);
    }

    [Fact]
    public void Coco_tiny_train_gives_80_images_and_a_centre_crop_whose_colours_match_pillow()
    {
        // Given the tiny COCO training split
        var json = DatasetPaths.Get("coco", "tiny", "annotations", "instances_train2017.json");
        if (json is null) Assert.Skip(DatasetPaths.Missing);
        var folder = DatasetPaths.Get("coco", "tiny", "train2017")!;
        using var document = JsonDocument.Parse(File.ReadAllBytes(json));

        // When a source is made at Inception's 299 pixels
        var source = ImageSource.FromCocoInstances(json, folder, new ImageSourceOptions { Size = 299 });

        // Then it has the file's 80 images and categories, and the 640×449 photograph's centre crop has Pillow's
        // channel means (image_golden.py; the resampling filters differ, so only to 0.03)
        Assert.Equal(document.RootElement.GetProperty("images").GetArrayLength(), source.Count);
        Assert.Equal(80, source.Count);
        Assert.Equal(document.RootElement.GetProperty("categories").GetArrayLength(), source.Vocabulary.Count);
        int instance = IndexOf(source, "000000008193.jpg");
        var batch = source.Batches([instance, 0], 2, augment: false, seed: 0, Ct).Single();
        Assert.Equal([2L, 3L, 299L, 299L], batch.Shape);
        var means = ChannelMeans(batch.Inputs.AsSpan(0, 3 * 299 * 299).ToArray(), 299);
        var golden = Golden.Read()["coco_mean"];
        for (int c = 0; c < 3; c++) Assert.Equal(golden[c], means[c], 0.03);
    }

    [Fact]
    public void The_same_seed_gives_the_same_augmented_batches_whatever_the_threads_and_the_cache()
    {
        // Given the emoji source on one thread without a cache, and on two threads with one
        var one = EmojiSource(Emoji64 with { DecodeThreads = 1, CacheBytes = 0 });
        if (one is null) Assert.Skip(DatasetPaths.Missing);
        var two = EmojiSource(Emoji64 with { DecodeThreads = 2 })!;
        int[] order = [.. Enumerable.Range(0, 96).Select(i => (i * 37) % one.Count)];

        // When augmented batches are drawn with seed 7 from each (twice from the cached one: decoded, then cached)
        var a = Flatten(one.Batches(order, 16, augment: true, seed: 7, Ct));
        var b = Flatten(two.Batches(order, 16, augment: true, seed: 7, Ct));
        var c = Flatten(two.Batches(order, 16, augment: true, seed: 7, Ct));

        // Then all three are identical, and the cache holds the 96 images at 64×64×4 bytes
        Assert.Equal(a, b);
        Assert.Equal(a, c);
        Assert.Equal(0, one.CachedBytes);
        Assert.Equal(96L * 64 * 64 * 4, two.CachedBytes);
    }

    [Fact]
    public void Different_seeds_give_different_augmented_batches_and_plain_batches_ignore_the_seed()
    {
        var source = EmojiSource(Emoji64);
        if (source is null) Assert.Skip(DatasetPaths.Missing);
        int[] order = [.. Enumerable.Range(0, 32)];

        var seed1 = Flatten(source.Batches(order, 32, augment: true, seed: 1, Ct));
        var seed2 = Flatten(source.Batches(order, 32, augment: true, seed: 2, Ct));
        var plain1 = Flatten(source.Batches(order, 32, augment: false, seed: 1, Ct));
        var plain2 = Flatten(source.Batches(order, 32, augment: false, seed: 2, Ct));

        Assert.NotEqual(seed1, seed2);
        Assert.NotEqual(seed1, plain1);
        Assert.Equal(plain1, plain2);
    }

    [Fact]
    public void A_flip_alone_mirrors_about_half_of_the_images_and_leaves_the_rest_unchanged()
    {
        // Given flips without crops
        var source = EmojiSource(Emoji64 with { Crop = ImageCrop.None });
        if (source is null) Assert.Skip(DatasetPaths.Missing);
        int[] order = [.. Enumerable.Range(0, 64)];

        // When augmented and plain batches are compared image by image
        var augmented = source.Batches(order, 64, augment: true, seed: 5, Ct).Single().Inputs;
        var plain = source.Batches(order, 64, augment: false, seed: 5, Ct).Single().Inputs;

        // Then each image is either the plain one or its mirror image, and both happen
        int mirrored = 0, values = 3 * 64 * 64;
        for (int i = 0; i < order.Length; i++)
        {
            var a = augmented.AsSpan(i * values, values).ToArray();
            var p = plain.AsSpan(i * values, values).ToArray();
            if (a.SequenceEqual(p)) continue;
            Assert.Equal(Mirror(p, 64), a);
            mirrored++;
        }
        Assert.InRange(mirrored, 16, 48);
    }

    [Fact]
    public void A_padded_crop_is_the_plain_image_shifted_by_at_most_the_padding_with_a_white_border()
    {
        // Given padded crops of up to 6 pixels without flips
        var options = Emoji64 with { Crop = ImageCrop.Padded, CropPadding = 6, HorizontalFlip = false };
        var source = EmojiSource(options);
        if (source is null) Assert.Skip(DatasetPaths.Missing);
        int[] order = [.. Enumerable.Range(100, 16)];

        var augmented = source.Batches(order, 16, augment: true, seed: 3, Ct).Single().Inputs;
        var plain = source.Batches(order, 16, augment: false, seed: 3, Ct).Single().Inputs;

        // Then every image equals the plain one moved by some (dx, dy) within ±6, white where nothing moved in
        int values = 3 * 64 * 64, shifted = 0;
        for (int i = 0; i < order.Length; i++)
        {
            var a = augmented.AsSpan(i * values, values).ToArray();
            var p = plain.AsSpan(i * values, values).ToArray();
            var match = Enumerable.Range(-6, 13).SelectMany(dy => Enumerable.Range(-6, 13).Select(dx => (dx, dy)))
                .Where(d => Close(Shift(p, 64, d.dx, d.dy), a)).ToList();
            Assert.NotEmpty(match);
            if (!match.Contains((0, 0))) shifted++;
        }
        Assert.True(shifted > 0);
    }

    [Fact]
    public void Shrinking_averages_fine_detail_instead_of_aliasing()
    {
        // Given a 256×256 checkerboard of single black and white pixels
        using var folder = new TempFolder();
        WritePng(folder, "checker.png", 256, 256, (x, y) => (x + y) % 2 == 0 ? SKColors.Black : SKColors.White);
        var csv = folder.Write("labels.csv", "image,label\nchecker.png,pattern\n");

        // When it is made 32 pixels wide, normalised with mean 0 and deviation 1 (values v/255)
        var source = ImageSource.FromLongCsv(csv, folder.Path, new ImageSourceOptions { Size = 32, Mean = [0, 0, 0], Std = [1, 1, 1] });
        var input = source.Batches([0], 1, augment: false, seed: 0, Ct).Single().Inputs;

        // Then every value is mid-grey: an unfiltered 8× shrink would pick all-black or all-white pixels
        Assert.All(input, v => Assert.InRange(v, 0.4f, 0.6f));
    }

    [Fact]
    public void Centre_crop_keeps_the_aspect_ratio_and_stretch_does_not()
    {
        // Given a 200×100 image: left half red, right half blue, with a green band 50 pixels wide in the middle
        using var folder = new TempFolder();
        WritePng(folder, "wide.png", 200, 100, (x, y) => x < 75 ? SKColors.Red : x < 125 ? SKColors.Lime : SKColors.Blue);
        var csv = folder.Write("labels.csv", "image,label\nwide.png,bands\n");
        ImageSourceOptions plain = new() { Size = 20, Mean = [0, 0, 0], Std = [1, 1, 1] };

        // When it is made square both ways
        var crop = ImageSource.FromLongCsv(csv, folder.Path, plain).Batches([0], 1, false, 0, Ct).Single().Inputs;
        var stretch = ImageSource.FromLongCsv(csv, folder.Path, plain with { Resize = ImageResize.Stretch }).Batches([0], 1, false, 0, Ct).Single().Inputs;

        // Then the centre crop (the middle 100×100, scaled to 20) has green over its middle half, the stretched
        // image over its middle quarter; the stretched corners are red and blue
        Assert.Equal(1f, Green(crop, 20, 10), 0.02);
        Assert.Equal(1f, Green(crop, 20, 6), 0.02);
        Assert.Equal(1f, Green(stretch, 20, 10), 0.02);
        Assert.Equal(0f, Green(stretch, 20, 6), 0.02);
        Assert.Equal(1f, stretch[0], 0.02);                        // red at the left edge
        Assert.Equal(1f, stretch[2 * 400 + 19], 0.02);             // blue at the right edge
    }

    [Fact]
    public void A_missing_image_file_is_an_error_naming_the_csv_line_and_file()
    {
        // Given a CSV whose second image (line 3) is not in the folder
        using var folder = new TempFolder();
        WritePng(folder, "a.png", 8, 8, (_, _) => SKColors.Red);
        var csv = folder.Write("labels.csv", "image,label\na.png,red\nb.png,blue\na.png,warm\n");

        // When a source is made
        var error = Assert.Throws<AnnotationFormatException>(() => ImageSource.FromLongCsv(csv, folder.Path, new ImageSourceOptions { Size = 8 }));

        // Then the error names the CSV, line 3, the image column and the missing file
        Assert.Equal((csv, 3L, "image"), (error.Error.Path, error.Error.Line, error.Error.Field));
        Assert.Contains(Path.Combine(folder.Path, "b.png"), error.Message);
        Assert.Contains("does not exist", error.Message);
        Assert.StartsWith($"{csv}:3: image: ", error.Message);
    }

    [Fact]
    public void An_undecodable_image_is_an_error_at_its_batch_naming_the_csv_line_and_file()
    {
        // Given a CSV whose third image is text in a .png file
        using var folder = new TempFolder();
        WritePng(folder, "a.png", 8, 8, (_, _) => SKColors.Red);
        WritePng(folder, "b.png", 8, 8, (_, _) => SKColors.Blue);
        folder.Write("c.png", "this is not a PNG");
        var csv = folder.Write("labels.csv", "image,label\na.png,red\nb.png,blue\nc.png,broken\n");
        var source = ImageSource.FromLongCsv(csv, folder.Path, new ImageSourceOptions { Size = 8 });

        // When its images are batched one at a time
        var batches = new List<InstanceBatch>();
        var error = Assert.Throws<AnnotationFormatException>(() =>
        {
            foreach (var batch in source.Batches([0, 1, 2], 1, augment: false, seed: 0, Ct)) batches.Add(batch);
        });

        // Then the two good batches arrive first and the error names line 4 and the file
        Assert.Equal(2, batches.Count);
        Assert.Equal((csv, 4L, "image"), (error.Error.Path, error.Error.Line, error.Error.Field));
        Assert.Contains($"the image file '{Path.Combine(folder.Path, "c.png")}' cannot be decoded", error.Message);
    }

    [Fact]
    public void Skip_invalid_leaves_out_and_counts_missing_and_undecodable_images()
    {
        // Given one good, one missing and one undecodable image
        using var folder = new TempFolder();
        WritePng(folder, "a.png", 8, 8, (_, _) => SKColors.Red);
        folder.Write("c.png", "not an image");
        var csv = folder.Write("labels.csv", "image,label\na.png,red\nb.png,blue\nc.png,broken\n");

        // When a source skipping invalid images is made and batched twice
        var source = ImageSource.FromLongCsv(csv, folder.Path, new ImageSourceOptions { Size = 8, SkipInvalid = true });
        int count = source.Count;
        var first = source.Batches([0, 1], 2, augment: false, seed: 0, Ct).ToList();
        var second = source.Batches([1, 0], 2, augment: false, seed: 0, Ct).ToList();

        // Then the missing image is dropped at once, the undecodable one from its batch (each counted once), and
        // the labels follow the kept images
        Assert.Equal(2, count);
        Assert.Equal(["a.png", "c.png"], source.ImageIds);
        Assert.Equal([0], first.Single().Indices);
        Assert.Equal([1L, 3L, 8L, 8L], first.Single().Shape);
        Assert.Equal([0], second.Single().Indices);
        Assert.Equal(2, source.SkippedImages);
        Assert.Equal([3L, 4L], source.ImageErrors.Select(e => e.Line));
        Assert.Equal(["red"], source.Labels.Row(0).ToArray().Select(id => source.Vocabulary[id]));
    }

    [Fact]
    public void Select_and_MapLabels_make_sources_that_share_the_decoded_images()
    {
        // Given three images with one colour label each
        using var folder = new TempFolder();
        WritePng(folder, "a.png", 8, 8, (_, _) => SKColors.Red);
        WritePng(folder, "b.png", 8, 8, (_, _) => SKColors.Blue);
        WritePng(folder, "c.png", 8, 8, (_, _) => SKColors.Lime);
        var csv = folder.Write("labels.csv", "image,label\na.png,red\nb.png,blue\nc.png,green\n");
        var all = ImageSource.FromLongCsv(csv, folder.Path, new ImageSourceOptions { Size = 8 });

        // When instances 2 and 0 are selected, their labels mapped onto a vocabulary without red, and batched
        var selected = all.Select([2, 0]);
        var (mapped, report) = selected.MapLabels(new LabelVocabulary(["green", "blue"]));
        var inputs = Flatten(mapped.Batches([0, 1], 2, augment: false, seed: 0, Ct));
        long cachedByView = all.CachedBytes;

        // Then the two images decoded through the view are in the whole source's cache, the view holds them in that
        // order with their labels over the new vocabulary, red is reported missing, and the inputs are the source's
        Assert.Equal(2L * 8 * 8 * 4, cachedByView);
        Assert.Equal(["c.png", "a.png"], mapped.ImageIds);
        Assert.Equal(Path.Combine(folder.Path, "c.png"), mapped.ImagePath(0));
        Assert.Equal([0], mapped.Labels.Row(0).ToArray());
        Assert.True(mapped.Labels.Row(1).IsEmpty);
        Assert.Equal(["red"], report.MissingLabels);
        Assert.Equal(2, mapped.Vocabulary.Count);
        Assert.Equal(Flatten(all.Batches([2, 0], 2, augment: false, seed: 0, Ct)), inputs);
        Assert.Equal(cachedByView, mapped.CachedBytes);
        Assert.Throws<ArgumentOutOfRangeException>(() => all.Select([3]));
    }

    [Fact]
    public void Image_options_in_a_models_json_keep_what_decides_the_inputs_and_drop_the_work_settings()
    {
        // Given training options of an image model whose decoding differs from every default
        var image = new ImageSourceOptions
        {
            Size = 32, Resize = ImageResize.Stretch, Background = new ImageColor(10, 20, 30), Mean = [0.5f, 0.25f, 0.125f], Std = [1, 2, 4],
            HorizontalFlip = false, Crop = ImageCrop.Padded, CropPadding = 3, DecodeThreads = 1, PrefetchBatches = 5, CacheBytes = 0, SkipInvalid = true,
        };
        var options = new TrainingOptions { Backbone = BackboneKind.Cnn, Image = image };

        // When they are written as a model manifest writes them and read back
        var json = JsonSerializer.Serialize(options, TrainingJson.Options);
        var read = JsonSerializer.Deserialize<TrainingOptions>(json, TrainingJson.Options)!.Image!;

        // Then the decoding and augmentation come back; threads, prefetch, cache and skipping are not saved
        Assert.Equal((32, ImageResize.Stretch, new ImageColor(10, 20, 30), false, ImageCrop.Padded, 3),
                     (read.Size, read.Resize, read.Background, read.HorizontalFlip, read.Crop, read.CropPadding));
        Assert.Equal(image.Mean, read.Mean);
        Assert.Equal(image.Std, read.Std);
        Assert.Equal(new ImageSourceOptions().DecodeThreads, read.DecodeThreads);
        Assert.Equal(new ImageSourceOptions().CacheBytes, read.CacheBytes);
        Assert.False(read.SkipInvalid);
        Assert.Contains("\"background\": \"#ff0a141e\"", json);
        Assert.DoesNotContain("\"image\"", JsonSerializer.Serialize(new TrainingOptions(), TrainingJson.Options));
    }

    [Fact]
    public void A_missing_coco_image_is_an_error_naming_its_images_entry()
    {
        // Given a COCO instances file whose second image file is absent
        using var folder = new TempFolder();
        WritePng(folder, "1.jpg", 8, 8, (_, _) => SKColors.Red);
        var json = folder.Write("instances.json", """
            {"images": [
              {"id": 1, "file_name": "1.jpg"},
              {"id": 2, "file_name": "2.jpg"}
            ],
            "annotations": [{"id": 10, "image_id": 1, "category_id": 5}],
            "categories": [{"id": 5, "name": "cat"}]}
            """);

        var error = Assert.Throws<AnnotationFormatException>(() => ImageSource.FromCocoInstances(json, folder.Path, new ImageSourceOptions { Size = 8 }));

        Assert.Equal((json, 3L, "images[1].file_name"), (error.Error.Path, error.Error.Line, error.Error.Field));
        Assert.Contains(Path.Combine(folder.Path, "2.jpg"), error.Message);
    }

    [Fact]
    public void Cancelling_stops_the_prefetch_and_the_enumeration_throws_promptly()
    {
        // Given COCO photographs at 299 pixels, decoded on one thread without a cache: slow batches
        var json = DatasetPaths.Get("coco", "tiny", "annotations", "instances_train2017.json");
        if (json is null) Assert.Skip(DatasetPaths.Missing);
        var source = ImageSource.FromCocoInstances(json, DatasetPaths.Get("coco", "tiny", "train2017")!,
            new ImageSourceOptions { Size = 299, DecodeThreads = 1, CacheBytes = 0 });
        int[] order = [.. Enumerable.Range(0, source.Count)];
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        // When the token is cancelled after the first batch
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int seen = 0;
        Assert.ThrowsAny<OperationCanceledException>(() =>
        {
            foreach (var batch in source.Batches(order, 4, augment: true, seed: 1, cancel.Token))
            {
                seen++;
                cancel.Cancel();
            }
        });

        // Then the enumeration ends at the next batch at most, long before all 20 batches could be made
        Assert.InRange(seen, 1, 2);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"cancelling took {clock.Elapsed}");
    }

    [Fact]
    public void Leaving_the_enumeration_early_stops_the_workers()
    {
        // Given the emoji source with a cache, which grows as long as workers decode
        var source = EmojiSource(Emoji64 with { DecodeThreads = 2, PrefetchBatches = 2 });
        if (source is null) Assert.Skip(DatasetPaths.Missing);
        int[] order = [.. Enumerable.Range(0, source.Count)];

        // When the consumer takes one batch of 8 and leaves
        var first = source.Batches(order, 8, augment: false, seed: 0, Ct).First();
        long cachedAtExit = source.CachedBytes;
        Thread.Sleep(300);

        // Then nothing more is decoded: at most the prefetched batches (1 + 2 + the one in progress) were made
        Assert.Equal(8, first.Indices.Length);
        Assert.Equal(cachedAtExit, source.CachedBytes);
        Assert.InRange(cachedAtExit / (64 * 64 * 4), 8, 32);
    }

    [Theory]
    [InlineData("size", "the image size must be at least 1 pixel, got 0")]
    [InlineData("std", "every standard deviation must be positive and finite, got 0")]
    [InlineData("mean", "Mean must have 3 values (R, G, B), got 2")]
    [InlineData("crop", "0 < MinCropArea ≤ MaxCropArea ≤ 1, got 0.5 and 0.4")]
    [InlineData("threads", "at least one decode thread is needed, got 0")]
    public void Options_out_of_range_are_refused_with_the_rule(string which, string message)
    {
        var options = which switch
        {
            "size" => new ImageSourceOptions { Size = 0 },
            "std" => new ImageSourceOptions { Std = [0.2f, 0f, 0.2f] },
            "mean" => new ImageSourceOptions { Mean = [0.5f, 0.5f] },
            "crop" => new ImageSourceOptions { MinCropArea = 0.5, MaxCropArea = 0.4 },
            _ => new ImageSourceOptions { DecodeThreads = 0 },
        };
        var error = Assert.ThrowsAny<ArgumentException>(options.Validate);
        Assert.Contains(message, error.Message);
    }

    static ImageSource? EmojiSource(ImageSourceOptions options)
    {
        var csv = DatasetPaths.Get("emoji", "labels.csv");
        return csv is null ? null : ImageSource.FromLongCsv(csv, Path.Combine(Path.GetDirectoryName(csv)!, "images"), options);
    }

    static int IndexOf(ImageSource source, string image)
    {
        for (int i = 0; i < source.Count; i++) if (source.ImageIds[i] == image) return i;
        throw new InvalidOperationException($"{image} is not in the source");
    }

    static float[] Flatten(IEnumerable<InstanceBatch> batches) => [.. batches.SelectMany(b => b.Inputs)];

    static double[] ChannelMeans(float[] input, int size)
    {
        int plane = size * size;
        return [.. Enumerable.Range(0, 3).Select(c => input.AsSpan(c * plane, plane).ToArray().Average(v => (double)v))];
    }

    static float Green(float[] input, int size, int x) => input[size * size + (size / 2) * size + x];

    static bool Close(float[] x, float[] y)
    {
        for (int i = 0; i < x.Length; i++) if (Math.Abs(x[i] - y[i]) > 1e-5f) return false;
        return true;
    }

    static float[] Mirror(float[] image, int size)
    {
        var result = new float[image.Length];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < size; y++)
                for (int x = 0; x < size; x++)
                    result[(c * size + y) * size + x] = image[(c * size + y) * size + size - 1 - x];
        return result;
    }

    /// <summary>out(x, y) = image(x + dx, y + dy), or white (ImageNet-normalised) outside.</summary>
    static float[] Shift(float[] image, int size, int dx, int dy)
    {
        float[] white = [(1 - 0.485f) / 0.229f, (1 - 0.456f) / 0.224f, (1 - 0.406f) / 0.225f];
        var result = new float[image.Length];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < size; y++)
                for (int x = 0; x < size; x++)
                {
                    int sx = x + dx, sy = y + dy;
                    result[(c * size + y) * size + x] = sx >= 0 && sx < size && sy >= 0 && sy < size
                        ? image[(c * size + sy) * size + sx]
                        : white[c];
                }
        return result;
    }

    static void WritePng(TempFolder folder, string name, int width, int height, Func<int, int, SKColor> color)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                bitmap.SetPixel(x, y, color(x, y));
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(Path.Combine(folder.Path, name), data.ToArray());
    }

    /// <summary>image_golden.txt, written by image_golden.py beside this file.</summary>
    sealed class Golden
    {
        readonly Dictionary<string, double[]> values = [];

        public List<(int X, int Y, double[] Values)> Pixels { get; } = [];

        public double[] this[string key] => values[key];

        public static Golden Read([CallerFilePath] string here = "")
        {
            var golden = new Golden();
            foreach (var line in File.ReadAllLines(Path.Combine(Path.GetDirectoryName(here)!, "image_golden.txt")))
            {
                var fields = line.Split('#')[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length == 0) continue;
                var numbers = fields[1..].Select(f => double.Parse(f, CultureInfo.InvariantCulture)).ToArray();
                if (fields[0] == "pixel") golden.Pixels.Add(((int)numbers[0], (int)numbers[1], numbers[2..]));
                else golden.values[fields[0]] = numbers;
            }
            return golden;
        }
    }
}
