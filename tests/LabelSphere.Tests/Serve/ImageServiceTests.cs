using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using LabelSphere.Data;
using LabelSphere.Serve;
using LabelSphere.Tests.Cli;
using LabelSphere.Tests.Onnx;
using LabelSphere.Tests.Training;
using LabelSphere.Training;
using LabelSphere.Training.Images;

namespace LabelSphere.Tests.Serve;

/// <summary>
/// A model of images served image bytes: one image as the body, or several as multipart/form-data parts; the answers
/// are <see cref="ImagePrediction"/>'s, and bad, oversized or mismatched bodies get 400 or 413 with one line.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class ImageServiceTests : IDisposable
{
    readonly string dir = CliRunner.TempFolder();

    public void Dispose() => Directory.Delete(dir, true);

    static CancellationToken Token => TestContext.Current.CancellationToken;

    static ByteArrayContent Image(string path)
    {
        var content = new ByteArrayContent(File.ReadAllBytes(path));
        content.Headers.ContentType = new MediaTypeHeaderValue(path.EndsWith(".png", StringComparison.Ordinal) ? "image/png" : "image/jpeg");
        return content;
    }

    static async Task<PredictResponse> Ok(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync(Token);
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonSerializer.Deserialize<PredictResponse>(text, JsonSerializerOptions.Web)!;
    }

    static async Task<string> Refused(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync(Token);
        Assert.True(response.StatusCode == status, $"{response.StatusCode}: {text}");
        var message = JsonSerializer.Deserialize<Error>(text, JsonSerializerOptions.Web)!.Message;
        Assert.DoesNotContain('\n', message);
        return message;
    }

    static void AssertPredicts(LabelClassifier classifier, string path, Prediction served, int top)
    {
        var expected = classifier.Predict(path, top);
        Assert.Equal(expected.Select(l => l.Name), served.Labels.Select(l => l.Label));
        for (int t = 0; t < top; t++) Assert.Equal(expected[t].Score, served.Labels[t].Score, 1e-5f);
    }

    [Fact]
    public async Task A_served_model_of_images_loads_its_network_once_for_every_batch_and_disposes_it_with_the_model()
    {
        // Given a served snapshot of a model on the frozen ResNet-18's features, whose network loads are counted
        var (csv, images) = ImageExportTests.OddPhotos(dir);
        using var classifier = LabelClassifier.Load(ImageExportTests.Train(dir, csv, images, HeadKind.Joint));
        var loaded = new List<ImageFeaturizer>();
        var model = new ServedModel(classifier, owned: false, options =>
        {
            var featurizer = ImageFiles.LoadFeaturizer(options);
            lock (loaded) loaded.Add(featurizer);
            return featurizer;
        });
        await using var batcher = new PredictionBatcher<byte[]>((m, encoded, top, ct) => m.PredictImages(encoded, top, ct), new ServeOptions());

        // When two requests come one after the other (two batches), then both get ImagePrediction's labels
        foreach (var name in new[] { "rgb.jpg", "grey.jpg" })
        {
            var bytes = File.ReadAllBytes(Path.Combine(images, name));
            var served = Assert.Single(await batcher.PredictAsync(model, [bytes], 3, Token));
            var expected = Assert.Single(classifier.PredictImages([bytes], 3, Token));
            Assert.Equal(expected.Select(l => l.Name), served.Select(l => l.Name));
            for (int t = 0; t < 3; t++) Assert.Equal(expected[t].Score, served[t].Score, 1e-5f);
        }
        Assert.Equal((2L, 2L), batcher.Counts);

        // and the network was loaded once, for both; releasing the model's last reference disposes it
        var featurizer = Assert.Single(loaded);
        Assert.False(featurizer.IsDisposed);
        model.Release();
        Assert.True(featurizer.IsDisposed);
    }

    [Fact]
    public async Task Image_bytes_posted_alone_or_as_parts_get_the_labels_predict_gives_the_files()
    {
        // Given a model on the frozen ResNet-18's features of six small images, served with at most 4 images and 200 kB a request
        var (csv, images) = ImageExportTests.OddPhotos(dir);
        using var classifier = LabelClassifier.Load(ImageExportTests.Train(dir, csv, images, HeadKind.Joint));
        await using var service = LabelService.Create(classifier, new ServeOptions { Port = 0, MaxInstances = 4, MaxBatch = 8, MaxRequestBytes = 200_000 });
        await service.StartAsync(Token);
        using var http = new HttpClient { BaseAddress = service.Address };
        string Image_(string name) => Path.Combine(images, name);

        // When one JPEG is the body, then its top 3 are predict's
        var one = await Ok(await http.PostAsync("/predict?top=3", Image(Image_("rgb.jpg")), Token));
        AssertPredicts(classifier, Image_("rgb.jpg"), Assert.Single(one.Predictions), 3);

        // When three images are parts of one form, then each gets predict's labels, in order
        var names = new[] { "alpha.png", "grey.jpg", "cmyk.jpg" };
        using (var form = new MultipartFormDataContent())
        {
            foreach (var name in names) form.Add(Image(Image_(name)), "image", name);
            var three = await Ok(await http.PostAsync("/predict?top=2", form, Token));
            Assert.Equal(3, three.Predictions.Length);
            for (int i = 0; i < 3; i++) AssertPredicts(classifier, Image_(names[i]), three.Predictions[i], 2);
        }

        // When six clients each post one image at once, then each gets its own image's labels
        var all = Directory.GetFiles(images).Order().ToArray();
        var answers = await Task.WhenAll(all.Select(async path => await Ok(await http.PostAsync("/predict?top=2", Image(path), Token))));
        for (int i = 0; i < all.Length; i++) AssertPredicts(classifier, all[i], Assert.Single(answers[i].Predictions), 2);
        Assert.Equal(1 + 3 + all.Length, service.Batches.Instances);

        // And a part that is not an image is a 400 naming it, and the other parts are not answered
        using (var form = new MultipartFormDataContent())
        {
            form.Add(Image(Image_("rgb.jpg")), "image", "rgb.jpg");
            var broken = new ByteArrayContent("not an image"u8.ToArray());
            broken.Headers.ContentType = new MediaTypeHeaderValue("image/png");
            form.Add(broken, "image", "broken.png");
            Assert.Equal("parts[1] ('broken.png'): cannot be decoded as an image (PNG, JPEG, WebP, GIF, BMP...)",
                await Refused(await http.PostAsync("/predict", form, Token), HttpStatusCode.BadRequest));
        }

        // and a body that is not an image, a part that is text, JSON instances and a bad top are 400s
        var garbage = new ByteArrayContent(new byte[100]);
        garbage.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        Assert.StartsWith("the body: cannot be decoded", await Refused(await http.PostAsync("/predict", garbage, Token), HttpStatusCode.BadRequest));
        using (var form = new MultipartFormDataContent { { new StringContent("hello"), "note" } })
            Assert.StartsWith("parts[0] ('note'): Content-Type text/plain", await Refused(await http.PostAsync("/predict", form, Token), HttpStatusCode.BadRequest));
        Assert.StartsWith("the model takes images: send an image's bytes",
            await Refused(await http.PostAsJsonAsync("/predict", new { instances = new[] { new { features = new float[512] } } }, Token), HttpStatusCode.BadRequest));
        Assert.StartsWith("top: must be a whole number between 1 and the number of labels",
            await Refused(await http.PostAsync("/predict?top=0", Image(Image_("rgb.jpg")), Token), HttpStatusCode.BadRequest));

        // and five parts, or a body past 200 kB, are 413s
        using (var form = new MultipartFormDataContent())
        {
            for (int i = 0; i < 5; i++) form.Add(Image(Image_("grey.jpg")), "image", $"grey{i}.jpg");
            Assert.Contains("at most 4", await Refused(await http.PostAsync("/predict", form, Token), HttpStatusCode.RequestEntityTooLarge));
        }
        using (var client = new HttpClient { BaseAddress = service.Address })
        {
            var large = new ByteArrayContent(new byte[300_000]);
            large.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
            await Refused(await client.PostAsync("/predict", large, Token), HttpStatusCode.RequestEntityTooLarge);
        }
    }

    [Fact]
    public async Task Image_bytes_sent_to_a_model_of_feature_vectors_are_one_400_line()
    {
        // Given a model of feature vectors, served
        var world = TrainingFixtures.Synthetic(100);
        using var classifier = LabelClassifier.Fit(new LabelData(new AnnotationSet(world.Vocabulary, world.Labels,
            new ReadReport("synthetic", AnnotationFormat.ExtremeText, world.Count, 0, 0, []), world.Features)), new LabelClassifierOptions
        {
            Training = new TrainingOptions { Head = HeadKind.Sigmoid, Hidden = [4], Steps = 1 },
            ValidationFraction = 0,
        }, cancellationToken: Token);
        await using var service = LabelService.Create(classifier, new ServeOptions { Port = 0 });
        await service.StartAsync(Token);
        using var http = new HttpClient { BaseAddress = service.Address };

        // When an image is posted to it, then the answer is a 400 that says what it takes
        var (_, images) = ImageExportTests.OddPhotos(dir);
        Assert.Equal("the body is image/jpeg; the model takes feature vectors, not images: send a JSON body of instances",
            await Refused(await http.PostAsync("/predict", Image(Path.Combine(images, "rgb.jpg")), Token), HttpStatusCode.BadRequest));
    }
}
