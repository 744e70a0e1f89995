using System.CommandLine;
using LabelSphere.Data;
using LabelSphere.Training;
using LabelSphere.Training.Images;

namespace LabelSphere.Cli.Commands;

/// <summary>
/// <c>labelsphere features</c>: a pretrained network's features of an image set (read from the feature store or
/// extracted and stored), written as an Extreme Classification text data set that every verb takes as feature data.
/// </summary>
internal static class FeaturesCommand
{
    public static Command Create()
    {
        var data = new Argument<string>("annotations") { Description = "Annotations naming image files in --images (long or wide CSV image,label; COCO instances JSON)" };
        var images = new Option<string>("--images") { Description = "The folder the annotations' image names are relative to", Required = true };
        var model = NamedOptions.Create("--model", "Pretrained network whose features are written", BackboneKind.ResNet18ImageNet, Backbones.Name);
        var device = NamedOptions.Create("--device", "Where the network runs (cuda: where ONNX Runtime has its CUDA provider and a device, else the CPU, with a line saying why)", DeviceKind.Cpu);
        var output = new Option<string>("--out")
        {
            Description = $"Folder to write {FeatureFile.DataFile} (read it with any verb, e.g. train --features none), its label and feature names and images.txt to",
            Required = true,
        };
        var reader = new ReaderArguments();
        var command = new Command("features", "Write a pretrained network's features of images as feature data (Extreme Classification text) that every verb reads")
        {
            data, images, model, device, output, OutputArguments.Overwrite, Cli.Json,
        };
        reader.AddTo(command);
        command.SetAction((parse, ct) => Cli.Run(parse, () =>
        {
            var kind = parse.GetValue(model);
            if (Backbones.Pretrained(kind) is not { } network)
                throw new UsageException($"--model {Backbones.Name(kind)} is trained from scratch and has no features to write; give a pretrained network (resnet18-imagenet)");
            var dataPath = parse.GetValue(data)!;
            var imageFolder = parse.GetValue(images)!;
            using var folder = OutputArguments.Open(parse, parse.GetValue(output)!, FeatureFile.Kind, [dataPath, imageFolder, .. OutputArguments.ReaderInputs(parse, reader)]);
            var readerOptions = reader.Get(parse);
            var dataSet = ReaderArguments.ReportSkipped(AnnotationReader.Read(dataPath, readerOptions));
            var options = new ImageSourceOptions
            {
                Size = PretrainedNetworks.InputSide(network),
                Pretrained = network,
                Crop = ImageCrop.None,
                HorizontalFlip = false,
                SkipInvalid = readerOptions.SkipInvalid,
                Device = parse.GetValue(device),
            };
            var source = new ImageSource(dataSet, imageFolder, options);
            FeatureExtraction.Run(source, ct);
            int written = FeatureFile.Write(source, folder, ct);
            var summary = new
            {
                output = folder.Path,
                data = Path.Combine(folder.Path, FeatureFile.DataFile),
                model = PretrainedNetworks.Name(network),
                images = written,
                skippedImages = source.SkippedImages,
                features = PretrainedNetworks.FeatureSize(network),
                labels = source.Vocabulary.Count,
            };
            if (parse.GetValue(Cli.Json)) Cli.WriteJson(summary);
            else
                Console.WriteLine($"wrote the {summary.features} {summary.model} features of {written:N0} images ({source.SkippedImages:N0} skipped) over {summary.labels:N0} labels to {summary.data}");
            return Task.FromResult(0);
        }));
        return command;
    }
}
