using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using LabelSphere.Data;
using LabelSphere.Decoding;
using LabelSphere.Embedding;
using LabelSphere.IO;
using LabelSphere.Native;
using TorchSharp;

namespace LabelSphere.Benchmarks;

/// <summary>
/// The files the Python peer (bench/peer/peer.py) reads: the synthetic annotation sets, and LabelSphere's own
/// result of every benchmarked stage on them, so the peer can check that both sides computed the same thing.
/// </summary>
public static class PeerFiles
{
    /// <summary><c>generate &lt;dir&gt;</c>: writes every catalogue set as <c>labels{N}.txt</c> and checks it reads back identically.</summary>
    public static int Generate(string[] args)
    {
        if (args.Length != 1)
        {
            Console.Error.WriteLine("usage: generate <dir>");
            return 1;
        }
        Directory.CreateDirectory(args[0]);
        foreach (var spec in SyntheticLabels.Catalog)
        {
            var clock = Stopwatch.StartNew();
            var labels = SyntheticLabels.Generate(spec);
            var path = Path.Combine(args[0], spec.Name + ".txt");
            SyntheticLabels.WriteExtremeText(path, labels);
            if (!SyntheticLabels.SameRows(labels, SyntheticLabels.ReadExtremeText(path)))
            {
                Console.Error.WriteLine($"{path}: does not read back as the rows written");
                return 1;
            }
            int used = 0;
            foreach (var c in labels.LabelCounts()) if (c > 0) used++;
            Console.WriteLine($"{path}: {labels.Rows} instances, {labels.Columns} labels ({used} used), " +
                              $"{(double)labels.NonZeros / labels.Rows:F2} labels per instance, {clock.Elapsed.TotalSeconds:F1} s");
        }
        return 0;
    }

    /// <summary>
    /// <c>reference &lt;dir&gt;</c>: reads the sets written by <c>generate</c> and writes, as .npy, the counts, PMI,
    /// eigenvalues and top-k decoding the benchmarks compute, plus <c>csharp-env.json</c> (threads, versions).
    /// </summary>
    public static int Reference(string[] args)
    {
        if (args.Length != 1)
        {
            Console.Error.WriteLine("usage: reference <dir>");
            return 1;
        }
        var dir = args[0];
        TorchRuntime.EnsureLoaded();
        var matrices = new Dictionary<int, LabelMatrix>();
        LabelMatrix Read(int labels)
        {
            if (matrices.TryGetValue(labels, out var m)) return m;
            var path = Path.Combine(dir, SyntheticLabels.Spec(labels).Name + ".txt");
            m = SyntheticLabels.ReadExtremeText(path);
            if (!SyntheticLabels.SameRows(m, Workloads.Matrix(labels)))
                throw new InvalidDataException($"{path}: differs from the set the benchmarks generate in memory; run generate again");
            return matrices[labels] = m;
        }

        foreach (var labels in new[] { 1000, 5000 })
        {
            var counts = Workloads.Counts(Read(labels));
            var dense = new int[labels * labels];
            for (int i = 0; i < labels; i++)
                for (int j = 0; j < labels; j++) dense[i * labels + j] = checked((int)counts.Pair(i, j));
            Npy.Write<int>(Path.Combine(dir, $"counts{labels}.npy"), dense, labels, labels);
            Console.WriteLine($"counts{labels}.npy: {counts.DistinctPairs()} distinct pairs");
        }
        foreach (var labels in new[] { 2000, 5000 })
            Npy.Write<double>(Path.Combine(dir, $"pmi{labels}.npy"), Workloads.Pmi(Read(labels)).Values, labels, labels);
        foreach (var labels in new[] { 2000, 4000 })
        {
            var pmi = Workloads.Pmi(Read(labels)).Values;
            var exact = SymmetricEigensolver.Decompose(pmi, labels, 8, EigenRanking.Algebraic, EigenSolver.Exact);
            Npy.Write<double>(Path.Combine(dir, $"eigen{labels}-exact-values.npy"), exact.AllValues!, labels);
            Npy.Write<double>(Path.Combine(dir, $"eigen{labels}-exact-vectors8.npy"), exact.Vectors, labels, 8);
            foreach (var k in new[] { 64, 256 })
            {
                var randomized = SymmetricEigensolver.Decompose(pmi, labels, k, EigenRanking.Algebraic, EigenSolver.Randomized);
                Npy.Write<double>(Path.Combine(dir, $"eigen{labels}-randomized{k}-values.npy"), randomized.Values, k);
            }
            Console.WriteLine($"eigen{labels}: λ1 = {exact.Values[0]:R}");
        }
        {
            var labels = Read(Workloads.DecodeLabels);
            var embedding = Workloads.DecodeEmbedding(labels);
            var predictions = Workloads.Predictions(embedding, labels);
            var decoded = TopKDecoder.Decode(embedding, predictions, Workloads.DecodeTop);
            var ids = new int[decoded.Length * Workloads.DecodeTop];
            var scores = new float[ids.Length];
            for (int r = 0; r < decoded.Length; r++)
                for (int t = 0; t < Workloads.DecodeTop; t++)
                {
                    ids[r * Workloads.DecodeTop + t] = decoded[r][t].Id;
                    scores[r * Workloads.DecodeTop + t] = decoded[r][t].Score;
                }
            Npy.Write<float>(Path.Combine(dir, "decode-units.npy"), embedding.UnitVectors, embedding.LabelCount, embedding.Dimension);
            Npy.Write<float>(Path.Combine(dir, "decode-predictions.npy"), predictions, Workloads.DecodeRows, embedding.Dimension);
            Npy.Write<int>(Path.Combine(dir, "decode-top-ids.npy"), ids, Workloads.DecodeRows, Workloads.DecodeTop);
            Npy.Write<float>(Path.Combine(dir, "decode-top-scores.npy"), scores, Workloads.DecodeRows, Workloads.DecodeTop);
            Console.WriteLine($"decode: embedding solver {embedding.Solver}, {decoded.Length} rows decoded");
        }

        var environment = new Dictionary<string, object>
        {
            ["runtime"] = RuntimeInformation.FrameworkDescription,
            ["processorCount"] = Environment.ProcessorCount,
            ["torchThreads"] = torch.get_num_threads(),
            ["torchSharp"] = typeof(torch).Assembly.GetName().Version?.ToString() ?? "?",
            ["serverGC"] = System.Runtime.GCSettings.IsServerGC,
        };
        File.WriteAllText(Path.Combine(dir, "csharp-env.json"), JsonSerializer.Serialize(environment));
        Console.WriteLine($"torch threads {torch.get_num_threads()}, {Environment.ProcessorCount} processors");
        return 0;
    }
}
