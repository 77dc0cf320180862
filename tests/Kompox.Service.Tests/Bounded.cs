namespace Kompox.Service.Tests;

/// <summary>
/// The bound on every await of work under test (ARCHITECTURE.md, "Tests"): a hang fails the test after two minutes
/// instead of stopping the run. That is far above what a request or an operation of the service takes, even on a loaded
/// machine (an operation's end was already awaited for two minutes); it is never a limit a test checks.
/// </summary>
internal static class Bounded
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);

    public static Task Within(this Task task) => task.WaitAsync(Limit);

    public static Task<T> Within<T>(this Task<T> task) => task.WaitAsync(Limit);

    public static Task Within(this ValueTask task) => task.AsTask().Within();

    public static Task<T> Within<T>(this ValueTask<T> task) => task.AsTask().Within();
}
