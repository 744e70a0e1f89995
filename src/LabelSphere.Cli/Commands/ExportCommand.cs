using System.CommandLine;
using LabelSphere.Onnx;
using Spectre.Console;

namespace LabelSphere.Cli.Commands;

/// <summary><c>labelsphere export</c>: a trained model as one ONNX graph, from raw feature vectors (or RGB pixels) to the top-p labels.</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var modelFolder = new Argument<string>("model") { Description = "Model folder written by 'labelsphere train' (its --out folder, or the model/ folder inside it)" };
        var output = new Option<string>("--out") { Description = "The ONNX file to write (e.g. model.onnx)", Required = true };
        var top = Cli.TopOption("How many labels the graph's top_* outputs give each instance", 5);
        var command = new Command("export",
            "Write a model as one ONNX graph: raw feature vectors [batch, features] in (feature scaling, body and head inside), or for a model of the resnet18-imagenet backbone (frozen or fine-tuned) RGB pixels [batch, 224, 224, 3] (the network inside); every label's score and the top labels out; label names in its metadata")
        {
            modelFolder, output, top, OutputArguments.Overwrite, Cli.Json,
        };
        command.SetAction((parse, ct) => Cli.Run(parse, () =>
        {
            var path = parse.GetValue(output)!;
            OnnxExportResult result;
            try
            {
                result = OnnxExport.Export(parse.GetValue(modelFolder)!, path, parse.GetValue(top), parse.GetValue(OutputArguments.Overwrite));
            }
            catch (OnnxTargetExistsException e)
            {
                throw new IOException($"{e.Path} already exists; replace it with --overwrite, or choose another --out", e);
            }
            catch (ArgumentException e) when (e.ParamName == "output")
            {
                throw new IOException($"--out: {e.Message.Split(" (Parameter")[0]}", e);
            }
            if (parse.GetValue(Cli.Json)) Cli.WriteJson(result);
            else Cli.Err.MarkupLineInterpolated($"wrote {result.Path}: {(result.Features is { } features ? $"{features:N0} features" : $"RGB images of {result.ImageSide}×{result.ImageSide} pixels")} in, {result.Labels:N0} label scores and the top {result.Top} out ({result.Bytes / 1024.0:N0} KB)");
            return Task.FromResult(0);
        }));
        return command;
    }
}
