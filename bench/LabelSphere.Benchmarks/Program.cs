using BenchmarkDotNet.Running;
using LabelSphere.Benchmarks;

// `ablation <annotations> [--dim K]` measures the PMI choices (docs/embedding.md); anything else goes to BenchmarkDotNet.
if (args.Length > 0 && args[0] == "ablation") return Ablation.Run(args[1..]);
// `generate <dir>` and `reference <dir>` write the files the Python peer reads (bench/run.sh, docs/benchmarks.md).
if (args.Length > 0 && args[0] == "generate") return PeerFiles.Generate(args[1..]);
if (args.Length > 0 && args[0] == "reference") return PeerFiles.Reference(args[1..]);
// `serve-load <model> <data>` runs the HTTP service on loopback under concurrent clients (docs/deploy.md).
if (args.Length > 0 && args[0] == "serve-load") return ServeLoad.Run(args[1..]);
// `extract` measures images per second of ResNet-18 feature extraction, ONNX Runtime against TorchSharp (bench/extract.sh).
if (args.Length > 0 && args[0] == "extract") return ExtractionThroughput.Run(args[1..]);
// `serve-page <model> <data> <out>` screenshots the service's page in chromium (docs/figures/serve-*.png).
// `train-step` measures examples per second of training steps against PyTorch (bench/train_step.sh).
if (args.Length > 0 && args[0] == "train-step") return TrainStep.Run(args[1..]);
// `layer-step` measures each layer of the small CNN, forward and backward, against PyTorch (bench/layer_step.sh).
if (args.Length > 0 && args[0] == "layer-step") return LayerStep.Run(args[1..]);
if (args.Length > 0 && args[0] == "serve-page") return ServePage.Run(args[1..]);
BenchmarkSwitcher.FromAssembly(typeof(Ablation).Assembly).Run(args);
return 0;
