// Trains a tiny image model on two PNGs through the packed LabelSphere.Images package, then predicts one of them:
// decoding, training and image prediction from the packages, without the repository's projects.
using LabelSphere;
using LabelSphere.Training;
using LabelSphere.Training.Images;
using SkiaSharp;

var folder = Directory.CreateTempSubdirectory("labelsphere-images-check-").FullName;
try
{
    foreach (var (name, colour) in new[] { ("red", SKColors.Red), ("blue", SKColors.Blue) })
    {
        using var bitmap = new SKBitmap(8, 8);
        bitmap.Erase(colour);
        using var png = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(Path.Combine(folder, name + ".png"), png.ToArray());
    }
    File.WriteAllText(Path.Combine(folder, "labels.csv"), "image,label\nred.png,red\nblue.png,blue\n");
    var data = ImageLabelData.Read(Path.Combine(folder, "labels.csv"), folder);
    using var classifier = LabelClassifier.Fit(data, new LabelClassifierOptions
    {
        Training = new TrainingOptions
        {
            Backbone = BackboneKind.Cnn, Head = HeadKind.Sigmoid, CnnWidth = 4, Steps = 1, BatchSize = 2, EvalEvery = 0,
            Image = new ImageSourceOptions { Size = 8 },
        },
        ValidationFraction = 0,
    });
    var ranked = classifier.Predict(Path.Combine(folder, "red.png"), top: 2);
    if (ranked.Length != 2 || ranked.Any(l => !(l.Score > 0 && l.Score < 1)) || !ranked.Select(l => l.Name).Order().SequenceEqual(["blue", "red"]))
        throw new InvalidOperationException($"red.png was ranked [{string.Join(", ", ranked)}]; expected blue and red with probabilities in (0, 1)");
    Console.WriteLine($"images: a PNG decoded, trained on and ranked through LabelSphere.Images: {string.Join(", ", ranked.Select(l => $"{l.Name} {l.Score:F3}"))}");
}
finally
{
    Directory.Delete(folder, recursive: true);
}
