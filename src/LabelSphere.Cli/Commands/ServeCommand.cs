using System.CommandLine;
using System.Runtime.InteropServices;
using LabelSphere.Serve;

namespace LabelSphere.Cli.Commands;

/// <summary>
/// <c>labelsphere serve</c>: a model behind HTTP (POST /predict, GET /labels, GET /health, the embedding's queries, a
/// web page at /, OpenAPI at /openapi). SIGHUP reloads the model folder; POST /labels needs the admin token.
/// </summary>
internal static class ServeCommand
{
    /// <summary>The environment variable that may hold the admin token instead of <c>--admin-token-file</c>.</summary>
    public const string AdminTokenVariable = "LABELSPHERE_ADMIN_TOKEN";

    public static Command Create()
    {
        var defaults = new ServeOptions();
        var modelFolder = new Argument<string>("model") { Description = "Model folder written by 'labelsphere train' (its --out folder, or the model/ folder inside it); a model of feature vectors" };
        var port = new Option<int>("--port") { Description = "The TCP port to listen on (0: any free port)", DefaultValueFactory = _ => defaults.Port }.Between(0, 65535);
        var host = new Option<string>("--host") { Description = "The address to listen on: 127.0.0.1 for this machine only, 0.0.0.0 for every interface", DefaultValueFactory = _ => defaults.Host };
        var maxInstances = new Option<int>("--max-instances") { Description = "Instances one request may hold (more: 413)", DefaultValueFactory = _ => defaults.MaxInstances }.AtLeast(1);
        var maxBytes = new Option<long>("--max-request-bytes") { Description = "Bytes one request body may hold (more: 413)", DefaultValueFactory = _ => defaults.MaxRequestBytes }.AtLeast(1);
        var tokenFile = new Option<string>("--admin-token-file") { Description = $"A file holding the admin token that POST /labels requires (at least 16 characters; or set {AdminTokenVariable}); without one, POST /labels is disabled" };
        var command = new Command("serve",
            "Serve a model over HTTP on Kestrel: POST /predict ranks labels for dense or sparse feature vectors (concurrent requests batched), GET /labels, GET /health, the embedding's neighbours, arithmetic and map, a web page at /, OpenAPI at /openapi; SIGHUP reloads the model folder (labels added with add-label), POST /labels adds one with the admin token; Ctrl+C stops it")
        {
            modelFolder, port, host, maxInstances, maxBytes, tokenFile,
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
                AdminToken = AdminToken(parse.GetValue(tokenFile)),
            };
            options = options with { MaxBatch = Math.Max(options.MaxBatch, options.MaxInstances) };
            using var classifier = LabelClassifier.Load(parse.GetValue(modelFolder)!);
            await using var service = LabelService.Create(classifier, options);
            await service.StartAsync(ct);
            // SIGHUP (kill -HUP) reloads the model folder, e.g. after add-label wrote to it; it no longer stops the process.
            using var hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, signal =>
            {
                signal.Cancel = true;
                _ = Task.Run(async () =>
                {
                    try
                    {
                        var reloaded = await service.ReloadAsync(ct);
                        Console.Error.WriteLine($"reloaded {reloaded.Folder}: {reloaded.Labels:N0} labels ({reloaded.Labels - reloaded.Trained:N0} added zero-shot)");
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        Console.Error.WriteLine($"reload failed, still serving the model loaded before: {e.Message}");
                    }
                });
            });
            Console.Error.WriteLine($"serving {classifier.Folder} ({classifier.Vocabulary.Count:N0} labels, {(classifier.FeatureCount is { } features ? $"{features:N0} features" : "images")}) on {service.Address}; the page at /, POST /predict, GET /labels, GET /health, GET /openapi; "
                + (options.AdminToken is null ? "POST /labels disabled (no admin token)" : "POST /labels with the admin token") + "; SIGHUP reloads, Ctrl+C stops");
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

    // The token comes from a file (or the environment), never from the command line, where any user's ps shows it.
    static string? AdminToken(string? file)
    {
        if (file is not null)
        {
            if (!File.Exists(file)) throw new ArgumentException($"--admin-token-file: {file} does not exist");
            var token = File.ReadAllText(file).Trim();
            if (token.Length < 16 || token.Any(char.IsWhiteSpace))
                throw new ArgumentException($"--admin-token-file: {file} must hold one token of at least 16 characters, without spaces");
            return token;
        }
        var variable = Environment.GetEnvironmentVariable(AdminTokenVariable)?.Trim();
        if (string.IsNullOrEmpty(variable)) return null;
        if (variable.Length < 16 || variable.Any(char.IsWhiteSpace))
            throw new ArgumentException($"{AdminTokenVariable} must hold one token of at least 16 characters, without spaces");
        return variable;
    }
}
