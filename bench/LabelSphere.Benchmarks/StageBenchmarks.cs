using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using LabelSphere.Data;
using LabelSphere.Decoding;
using LabelSphere.Embedding;

namespace LabelSphere.Benchmarks;

// Every stage takes tens of milliseconds to tens of seconds, so each benchmark runs as a macro-benchmark: one call per
// iteration, one warm-up and a few measured iterations (RunStrategy.Monitoring), which keeps the whole suite to a
// few minutes on two cores. Inputs are built in [GlobalSetup] and are not timed.

/// <summary>Co-occurrence counting of an in-memory label matrix: 200,000 instances, about 8 labels each.</summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, warmupCount: 1, iterationCount: 7)]
public class CooccurrenceBenchmarks
{
    [Params(1000, 5000)]
    public int Labels { get; set; }

    LabelVocabulary vocabulary = null!;
    LabelMatrix labels = null!;

    [GlobalSetup]
    public void Setup()
    {
        labels = Workloads.Matrix(Labels);
        vocabulary = SyntheticLabels.Vocabulary(Labels);
    }

    [Benchmark]
    public CooccurrenceCounts Count() => CooccurrenceCounts.Count(vocabulary, labels);
}

/// <summary>The dense PMI matrix from co-occurrence counts, default options.</summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, warmupCount: 1, iterationCount: 7)]
public class PmiBenchmarks
{
    [Params(2000, 5000)]
    public int Labels { get; set; }

    CooccurrenceCounts counts = null!;
    readonly PmiOptions options = new();

    [GlobalSetup]
    public void Setup() => counts = Workloads.Counts(Workloads.Matrix(Labels));

    [Benchmark]
    public object Compute() => Pmi.Compute(counts, options);
}

/// <summary>Leading eigenpairs of the PMI matrix (largest by value), exact and randomized.</summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, warmupCount: 1, iterationCount: 3)]
public class EigenBenchmarks
{
    [Params(2000, 4000)]
    public int Labels { get; set; }

    double[] pmi = null!;

    [GlobalSetup]
    public void Setup() => pmi = Workloads.Pmi(Workloads.Matrix(Labels)).Values;

    /// <summary>Full syevd through libtorch; k = 256 eigenpairs are copied out.</summary>
    [Benchmark]
    public object Exact() => SymmetricEigensolver.Decompose(pmi, Labels, 256, EigenRanking.Algebraic, EigenSolver.Exact);

    [Benchmark]
    public object Randomized64() => SymmetricEigensolver.Decompose(pmi, Labels, 64, EigenRanking.Algebraic, EigenSolver.Randomized);

    [Benchmark]
    public object Randomized256() => SymmetricEigensolver.Decompose(pmi, Labels, 256, EigenRanking.Algebraic, EigenSolver.Randomized);
}

/// <summary>Top-10 cosine decoding of 10,000 predicted vectors against 5,000 labels at k = 256.</summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, warmupCount: 1, iterationCount: 7)]
public class DecodeBenchmarks
{
    LabelEmbedding embedding = null!;
    float[] predictions = null!;

    [GlobalSetup]
    public void Setup()
    {
        var labels = Workloads.Matrix(Workloads.DecodeLabels);
        embedding = Workloads.DecodeEmbedding(labels);
        predictions = Workloads.Predictions(embedding, labels);
    }

    [Benchmark]
    public ScoredLabel[][] Decode() => TopKDecoder.Decode(embedding, predictions, Workloads.DecodeTop);
}
