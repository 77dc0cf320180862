using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;

namespace Kompox.Tests.Operations;

/// <summary>
/// A fake clock whose waits a test can see: each one-shot timer the code under test makes on it (a <c>Task.Delay</c> on
/// the clock makes one) is announced, so the test moves the clock exactly when the code waits, instead of guessing with
/// real delays how long the code needs to get there. Periodic timers (the Lease's renewal ticker) are not waits of the
/// work: they tick as the clock passes their due time, and a test that wants a tick moves the clock itself.
/// </summary>
internal sealed class SteppedClock : TimeProvider
{
    /// <summary>How long, in real time, a wait the code under test should start may take to come before the test fails.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly Channel<TimeSpan> waits = Channel.CreateUnbounded<TimeSpan>();

    // A read left waiting when the work ended is kept for the next call: dropped, it would swallow the next wait.
    private Task<TimeSpan>? pending;

    public SteppedClock(FakeTimeProvider fake)
    {
        Fake = fake;
    }

    public FakeTimeProvider Fake { get; }

    public override DateTimeOffset GetUtcNow() => Fake.GetUtcNow();

    public override long GetTimestamp() => Fake.GetTimestamp();

    public override long TimestampFrequency => Fake.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => Fake.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = Fake.CreateTimer(callback, state, dueTime, period);
        if (period == Timeout.InfiniteTimeSpan || period == TimeSpan.Zero)
        {
            waits.Writer.TryWrite(dueTime);
        }

        return timer;
    }

    /// <summary>
    /// Awaits the next wait the code under test starts on the clock, without moving the clock: once it returns, the code
    /// is waiting (e.g. a waiter between two reads of a Lease). Fails the test when none comes within <see cref="Patience"/>.
    /// </summary>
    /// <returns>How long the code waits.</returns>
    public async Task<TimeSpan> NextWaitAsync()
    {
        var next = pending ??= waits.Reader.ReadAsync().AsTask();
        var due = await next.WaitAsync(Patience);
        pending = null;
        return due;
    }

    /// <summary>
    /// Moves the clock by each wait <paramref name="work"/> starts, until it ends or the clock has moved
    /// <paramref name="limit"/>; a wait that does not come within <see cref="Patience"/> of real time fails the test.
    /// <paramref name="whileWaiting"/> runs each time the work waits, before the clock moves (another party's writes at
    /// that time).
    /// </summary>
    /// <returns>How far the clock moved.</returns>
    public async Task<TimeSpan> StepUntilAsync(Task work, TimeSpan limit, Func<TimeSpan, Task>? whileWaiting = null)
    {
        var moved = TimeSpan.Zero;
        while (!work.IsCompleted && moved < limit)
        {
            var next = pending ??= waits.Reader.ReadAsync().AsTask();
            if (await Task.WhenAny(work, next).WaitAsync(Patience) != next)
            {
                break;
            }

            pending = null;
            var due = await next.Within();
            if (due == Timeout.InfiniteTimeSpan || due <= TimeSpan.Zero)
            {
                continue;
            }

            if (whileWaiting is not null)
            {
                await whileWaiting(moved).WaitAsync(Patience);
            }

            var step = due < limit - moved ? due : limit - moved;
            Fake.Advance(step);
            moved += step;
        }

        return moved;
    }
}
