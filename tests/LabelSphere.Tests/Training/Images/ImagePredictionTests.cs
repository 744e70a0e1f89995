using LabelSphere.Data;
using LabelSphere.Embedding;
using LabelSphere.Tests.Cli;
using LabelSphere.Training;
using LabelSphere.Training.Images;

namespace LabelSphere.Tests.Training.Images;

[Collection(TorchCollection.Name)]
public sealed class ImagePredictionTests : IDisposable
{
    readonly string dir = CliRunner.TempFolder();

    public void Dispose() => Directory.Delete(dir, true);

    static CancellationToken Token => TestContext.Current.CancellationToken;

    (string Csv, string Images) WriteSquares() => ImageVerbsTests.WriteSquares(dir);

    [Fact]
    public void An_image_file_or_its_bytes_rank_labels_as_the_batch_of_its_data_set_does()
    {
        // Given a small CNN fitted in memory on four labelled squares
        var (csv, images) = WriteSquares();
        var data = ImageLabelData.Read(csv, images);
        using var classifier = LabelClassifier.Fit(data, new LabelClassifierOptions
        {
            Training = new TrainingOptions
            {
                Backbone = BackboneKind.Cnn, Head = HeadKind.Sigmoid, CnnWidth = 4, Steps = 2, BatchSize = 4, EvalEvery = 0,
                Image = new ImageSourceOptions { Size = 8, DecodeThreads = 1 },
            },
            ValidationFraction = 0,
        }, cancellationToken: Token);

        // When one image is predicted from its file and from its bytes, and the whole data set in one batch
        var fromFile = classifier.Predict(Path.Combine(images, "b1.png"), top: 2);
        using var bytes = File.OpenRead(Path.Combine(images, "b1.png"));
        var fromBytes = classifier.Predict(bytes, top: 2);
        var batch = classifier.PredictBatch(data, 2, Token);

        // Then all three give b1 (the third instance) the same labels and scores
        int b1 = data.Annotations.InstanceIds!.ToList().IndexOf("b1.png");
        Assert.Equal(["blue", "red"], fromFile.Select(l => l.Name).Order());
        Assert.Equal(fromFile, fromBytes);
        foreach (var label in fromFile) Assert.Equal(label.Score, batch[b1].Single(l => l.Name == label.Name).Score, 5);
    }

    [Fact]
    public void Encoded_images_ranked_together_get_what_each_file_gets_and_an_undecodable_one_gets_nothing()
    {
        // Given a small CNN fitted in memory on four labelled squares
        var (csv, images) = WriteSquares();
        using var classifier = LabelClassifier.Fit(ImageLabelData.Read(csv, images), new LabelClassifierOptions
        {
            Training = new TrainingOptions
            {
                Backbone = BackboneKind.Cnn, Head = HeadKind.Sigmoid, CnnWidth = 4, Steps = 2, BatchSize = 4, EvalEvery = 0,
                Image = new ImageSourceOptions { Size = 8, DecodeThreads = 1 },
            },
            ValidationFraction = 0,
        }, cancellationToken: Token);

        // When the bytes of every square and of a file that is not an image are ranked in one call
        var files = Directory.GetFiles(images, "*.png").Order().ToArray();
        var bytes = files.Select(File.ReadAllBytes).Append("not an image"u8.ToArray()).ToArray();
        var ranked = classifier.PredictImages(bytes, top: 2, Token);

        // Then each square gets the labels and scores of its file, in order, and the last gets none
        Assert.Equal(files.Length + 1, ranked.Length);
        for (int i = 0; i < files.Length; i++)
        {
            var alone = classifier.Predict(files[i], top: 2);
            Assert.Equal(alone.Select(l => l.Name), ranked[i].Select(l => l.Name));
            for (int t = 0; t < 2; t++) Assert.Equal(alone[t].Score, ranked[i][t].Score, 1e-5f);
        }
        Assert.Empty(ranked[^1]);
    }

    [Fact]
    public void A_feature_model_refuses_an_image_saying_so()
    {
        var synthetic = TrainingFixtures.Synthetic(100);
        var data = new LabelData(new AnnotationSet(synthetic.Vocabulary, synthetic.Labels, new ReadReport("synthetic", AnnotationFormat.ExtremeText, synthetic.Count, 0, 0, []), synthetic.Features));
        using var classifier = LabelClassifier.Fit(data, new LabelClassifierOptions
        {
            Training = new TrainingOptions { Head = HeadKind.Sigmoid, Hidden = [4], Steps = 1 },
            ValidationFraction = 0,
        }, cancellationToken: Token);
        var (_, images) = WriteSquares();
        var error = Assert.Throws<InvalidOperationException>(() => classifier.Predict(Path.Combine(images, "r1.png")));
        Assert.Contains("feature vectors, not images", error.Message);
    }
}
