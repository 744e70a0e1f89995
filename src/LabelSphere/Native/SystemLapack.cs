using System.Numerics;
using System.Runtime.InteropServices;

namespace LabelSphere.Native;

/// <summary>
/// The machine's LAPACK (liblapack.so.3, e.g. Debian's OpenBLAS or reference LAPACK), when there is one, for the one
/// driver libtorch does not export: dsyevr (and its float32 twin ssyevr), which computes a chosen range of eigenpairs
/// in place, with workspace linear in n. libtorch's eigh (syevd) computes every eigenvector and needs 2n² of workspace on top of its copy of
/// the matrix and the n × n vectors.
/// </summary>
internal static unsafe class SystemLapack
{
    static readonly Lazy<(IntPtr Double, IntPtr Single)> Syevr = new(Load);

    static (IntPtr, IntPtr) Load()
    {
        foreach (var name in new[] { "liblapack.so.3", "liblapack.so", "liblapack.dylib" })
            if (NativeLibrary.TryLoad(name, out var library) && NativeLibrary.TryGetExport(library, "dsyevr_", out var dsyevr))
                return (dsyevr, NativeLibrary.TryGetExport(library, "ssyevr_", out var ssyevr) ? ssyevr : IntPtr.Zero);
        return (IntPtr.Zero, IntPtr.Zero);
    }

    /// <summary>Whether dsyevr was found.</summary>
    public static bool Available => Syevr.Value.Double != IntPtr.Zero;

    /// <summary>Whether ssyevr, its float32 twin, was found too.</summary>
    public static bool SingleAvailable => Syevr.Value.Single != IntPtr.Zero;

    /// <summary>
    /// The eigenpairs <paramref name="first"/>..n−1 (0-based, in ascending order of eigenvalue) of the symmetric
    /// matrix <paramref name="matrix"/> ([n, n], either triangle read), which is overwritten: dsyevr for float64,
    /// ssyevr for float32.
    /// </summary>
    /// <returns>Values [count] ascending, and vectors [count, n]: row c the unit eigenvector of Values[c].</returns>
    public static (T[] Values, T[] Vectors) TopEigenpairs<T>(Span<T> matrix, int n, int first) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        bool single = typeof(T) == typeof(float);
        if (!single && typeof(T) != typeof(double)) throw new NotSupportedException($"syevr takes float32 or float64, not {typeof(T).Name}");
        string driver = single ? "ssyevr" : "dsyevr";
        var symbol = single ? Syevr.Value.Single : Syevr.Value.Double;
        if (symbol == IntPtr.Zero) throw new InvalidOperationException($"no system LAPACK with {driver}");
        if ((long)matrix.Length != (long)n * n) throw new ArgumentException($"matrix has {matrix.Length} values, not {n} × {n}");
        int count = n - first;
        var values = new T[n];
        var vectors = new T[(long)count * n];
        var support = new int[2 * Math.Max(1, count)];
        byte jobz = (byte)'V', range = (byte)'I', uplo = (byte)'L';
        int lda = n, il = first + 1, iu = n, found = 0, ldz = n, info = 0;
        T vl = default, vu = default, abstol = default, workSize = default;
        // Workspace query first, as LAPACK asks.
        int iworkSize = 0, query = -1;
        // The float32 and float64 drivers take the same arguments, with T in place of double: one pointer type serves both.
        var call = (delegate* unmanaged<byte*, byte*, byte*, int*, T*, int*, T*, T*, int*, int*, T*, int*, T*, T*,
                                        int*, int*, T*, int*, int*, int*, int*, nint, nint, nint, void>)symbol;
        fixed (T* a = matrix, w = values, z = vectors)
        fixed (int* isuppz = support)
        {
            call(&jobz, &range, &uplo, &n, a, &lda, &vl, &vu, &il, &iu, &abstol, &found, w, z, &ldz, isuppz, &workSize, &query, &iworkSize, &query, &info, 1, 1, 1);
            if (info != 0) throw new InvalidOperationException($"LAPACK {driver} workspace query failed (info {info})");
            int lwork = int.CreateTruncating(workSize), liwork = iworkSize;
            var work = new T[Math.Max(1, lwork)];
            var iwork = new int[Math.Max(1, liwork)];
            fixed (T* pw = work)
            fixed (int* pi = iwork)
                call(&jobz, &range, &uplo, &n, a, &lda, &vl, &vu, &il, &iu, &abstol, &found, w, z, &ldz, isuppz, pw, &lwork, pi, &liwork, &info, 1, 1, 1);
            if (info != 0) throw new InvalidOperationException($"LAPACK {driver} failed (info {info})");
        }
        if (found != count) throw new InvalidOperationException($"LAPACK {driver} found {found} eigenpairs of the {count} asked for");
        return (values[..count], vectors);
    }
}
