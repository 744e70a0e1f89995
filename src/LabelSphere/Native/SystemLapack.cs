using System.Runtime.InteropServices;

namespace LabelSphere.Native;

/// <summary>
/// The machine's LAPACK (liblapack.so.3, e.g. Debian's OpenBLAS or reference LAPACK), when there is one, for the one
/// driver libtorch does not export: dsyevr, which computes a chosen range of eigenpairs in place, with workspace
/// linear in n. libtorch's eigh (syevd) computes every eigenvector and needs 2n² of workspace on top of its copy of
/// the matrix and the n × n vectors.
/// </summary>
internal static unsafe class SystemLapack
{
    static readonly Lazy<IntPtr> Syevr = new(Load);

    static IntPtr Load()
    {
        foreach (var name in new[] { "liblapack.so.3", "liblapack.so", "liblapack.dylib" })
            if (NativeLibrary.TryLoad(name, out var library) && NativeLibrary.TryGetExport(library, "dsyevr_", out var symbol))
                return symbol;
        return IntPtr.Zero;
    }

    /// <summary>Whether dsyevr was found.</summary>
    public static bool Available => Syevr.Value != IntPtr.Zero;

    /// <summary>
    /// The eigenpairs <paramref name="first"/>..n−1 (0-based, in ascending order of eigenvalue) of the symmetric
    /// matrix <paramref name="matrix"/> ([n, n], either triangle read), which is overwritten.
    /// </summary>
    /// <returns>Values [count] ascending, and vectors [count, n]: row c the unit eigenvector of Values[c].</returns>
    public static (double[] Values, double[] Vectors) TopEigenpairs(double[] matrix, int n, int first)
    {
        if (!Available) throw new InvalidOperationException("no system LAPACK with dsyevr");
        if ((long)matrix.Length != (long)n * n) throw new ArgumentException($"matrix has {matrix.Length} values, not {n} × {n}");
        int count = n - first;
        var values = new double[n];
        var vectors = new double[(long)count * n];
        var support = new int[2 * Math.Max(1, count)];
        byte jobz = (byte)'V', range = (byte)'I', uplo = (byte)'L';
        int lda = n, il = first + 1, iu = n, found = 0, ldz = n, info = 0;
        double vl = 0, vu = 0, abstol = 0;
        // Workspace query first, as LAPACK asks.
        double workSize = 0;
        int iworkSize = 0, query = -1;
        var call = (delegate* unmanaged<byte*, byte*, byte*, int*, double*, int*, double*, double*, int*, int*, double*, int*, double*, double*,
                                        int*, int*, double*, int*, int*, int*, int*, nint, nint, nint, void>)Syevr.Value;
        fixed (double* a = matrix, w = values, z = vectors)
        fixed (int* isuppz = support)
        {
            call(&jobz, &range, &uplo, &n, a, &lda, &vl, &vu, &il, &iu, &abstol, &found, w, z, &ldz, isuppz, &workSize, &query, &iworkSize, &query, &info, 1, 1, 1);
            if (info != 0) throw new InvalidOperationException($"LAPACK dsyevr workspace query failed (info {info})");
            int lwork = (int)workSize, liwork = iworkSize;
            var work = new double[Math.Max(1, lwork)];
            var iwork = new int[Math.Max(1, liwork)];
            fixed (double* pw = work)
            fixed (int* pi = iwork)
                call(&jobz, &range, &uplo, &n, a, &lda, &vl, &vu, &il, &iu, &abstol, &found, w, z, &ldz, isuppz, pw, &lwork, pi, &liwork, &info, 1, 1, 1);
            if (info != 0) throw new InvalidOperationException($"LAPACK dsyevr failed (info {info})");
        }
        if (found != count) throw new InvalidOperationException($"LAPACK dsyevr found {found} eigenpairs of the {count} asked for");
        return (values[..count], vectors);
    }
}
