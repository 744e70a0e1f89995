using BenchmarkDotNet.Running;
using LabelSphere.Benchmarks;

// `ablation <annotations> [--dim K]` measures the PMI choices (docs/embedding.md); anything else goes to BenchmarkDotNet.
if (args.Length > 0 && args[0] == "ablation") return Ablation.Run(args[1..]);
BenchmarkSwitcher.FromAssembly(typeof(Ablation).Assembly).Run(args);
return 0;
