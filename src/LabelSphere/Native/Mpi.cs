using System.Runtime.InteropServices;
using System.Text;

namespace LabelSphere.Native;

/// <summary>
/// The few MPI calls data-parallel training needs, bound to Debian's Open MPI (<c>libmpi.so.40</c>) at run time:
/// init and finalize, rank and size of MPI_COMM_WORLD, an in-place float32 sum all-reduce, a byte broadcast, a
/// barrier and abort. Open MPI's handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_BYTE, MPI_SUM) are the addresses of its
/// exported globals (<c>ompi_mpi_comm_world</c> and so on). Errors return to the caller (MPI_ERRORS_RETURN) and
/// become an <see cref="MpiException"/> of one line naming the call.
/// </summary>
internal sealed unsafe class Mpi : Training.ICommunicator, IDisposable
{
    const string LibraryName = "libmpi.so.40";
    const int RtldNow = 2, RtldGlobal = 0x100;
    // MPI counts are C ints; larger buffers go in chunks of this many elements.
    const int Chunk = 1 << 28;

    static readonly Lock Gate = new();
    static Mpi? world;

    readonly IntPtr comm, floatType, byteType, sum;
    readonly delegate* unmanaged<void*, void*, int, IntPtr, IntPtr, IntPtr, int> allreduce;
    readonly delegate* unmanaged<void*, int, IntPtr, int, IntPtr, int> bcast;
    readonly delegate* unmanaged<IntPtr, int> barrier;
    readonly delegate* unmanaged<IntPtr, int, int> abort;
    readonly delegate* unmanaged<int> finalize;
    readonly delegate* unmanaged<int, byte*, int*, int> errorString;
    bool finalized;

    /// <summary>This process's rank in MPI_COMM_WORLD, 0 … <see cref="Size"/> − 1.</summary>
    public int Rank { get; }

    /// <summary>The number of processes in MPI_COMM_WORLD.</summary>
    public int Size { get; }

    /// <summary>
    /// Whether this process was started by Open MPI's <c>mpirun</c> (which sets <c>OMPI_COMM_WORLD_SIZE</c>); MPI
    /// initialised outside it runs as a world of one, which is never what a caller of data-parallel training means.
    /// </summary>
    public static bool Launched => Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is not null;

    /// <summary>Whether Open MPI's library can be loaded here.</summary>
    public static bool Installed => dlopen(LibraryName, RtldNow | RtldGlobal) != IntPtr.Zero;

    /// <summary>Initialises MPI once per process (MPI cannot be initialised again after it is finalised) and returns the world.</summary>
    public static Mpi Initialize()
    {
        lock (Gate)
        {
            if (world is { finalized: false }) return world;
            if (world is not null) throw new MpiException("MPI was finalised in this process and cannot be initialised again");
            return world = new Mpi();
        }
    }

