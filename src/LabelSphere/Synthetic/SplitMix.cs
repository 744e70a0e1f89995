namespace LabelSphere.Synthetic;

/// <summary>
/// A small counter-based random generator (SplitMix64): each instance gets its own stream from (seed, split,
/// index), so a world's bytes do not depend on how many threads made it.
/// </summary>
internal struct SplitMix
{
    ulong state;
    double? spare;

    public SplitMix(long seed, int split, long index)
    {
        // Each part goes through the finaliser before it is combined: adding raw multiples of the stream increment
        // would make instance i's stream the shifted stream of instance i + 1.
        state = Mix(Mix(Mix((ulong)seed) ^ (ulong)split) ^ (ulong)index);
        spare = null;
    }

    static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ z >> 30) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ z >> 27) * 0x94D049BB133111EBUL;
        return z ^ z >> 31;
    }

    public ulong Next()
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ z >> 30) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ z >> 27) * 0x94D049BB133111EBUL;
        return z ^ z >> 31;
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, n).</summary>
    public int NextInt(int n) => (int)(NextDouble() * n);

    /// <summary>Standard normal (Box–Muller, the second value kept for the next call).</summary>
    public double NextGaussian()
    {
        if (spare is { } s)
        {
            spare = null;
            return s;
        }
        double u = 1.0 - NextDouble(), v = NextDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(u));
        spare = r * Math.Sin(2 * Math.PI * v);
        return r * Math.Cos(2 * Math.PI * v);
    }

    /// <summary>Poisson(λ): Knuth's product method below 30, a rounded normal approximation above.</summary>
    public int NextPoisson(double lambda)
    {
        if (lambda <= 0) return 0;
        if (lambda >= 30) return Math.Max(0, (int)Math.Round(lambda + Math.Sqrt(lambda) * NextGaussian()));
        double limit = Math.Exp(-lambda), product = NextDouble();
        int k = 0;
        while (product > limit)
        {
            k++;
            product *= NextDouble();
        }
        return k;
    }
}

/// <summary>Walker's alias table: draws index i with probability weight[i] / Σ weight in constant time.</summary>
internal sealed class AliasTable
{
    readonly double[] probability;
    readonly int[] alias;
    readonly int[] items;

    public AliasTable(IReadOnlyList<int> items, Func<int, double> weight)
    {
        int n = items.Count;
        if (n == 0) throw new ArgumentException("an alias table needs at least one item");
        this.items = [.. items];
        probability = new double[n];
        alias = new int[n];
        double total = 0;
        for (int i = 0; i < n; i++) total += weight(items[i]);
        var scaled = new double[n];
        var small = new Stack<int>();
        var large = new Stack<int>();
        for (int i = 0; i < n; i++)
        {
            scaled[i] = weight(items[i]) * n / total;
            (scaled[i] < 1 ? small : large).Push(i);
        }
        while (small.Count > 0 && large.Count > 0)
        {
            int s = small.Pop(), l = large.Pop();
            probability[s] = scaled[s];
            alias[s] = l;
            scaled[l] -= 1 - scaled[s];
            (scaled[l] < 1 ? small : large).Push(l);
        }
        while (large.Count > 0) probability[large.Pop()] = 1;
        while (small.Count > 0) probability[small.Pop()] = 1;
    }

    public int Draw(ref SplitMix random)
    {
        int i = random.NextInt(probability.Length);
        return items[random.NextDouble() < probability[i] ? i : alias[i]];
    }
}
