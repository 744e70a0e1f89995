using System.Buffers.Binary;
using System.Text;

namespace LabelSphere.Native;

/// <summary>
/// Marks version requirements of an ELF64 little-endian shared object as weak (VER_FLG_WEAK in its
/// <c>.gnu.version_r</c> entry), so that the dynamic loader accepts a system library that lacks that version.
/// </summary>
internal static class ElfVersionPatcher
{
    const uint ShtGnuVerneed = 0x6ffffffe;
    const ushort VerFlgWeak = 0x2;

    /// <summary>Lists the version names the object requires, with the library each comes from.</summary>
    public static IReadOnlyList<(string Library, string Version, bool Weak)> ListRequirements(ReadOnlySpan<byte> elf)
    {
        var result = new List<(string, string, bool)>();
        Walk(elf, (file, name, flagsOffset, flags) => result.Add((file, name, (flags & VerFlgWeak) != 0)));
        return result;
    }

    /// <summary>
    /// Sets the weak flag on every requirement whose version name is in <paramref name="versions"/>.
    /// Returns how many entries changed; the buffer is edited in place.
    /// </summary>
    public static int MarkWeak(byte[] elf, IReadOnlySet<string> versions)
    {
        var offsets = new List<int>();
        Walk(elf, (_, name, flagsOffset, flags) =>
        {
            if (versions.Contains(name) && (flags & VerFlgWeak) == 0) offsets.Add(flagsOffset);
        });
        foreach (var at in offsets)
        {
            var flags = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(at));
            BinaryPrimitives.WriteUInt16LittleEndian(elf.AsSpan(at), (ushort)(flags | VerFlgWeak));
        }
        return offsets.Count;
    }

    delegate void Visit(string library, string version, int flagsOffset, ushort flags);

    static void Walk(ReadOnlySpan<byte> elf, Visit visit)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (elf[4] != 2 || elf[5] != 1)
            throw new InvalidDataException("only 64-bit little-endian ELF files are supported");

        long shoff = (long)BinaryPrimitives.ReadUInt64LittleEndian(elf[0x28..]);
        int shentsize = BinaryPrimitives.ReadUInt16LittleEndian(elf[0x3A..]);
        int shnum = BinaryPrimitives.ReadUInt16LittleEndian(elf[0x3C..]);

        for (int s = 0; s < shnum; s++)
        {
            var sh = elf.Slice(checked((int)(shoff + (long)s * shentsize)), shentsize);
            if (BinaryPrimitives.ReadUInt32LittleEndian(sh[4..]) != ShtGnuVerneed) continue;
            int offset = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(sh[0x18..]));
            int link = (int)BinaryPrimitives.ReadUInt32LittleEndian(sh[0x28..]);
            int count = (int)BinaryPrimitives.ReadUInt32LittleEndian(sh[0x2C..]); // sh_info: number of entries
            var strtab = elf.Slice(checked((int)(shoff + (long)link * shentsize)), shentsize);
            int strOffset = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(strtab[0x18..]));

            int need = offset;
            for (int n = 0; n < count; n++)
            {
                int auxCount = BinaryPrimitives.ReadUInt16LittleEndian(elf[(need + 2)..]);
                string file = ReadString(elf, strOffset + (int)BinaryPrimitives.ReadUInt32LittleEndian(elf[(need + 4)..]));
                int aux = need + (int)BinaryPrimitives.ReadUInt32LittleEndian(elf[(need + 8)..]);
                for (int a = 0; a < auxCount; a++)
                {
                    ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(elf[(aux + 4)..]);
                    string name = ReadString(elf, strOffset + (int)BinaryPrimitives.ReadUInt32LittleEndian(elf[(aux + 8)..]));
                    visit(file, name, aux + 4, flags);
                    aux += (int)BinaryPrimitives.ReadUInt32LittleEndian(elf[(aux + 12)..]);
                }
                int next = (int)BinaryPrimitives.ReadUInt32LittleEndian(elf[(need + 12)..]);
                if (next == 0) break;
                need += next;
            }
        }
    }

    static string ReadString(ReadOnlySpan<byte> elf, int at)
    {
        int end = elf[at..].IndexOf((byte)0);
        return Encoding.ASCII.GetString(elf.Slice(at, end));
    }
}
