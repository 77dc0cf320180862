using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;

namespace Kompox.Tests.Operations;

/// <summary>
/// A fake clock whose waits a test can see: each timer the code under test makes on it (a <c>Task.Delay</c> on the clock
/// makes one) is announced, so the test moves the clock exactly when the code waits, instead of guessing with real
/// delays how long the code needs to get there.
/// </summary>
internal sealed class SteppedClock : TimeProvider
{
    private readonly Channel<TimeSpan> waits = Channel.CreateUnbounded<TimeSpan>();

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
        waits.Writer.TryWrite(dueTime);
        return timer;
    }

    /// <summary>
    /// Moves the clock by each wait <paramref name="work"/> starts, until it ends or the clock has moved
    /// <paramref name="limit"/>; a wait that does not come within 30 s of real time fails the test.
    /// </summary>
    /// <returns>How far the clock moved.</returns>
    private Task<TimeSpan>? pending;

    public async Task<TimeSpan> StepUntilAsync(Task work, TimeSpan limit)
    {
        var moved = TimeSpan.Zero;
        while (!work.IsCompleted && moved < limit)
        {
            // A read left waiting when the work ended is kept for the next call: dropped, it would swallow the next wait.
            var next = pending ??= waits.Reader.ReadAsync().AsTask();
            if (await Task.WhenAny(work, next).WaitAsync(TimeSpan.FromSeconds(30)) != next)
            {
                break;
            }

            pending = null;
            var due = await next;
            if (due == Timeout.InfiniteTimeSpan || due <= TimeSpan.Zero)
            {
                continue;
            }

            var step = due < limit - moved ? due : limit - moved;
            Fake.Advance(step);
            moved += step;
        }

        return moved;
    }
}
