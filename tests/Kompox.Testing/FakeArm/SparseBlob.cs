using System.Buffers.Binary;

namespace Kompox.Testing.FakeArm;

/// <summary>A page blob's bytes in memory, kept as the 64 KiB blocks that were ever written with something other than zeros.</summary>
public sealed class SparseBlob
{
    private const int Block = 64 * 1024;
    private readonly Dictionary<long, byte[]> blocks;

    public SparseBlob(long length)
        : this(length, new Dictionary<long, byte[]>())
    {
    }

    private SparseBlob(long length, Dictionary<long, byte[]> blocks)
    {
        Length = length;
        this.blocks = blocks;
    }

    public long Length { get; }

    public int StoredBlocks
    {
        get
        {
            lock (blocks)
            {
                return blocks.Count;
            }
        }
    }

    public SparseBlob Clone()
    {
        lock (blocks)
        {
            return new SparseBlob(Length, blocks.ToDictionary(b => b.Key, b => (byte[])b.Value.Clone()));
        }
    }

    /// <summary>The bytes at <paramref name="offset"/>, for callers that cannot pass a span (PowerShell).</summary>
    public byte[] Read(long offset, int count)
    {
        var bytes = new byte[count];
        Read(offset, bytes);
        return bytes;
    }

    public void Read(long offset, Span<byte> into)
    {
        lock (blocks)
        {
            for (var done = 0; done < into.Length;)
            {
                var at = offset + done;
                var within = (int)(at % Block);
                var count = Math.Min(Block - within, into.Length - done);
                if (blocks.TryGetValue(at / Block, out var block))
                {
                    block.AsSpan(within, count).CopyTo(into.Slice(done, count));
                }
                else
                {
                    into.Slice(done, count).Clear();
                }

                done += count;
            }
        }
    }

    /// <summary>Writes the bytes; an empty <paramref name="data"/> of <paramref name="clearLength"/> clears instead.</summary>
    public void Write(long offset, ReadOnlySpan<byte> data, int clearLength = 0)
    {
        var length = data.IsEmpty ? clearLength : data.Length;
        lock (blocks)
        {
            for (var done = 0; done < length;)
            {
                var at = offset + done;
                var within = (int)(at % Block);
                var count = Math.Min(Block - within, length - done);
                if (!blocks.TryGetValue(at / Block, out var block))
                {
                    if (data.IsEmpty || data.Slice(done, count).IndexOfAnyExcept((byte)0) < 0)
                    {
                        done += count;
                        continue;
                    }

                    block = blocks[at / Block] = new byte[Block];
                }

                if (data.IsEmpty)
                {
                    block.AsSpan(within, count).Clear();
                }
                else
                {
                    data.Slice(done, count).CopyTo(block.AsSpan(within, count));
                }

                if (block.AsSpan().IndexOfAnyExcept((byte)0) < 0)
                {
                    blocks.Remove(at / Block);
                }

                done += count;
            }
        }
    }

    /// <summary>The 512-byte footer of a fixed VHD of <paramref name="size"/> bytes, as Azure writes it after a disk's bytes.</summary>
    public static byte[] VhdFooter(long size)
    {
        var footer = new byte[512];
        "conectix"u8.CopyTo(footer);
        BinaryPrimitives.WriteUInt32BigEndian(footer.AsSpan(8), 2);
        BinaryPrimitives.WriteUInt32BigEndian(footer.AsSpan(12), 0x00010000);
        BinaryPrimitives.WriteUInt64BigEndian(footer.AsSpan(16), ulong.MaxValue);
        "win "u8.CopyTo(footer.AsSpan(28));
        BinaryPrimitives.WriteUInt32BigEndian(footer.AsSpan(36), 0x5769326B);
        BinaryPrimitives.WriteInt64BigEndian(footer.AsSpan(40), size);
        BinaryPrimitives.WriteInt64BigEndian(footer.AsSpan(48), size);
        BinaryPrimitives.WriteUInt32BigEndian(footer.AsSpan(60), 2);
        Guid.NewGuid().TryWriteBytes(footer.AsSpan(68));
        uint sum = 0;
        foreach (var b in footer)
        {
            sum += b;
        }

        BinaryPrimitives.WriteUInt32BigEndian(footer.AsSpan(64), ~sum);
        return footer;
    }
}
