using System.Buffers;
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using LabelSphere.Data;
using LabelSphere.Evaluation;
using LabelSphere.Training;
using LabelSphere.Training.Images;

namespace LabelSphere.Cli.Commands;

/// <summary><c>labelsphere predict</c>: the top-P labels of every instance, from a model written by <c>train</c>.</summary>
internal static class PredictCommand
{
    public static Command Create()
    {
        var modelFolder = new Argument<string>("model") { Description = "Model folder written by 'labelsphere train' (its --out folder, or the model/ folder inside it)" };
        var data = new Argument<string>("data") { Description = "Instances to label: features (Mulan ARFF, Extreme Classification text, LIBSVM) for a feature model, text for a model trained on text; for an image model, annotations naming image files in --images (long or wide CSV, COCO instances JSON), or the --images folder itself to tag every image in it" };
        var images = new Option<string?>("--images") { Description = "Image models: the folder the data's image names are relative to; images are decoded as in training (size, resize, normalisation), never augmented" };
        var top = Cli.TopOption("How many labels to give each instance", 5);
        var embedding = new Option<string?>("--embedding") { Description = "Decode with this embedding instead of the model's: an extension of it whose first rows are the model's labels (labels added zero-shot after training)" };
        var device = NamedOptions.Create("--device", "Where to run the network", DeviceKind.Cpu);
        var reader = new ReaderArguments();
        var command = new Command("predict", "Rank labels for instances with a trained model: TSV (instance, rank, label, score) or --json")
        {
            modelFolder, data, images, top, embedding, device, Cli.Json,
        };
        reader.AddTo(command);
        command.SetAction((parse, ct) => Cli.Run(parse, () =>
        {
            var modelPath = parse.GetValue(modelFolder)!;
            using var predictor = LabelClassifier.Load(modelPath, parse.GetValue(embedding), parse.GetValue(device));
            var dataPath = parse.GetValue(data)!;
            var imageFolder = parse.GetValue(images);
            ImageArguments.CheckModelInput(predictor, modelPath, dataPath, imageFolder);
            int p = parse.GetValue(top);
            if (p > predictor.Vocabulary.Count) throw new ArgumentException($"--top must be between 1 and the number of labels ({predictor.Vocabulary.Count}), got {p}");
            var readerOptions = reader.Get(parse);
            // An image model tags a plain folder of photos too: the folder given as the data, or as --images alone.
            var dataSet = imageFolder is not null && Directory.Exists(dataPath) ? ImageFolder.Annotations(dataPath)
                : ReaderArguments.ReportSkipped(AnnotationReader.Read(dataPath, readerOptions));
            var input = imageFolder is not null ? new ImageLabelData(dataSet, imageFolder, readerOptions.SkipInvalid) : new LabelData(dataSet, readerOptions);
            var (source, mapping) = input.For(predictor, trainedLabelsOnly: false);
            FeatureExtraction.Run(source, ct);
            var instanceIds = (source as ImageSource)?.ImageIds;
            var ranked = predictor.PredictSource(source, p, ct);
            string Instance(int i) => instanceIds is { } ids ? ids[i] : dataSet.InstanceName(i);

            if (parse.GetValue(Cli.Json))
            {
                // The whole document is built before a byte reaches standard output, so a failure never leaves half of it there.
                var buffer = new ArrayBufferWriter<byte>();
                using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
                {
                    json.WriteStartArray();
                    for (int i = 0; i < ranked.Length; i++)
                    {
                        if (ranked[i].Length == 0) continue;
                        json.WriteStartObject();
                        json.WriteString("instance", Instance(i));
                        json.WriteStartArray("labels");
                        foreach (var label in ranked[i])
                        {
                            json.WriteStartObject();
                            json.WriteString("label", label.Name);
                            json.WriteNumber("score", label.Score);
                            json.WriteEndObject();
                        }
                        json.WriteEndArray();
                        json.WriteEndObject();
                    }
                    json.WriteEndArray();
                }
                using var stdout = Console.OpenStandardOutput();
                stdout.Write(buffer.WrittenSpan);
                stdout.WriteByte((byte)'\n');
            }
            else
            {
                var stdout = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = false };
                stdout.WriteLine("instance\trank\tlabel\tscore");
                for (int i = 0; i < ranked.Length; i++)
                    for (int r = 0; r < ranked[i].Length; r++)
                        stdout.WriteLine($"{Instance(i)}\t{r + 1}\t{ranked[i][r].Name}\t{ranked[i][r].Score.ToString(CultureInfo.InvariantCulture)}");
                stdout.Flush();
            }

            var scoreKind = predictor.Manifest.Head switch
            {
                HeadKind.Embedding => "cosine proximity",
                HeadKind.Sigmoid or HeadKind.CosineLogit => "probability",
                HeadKind.Joint => "the joint head's mix of probability and cosine proximity",
                _ => throw new InvalidOperationException($"unknown head {predictor.Manifest.Head}"),
            };
            Console.Error.WriteLine($"{ranked.Count(r => r.Length > 0):N0} instances ranked over {predictor.Vocabulary.Count:N0} labels by {scoreKind}");
            if (source is ImageSource { SkippedImages: > 0 } skipped)
                Console.Error.WriteLine($"{skipped.SkippedImages:N0} images skipped (missing or undecodable)");
            if (dataSet.Labels.NonZeros > 0)
            {
                var precision = RankingMetrics.Evaluate(ranked.Select(r => r.Select(l => l.Id).ToArray()).ToArray(), source.Labels);
                Console.Error.WriteLine($"against the labels in {dataPath}: P@1 {precision.At1:F4}" +
                    (p >= 3 ? $", P@3 {precision.At3:F4}" : "") + (p >= 5 ? $", P@5 {precision.At5:F4}" : "") +
                    (mapping.MissingLabels.Count > 0 ? $" ({mapping.MissingLabels.Count:N0} of its labels are unknown to the model)" : ""));
            }
            return Task.FromResult(0);
        }));
        return command;
    }
}