    Mpi()
    {
        // Global, so that the components Open MPI opens itself (mca_*.so) find libmpi's symbols.
        var library = dlopen(LibraryName, RtldNow | RtldGlobal);
        if (library == IntPtr.Zero)
            throw new MpiException($"{LibraryName} cannot be loaded ({Marshal.PtrToStringUTF8(dlerror()) ?? "not found"}); install Open MPI (Debian: apt-get install openmpi-bin libopenmpi-dev)");
        IntPtr Export(string name) => NativeLibrary.TryGetExport(library, name, out var address)
            ? address
            : throw new MpiException($"{LibraryName} has no {name}: it is not Open MPI 4 or later");
        comm = Export("ompi_mpi_comm_world");
        floatType = Export("ompi_mpi_float");
        byteType = Export("ompi_mpi_byte");
        sum = Export("ompi_mpi_op_sum");
        var errorsReturn = Export("ompi_mpi_errors_return");
        allreduce = (delegate* unmanaged<void*, void*, int, IntPtr, IntPtr, IntPtr, int>)Export("MPI_Allreduce");
        bcast = (delegate* unmanaged<void*, int, IntPtr, int, IntPtr, int>)Export("MPI_Bcast");
        barrier = (delegate* unmanaged<IntPtr, int>)Export("MPI_Barrier");
        abort = (delegate* unmanaged<IntPtr, int, int>)Export("MPI_Abort");
        finalize = (delegate* unmanaged<int>)Export("MPI_Finalize");
        errorString = (delegate* unmanaged<int, byte*, int*, int>)Export("MPI_Error_string");
        var init = (delegate* unmanaged<int*, byte***, int>)Export("MPI_Init");
        var rank = (delegate* unmanaged<IntPtr, int*, int>)Export("MPI_Comm_rank");
        var size = (delegate* unmanaged<IntPtr, int*, int>)Export("MPI_Comm_size");
        var setHandler = (delegate* unmanaged<IntPtr, IntPtr, int>)Export("MPI_Comm_set_errhandler");

        Check(init(null, null), "MPI_Init");
        Check(setHandler(comm, errorsReturn), "MPI_Comm_set_errhandler");
        int r, s;
        Check(rank(comm, &r), "MPI_Comm_rank");
        Check(size(comm, &s), "MPI_Comm_size");
        (Rank, Size) = (r, s);
    }

    /// <summary>Replaces <paramref name="values"/> on every rank by their element-wise sum over all ranks.</summary>
    public void AllReduceSum(Span<float> values)
    {
        ObjectDisposedException.ThrowIf(finalized, this);
        const int inPlace = 1; // MPI_IN_PLACE is ((void*)1) in Open MPI
        fixed (float* start = values)
            for (int at = 0; at < values.Length; at += Chunk)
                Check(allreduce((void*)inPlace, start + at, Math.Min(Chunk, values.Length - at), floatType, sum, comm), "MPI_Allreduce");
    }

    /// <summary>Copies <paramref name="data"/> of rank <paramref name="root"/> into <paramref name="data"/> of every other rank.</summary>
    public void Broadcast(Span<byte> data, int root)
    {
        ObjectDisposedException.ThrowIf(finalized, this);
        fixed (byte* start = data)
            for (int at = 0; at < data.Length; at += Chunk)
                Check(bcast(start + at, Math.Min(Chunk, data.Length - at), byteType, root, comm), "MPI_Bcast");
    }

    /// <summary>Returns when every rank has called it.</summary>
    public void Barrier()
    {
        ObjectDisposedException.ThrowIf(finalized, this);
        Check(barrier(comm), "MPI_Barrier");
    }

    /// <summary>Ends every process of the job with exit code <paramref name="code"/> (mpirun reports it); does not return.</summary>
    public void Abort(int code) => abort(comm, code);

    /// <summary>Finalises MPI (every rank must); the process cannot use MPI afterwards.</summary>
    public void Dispose()
    {
        lock (Gate)
        {
            if (finalized) return;
            finalized = true;
            Check(finalize(), "MPI_Finalize");
        }
    }

    void Check(int code, string call)
    {
        if (code == 0) return;
        var text = new byte[512];
        int length = 0;
        string reason;
        fixed (byte* buffer = text)
            reason = errorString is not null && errorString(code, buffer, &length) == 0
                ? Encoding.UTF8.GetString(text, 0, Math.Clamp(length, 0, text.Length))
                : $"error code {code}";
        throw new MpiException(Rank > 0 || Size > 0 ? $"{call} failed on rank {Rank} of {Size}: {reason}" : $"{call} failed: {reason}");
    }

    [DllImport("libc", EntryPoint = "dlopen")]
    static extern IntPtr dlopen(string file, int mode);

    [DllImport("libc", EntryPoint = "dlerror")]
    static extern IntPtr dlerror();
}

/// <summary>An MPI call failed, or MPI is not installed; the message is one line naming the call.</summary>
internal sealed class MpiException(string message) : Exception(message);
