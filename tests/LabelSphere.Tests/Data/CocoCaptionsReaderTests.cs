using LabelSphere.Data;

namespace LabelSphere.Tests.Data;

public sealed class CocoCaptionsReaderTests
{
    const string Tiny = """
        {"images": [{"id": 1, "file_name": "one.jpg"}, {"id": 2, "file_name": "two.jpg"}, {"id": 3, "file_name": "three.jpg"}],
         "annotations": [
          {"image_id": 1, "id": 10, "caption": "A dog's ball on the grass."},
          {"image_id": 1, "id": 11, "caption": "The DOG plays."},
          {"image_id": 2, "id": 12, "caption": "A man in a T-shirt with a dog"},
          {"image_id": 2, "id": 13, "caption": "man, ball"}
         ]}
        """;

    static ReaderOptions Options(int minWordCount = 1, bool skipInvalid = false) =>
        new() { Format = AnnotationFormat.CocoCaptions, MinWordCount = minWordCount, SkipInvalid = skipInvalid };

    [Fact]
    public void Coco_val2017_captions_have_5000_images_and_2006_frequent_words()
    {
        // Given the official COCO 2017 validation captions
        var path = DatasetPaths.Get("coco", "captions_val2017.json");
        if (path is null) Assert.Skip(DatasetPaths.Missing);

        // When they are read with the default options (English stop words, words on at least 5 images)
        var set = AnnotationReader.Read(path);

        // Then the counts match an independent python count (json module, regex [a-z0-9']+ on lower-cased captions,
        // the same trimming and stop words): 7,056 distinct words, 2,006 on 5 or more images, 82,951 (image, word)
        // pairs; the most frequent is "sitting" (1,321 images)
        Assert.Equal(AnnotationFormat.CocoCaptions, set.Report.Format);
        Assert.Equal(5000, set.Count);
        Assert.Equal(2006, set.Vocabulary.Count);
        Assert.Equal(82951, set.Labels.NonZeros);
        Assert.Equal(["sitting", "next", "man", "standing", "white"], set.Vocabulary.Names.Take(5));

        // and the vocabulary order is by decreasing image count, every word on at least 5 images, no stop word
        var counts = set.Labels.LabelCounts();
        for (int i = 1; i < counts.Length; i++) Assert.True(counts[i - 1] >= counts[i]);
        Assert.True(counts[^1] >= 5);
        Assert.False(set.Vocabulary.Contains("the"));
        Assert.False(set.Vocabulary.Contains("a"));
    }

    [Fact]
    public void Words_are_lower_cased_split_on_punctuation_and_lose_possessives()
    {
        // Given a caption with capitals, a possessive, a contraction, a hyphen and curly apostrophes
        var words = new List<string>();
        var buffer = Array.Empty<char>();

        // When it is split
        CaptionWords.Split("The Dog's T-shirt isn't ‘red’, 2 cats' toys.", ref buffer, w => words.Add(w.ToString()));

        // Then these are the words
        Assert.Equal(["the", "dog", "t", "shirt", "isn't", "red", "2", "cats", "toys"], words);
    }

    [Fact]
    public void A_tiny_file_gives_each_image_the_distinct_words_of_its_captions()
    {
        // Given two images with two captions each and one image without captions
        using var folder = new TempFolder();
        var path = folder.Write("captions.json", Tiny);

        // When it is read keeping every word
        var set = AnnotationReader.Read(path, Options());

        // Then stop words are gone, words are distinct per image, ordered by image count then alphabetically
        Assert.Equal(["ball", "dog", "grass", "man", "plays", "shirt"], set.Vocabulary.Names);
        Assert.Equal([["ball", "dog", "grass", "plays"], ["ball", "dog", "man", "shirt"], []], Sets.LabelNames(set));
        Assert.Equal(["one.jpg", "two.jpg", "three.jpg"], set.InstanceIds);
    }

    [Fact]
    public void Words_on_fewer_images_than_the_minimum_are_dropped()
    {
        // Given the tiny file
        using var folder = new TempFolder();
        var path = folder.Write("captions.json", Tiny);

        // When words must appear on two images
        var set = AnnotationReader.Read(path, Options(minWordCount: 2));

        // Then only the words of both images remain
        Assert.Equal(["ball", "dog"], set.Vocabulary.Names);
        Assert.Equal([["ball", "dog"], ["ball", "dog"], []], Sets.LabelNames(set));
    }

    [Fact]
    public void A_stop_word_file_replaces_the_built_in_list()
    {
        // Given a stop-word file listing "dog" and "ball" only
        using var folder = new TempFolder();
        var path = folder.Write("captions.json", Tiny);
        var stop = folder.Write("stop.txt", "# mine\nDog\n\nball\n");

        // When it is read with that file, and with no stop words at all
        var withFile = AnnotationReader.Read(path, Options() with { StopWordsPath = stop });
        var without = AnnotationReader.Read(path, Options() with { UseStopWords = false });

        // Then the file's words are dropped and "the" is kept; without stop words "a" is a label too
        Assert.False(withFile.Vocabulary.Contains("dog"));
        Assert.True(withFile.Vocabulary.Contains("the"));
        Assert.True(without.Vocabulary.Contains("a"));
        Assert.True(without.Vocabulary.Contains("dog"));
    }

    [Fact]
    public void A_caption_of_an_unknown_image_names_the_field_and_line()
    {
        // Given annotations[2] pointing at image 5
        using var folder = new TempFolder();
        var path = folder.Write("captions.json", Tiny.Replace("{\"image_id\": 2, \"id\": 12", "{\"image_id\": 5, \"id\": 12"));

        // When it is read
        var error = AnnotationFormatError(path);

        // Then the error names the field on line 5
        Assert.Equal((path, 5L, "annotations[2].image_id"), (error.Path, error.Line, error.Field));
        Assert.Contains("image id 5", error.Problem);
    }

    [Fact]
    public void A_missing_caption_drops_its_image_when_skipping()
    {
        // Given annotations[3] of image 2 without a caption
        using var folder = new TempFolder();
        var path = folder.Write("captions.json", Tiny.Replace("\"caption\": \"man, ball\"", "\"text\": \"man, ball\""));

        // When it is read, by default and skipping invalid instances
        var error = AnnotationFormatError(path);
        var set = AnnotationReader.Read(path, Options(skipInvalid: true));

        // Then the default read names annotations[3].caption, and the skipping read drops image 2 and its words
        Assert.Equal((6L, "annotations[3].caption"), (error.Line, error.Field));
        Assert.Equal(["one.jpg", "three.jpg"], set.InstanceIds);
        Assert.False(set.Vocabulary.Contains("man"));
        Assert.Equal(1, set.Report.SkippedInvalid);
    }

    static AnnotationError AnnotationFormatError(string path) =>
        Assert.Throws<AnnotationFormatException>(() => AnnotationReader.Read(path, Options())).Error;
}
