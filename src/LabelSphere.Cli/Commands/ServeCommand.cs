using System.CommandLine;
using LabelSphere.Serve;

namespace LabelSphere.Cli.Commands;

/// <summary><c>labelsphere serve</c>: a model behind HTTP (POST /predict, GET /labels, GET /health, OpenAPI at /openapi).</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var defaults = new ServeOptions();
        var modelFolder = new Argument<string>("model") { Description = "Model folder written by 'labelsphere train' (its --out folder, or the model/ folder inside it); a model of feature vectors" };
        var port = new Option<int>("--port") { Description = "The TCP port to listen on (0: any free port)", DefaultValueFactory = _ => defaults.Port }.Between(0, 65535);
        var host = new Option<string>("--host") { Description = "The address to listen on: 127.0.0.1 for this machine only, 0.0.0.0 for every interface", DefaultValueFactory = _ => defaults.Host };
        var maxInstances = new Option<int>("--max-instances") { Description = "Instances one request may hold (more: 413)", DefaultValueFactory = _ => defaults.MaxInstances }.AtLeast(1);
        var maxBytes = new Option<long>("--max-request-bytes") { Description = "Bytes one request body may hold (more: 413)", DefaultValueFactory = _ => defaults.MaxRequestBytes }.AtLeast(1);
        var command = new Command("serve",
            "Serve a model over HTTP on Kestrel: POST /predict ranks labels for dense or sparse feature vectors (concurrent requests batched), GET /labels, GET /health, OpenAPI at /openapi; Ctrl+C stops it")
        {
            modelFolder, port, host, maxInstances, maxBytes,
        };
        command.SetAction((parse, ct) => Cli.Run(parse, async () =>
        {
            var hostName = parse.GetValue(host)!;
            if (!System.Net.IPAddress.TryParse(hostName, out _)) throw new ArgumentException($"'{hostName}' is not an IP address (e.g. 127.0.0.1 or 0.0.0.0)", "Host");
            var options = new ServeOptions
            {
                Port = parse.GetValue(port),
                Host = hostName,
                MaxInstances = parse.GetValue(maxInstances),
                MaxRequestBytes = parse.GetValue(maxBytes),
            };
            options = options with { MaxBatch = Math.Max(options.MaxBatch, options.MaxInstances) };
            using var classifier = LabelClassifier.Load(parse.GetValue(modelFolder)!);
            await using var service = LabelService.Create(classifier, options);
            await service.StartAsync(ct);
            Console.Error.WriteLine($"serving {classifier.Folder} ({classifier.Vocabulary.Count:N0} labels, {(classifier.FeatureCount is { } features ? $"{features:N0} features" : "images")}) on {service.Address}; POST /predict, GET /labels, GET /health, GET /openapi; Ctrl+C stops");
            try
            {
                await service.WaitForShutdownAsync(ct);
            }
            catch (OperationCanceledException)
            {
            }
            Console.Error.WriteLine("stopped");
            return 0;
        }));
        return command;
    }
}
