namespace Kompox;

/// <summary>Passes reads and writes through to another stream, reporting the share of <c>total</c> bytes done in whole percent.</summary>
internal sealed class ProgressStream : Stream
{
    private readonly Stream inner;
    private readonly long? total;
    private readonly string activity;
    private readonly string status;
    private readonly IProgress<OperationProgress> progress;
    private long done;
    private int? reported;

    /// <param name="total">Bytes expected; null when unknown, and then only the bytes done are reported.</param>
    public ProgressStream(Stream inner, long? total, string activity, string status, IProgress<OperationProgress> progress)
    {
        this.inner = inner;
        this.total = total;
        this.activity = activity;
        this.status = status;
        this.progress = progress;
        progress.Report(new OperationProgress(activity, status, total is null ? null : 0));
    }

    public override bool CanRead => inner.CanRead;

    public override bool CanSeek => false;

    public override bool CanWrite => inner.CanWrite;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => done;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Count(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count)
    {
        inner.Write(buffer, offset, count);
        Count(count);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        Count(buffer.Length);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    private int Count(int bytes)
    {
        done += bytes;

        // Archive headers make the bytes done exceed the files' total a little; the bar stops at 100.
        int? percent = total is > 0 ? (int)Math.Min(100, done * 100 / total.Value) : null;
        if (bytes > 0 && (percent is null ? done % (1 << 24) < bytes : percent != reported))
        {
            reported = percent;
            progress.Report(new OperationProgress(activity, $"{status}: {done} bytes", percent));
        }

        return bytes;
    }
}
