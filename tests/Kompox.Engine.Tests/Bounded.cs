namespace Kompox.Tests;

/// <summary>
/// The bound on every await of work under test (ARCHITECTURE.md, "Tests"): work that hangs fails the test after a minute
/// instead of hanging the suite. A minute is far above what any step takes, even on a loaded machine; it is never a
/// limit a test checks. <c>ArchitectureTests</c> holds the tests to it.
/// </summary>
internal static class Bounded
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(1);

    /// <summary>Work under test that hangs fails the test after a minute instead of hanging the suite.</summary>
    public static Task<T> Within<T>(this Task<T> work) => work.WaitAsync(Limit);

    /// <inheritdoc cref="Within{T}(Task{T})"/>
    public static Task Within(this Task work) => work.WaitAsync(Limit);

    /// <inheritdoc cref="Within{T}(Task{T})"/>
    public static Task<T> Within<T>(this ValueTask<T> work) => work.AsTask().Within();

    /// <inheritdoc cref="Within{T}(Task{T})"/>
    public static Task Within(this ValueTask work) => work.AsTask().Within();

    /// <summary>Completes when <paramref name="token"/> is cancelled (e.g. a Lease's Lost); fails the test after a minute.</summary>
    public static Task WhenCancelled(this CancellationToken token) => Task.Delay(Timeout.Infinite, token).ContinueWith(_ => { }, TaskScheduler.Default).Within();
}
