using System.Collections.Concurrent;
using System.Management.Automation;

namespace Kompox.Cmdlets;

/// <summary>
/// What a long engine operation tells the user while it runs, from any thread. The cmdlets map it to
/// Write-Progress and Write-Verbose; a REST front end would map it to its own events.
/// </summary>
public interface IKompoxReporter
{
    /// <summary>An activity is under way. <paramref name="percentComplete"/> is 0-100, or -1 when the total is unknown.</summary>
    void Progress(string activity, string status, int percentComplete = -1);

    /// <summary>The activity is over; its progress bar goes away.</summary>
    void Completed(string activity);

    /// <summary>What is read or sent where: shown with -Verbose.</summary>
    void Message(string text);

    /// <summary>Something the user should know that does not stop the work: a warning.</summary>
    void Warning(string text);
}

/// <summary>
/// Base of cmdlets whose work is asynchronous (engine operations that read files, call Kubernetes or a cloud).
/// Each of <see cref="BeginProcessingAsync"/>, <see cref="ProcessRecordAsync"/> and <see cref="EndProcessingAsync"/>
/// runs on the pipeline thread under a single-threaded SynchronizationContext that the thread pumps until the step
/// completes, so continuations after <c>await</c> come back to the pipeline thread, where WriteObject, WriteError,
/// WriteVerbose, WriteWarning and WriteProgress may be called. Ctrl+C (<see cref="StopProcessing"/>) cancels the
/// token the steps get; an <see cref="OperationCanceledException"/> after it ends the cmdlet as a stopped pipeline.
/// </summary>
public abstract class KompoxAsyncCmdlet : KompoxCmdlet, IDisposable
{
    private readonly CancellationTokenSource stopping = new();
    private readonly Dictionary<string, int> activities = new(StringComparer.Ordinal);
    private PipelineContext? current;

    protected KompoxAsyncCmdlet() => Reporter = new PipelineReporter(this);

    /// <summary>Reports progress and messages from any thread to this cmdlet's progress and verbose streams.</summary>
    protected IKompoxReporter Reporter { get; }

    protected virtual Task BeginProcessingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    protected virtual Task ProcessRecordAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    protected virtual Task EndProcessingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Releases what the invocation held (its engine context and the clients in it): after the last step, or when the pipeline is stopped.</summary>
    protected virtual ValueTask CleanUpAsync() => ValueTask.CompletedTask;

    protected sealed override void BeginProcessing() => Run(BeginProcessingAsync);

    protected sealed override void ProcessRecord() => Run(ProcessRecordAsync);

    protected sealed override void EndProcessing()
    {
        try
        {
            Run(EndProcessingAsync);
        }
        finally
        {
            CleanUp();
        }

        foreach (var activity in activities.Keys.ToList())
        {
            CompleteActivity(activity);
        }
    }

    /// <summary>Called by PowerShell on another thread when the pipeline is stopped (Ctrl+C).</summary>
    protected sealed override void StopProcessing() => stopping.Cancel();

    /// <summary>PowerShell disposes the cmdlet when its pipeline ends, also when it was stopped or failed before EndProcessing.</summary>
    public void Dispose()
    {
        CleanUp();
        stopping.Dispose();
        GC.SuppressFinalize(this);
    }

    private bool cleanedUp;

    private void CleanUp()
    {
        if (cleanedUp)
        {
            return;
        }

        cleanedUp = true;
        CleanUpAsync().AsTask().GetAwaiter().GetResult();
    }

    private void Run(Func<CancellationToken, Task> step)
    {
        var previous = SynchronizationContext.Current;
        var context = new PipelineContext();
        current = context;
        SynchronizationContext.SetSynchronizationContext(context);
        try
        {
            Task task;
            try
            {
                task = step(stopping.Token);
            }
            catch (Exception e)
            {
                task = Task.FromException(e);
            }

            task.ContinueWith(_ => context.Complete(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            context.Pump();
            task.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // What PowerShell expects of a cmdlet stopped by Ctrl+C: no error record, the pipeline just ends.
            throw new PipelineStoppedException();
        }
        finally
        {
            current = null;
            SynchronizationContext.SetSynchronizationContext(previous);
            context.Dispose();
        }
    }

    /// <summary>Runs <paramref name="action"/> on the pipeline thread: now when called there, else posted to the running step.</summary>
    private void OnPipeline(Action action)
    {
        var context = current;
        if (context is null || context.IsPumpThread)
        {
            action();
        }
        else
        {
            // Reports from background work (a lease renewal, a request handler) may come after the step ended: they are dropped.
            context.TryPost(_ => action(), null);
        }
    }

    private void WriteActivity(string activity, string status, int percentComplete)
    {
        if (!activities.TryGetValue(activity, out var id))
        {
            id = activities.Count + 1;
            activities[activity] = id;
        }

        WriteProgress(new ProgressRecord(id, activity, string.IsNullOrEmpty(status) ? activity : status) { PercentComplete = Math.Clamp(percentComplete, -1, 100) });
    }

    private void CompleteActivity(string activity)
    {
        if (activities.Remove(activity, out var id))
        {
            WriteProgress(new ProgressRecord(id, activity, "Completed") { RecordType = ProgressRecordType.Completed });
        }
    }

    /// <summary>
    /// Reports written on the pipeline thread. Once the pipeline is being stopped, PowerShell refuses every write with
    /// PipelineStoppedException; a report is advisory, so it is dropped then. Thrown out of a posted callback, that
    /// exception would end the pump while the step still unwinds (releasing the app's Lease), and the release would
    /// run on with nobody waiting for it.
    /// </summary>
    private sealed class PipelineReporter(KompoxAsyncCmdlet cmdlet) : IKompoxReporter
    {
        public void Progress(string activity, string status, int percentComplete = -1) =>
            cmdlet.OnPipeline(Dropped(() => cmdlet.WriteActivity(activity, status, percentComplete)));

        public void Completed(string activity) => cmdlet.OnPipeline(Dropped(() => cmdlet.CompleteActivity(activity)));

        public void Message(string text) => cmdlet.OnPipeline(Dropped(() => cmdlet.WriteVerbose(text)));

        public void Warning(string text) => cmdlet.OnPipeline(Dropped(() => cmdlet.WriteWarning(text)));

        private static Action Dropped(Action write) => () =>
        {
            try
            {
                write();
            }
            catch (PipelineStoppedException)
            {
                // The pipeline is stopping: the report has nowhere to go.
            }
        };
    }

    /// <summary>A single-threaded context: callbacks posted from any thread run, in order, on the thread that pumps it.</summary>
    private sealed class PipelineContext : SynchronizationContext, IDisposable
    {
        private readonly BlockingCollection<(SendOrPostCallback Callback, object? State)> queue = new();
        private readonly int pumpThread = Environment.CurrentManagedThreadId;
        private readonly object gate = new();
        private bool completed;

        public bool IsPumpThread => Environment.CurrentManagedThreadId == pumpThread;

        /// <summary>Queues the callback for the pump; false, and the callback dropped, once the step has completed.</summary>
        public bool TryPost(SendOrPostCallback d, object? state)
        {
            lock (gate)
            {
                return !completed && queue.TryAdd((d, state));
            }
        }

        // A continuation that arrives after the step completed belongs to a task the step did not await; throwing here
        // would fault a thread-pool thread and end the process, so it runs on the pool instead, off the pipeline.
        public override void Post(SendOrPostCallback d, object? state)
        {
            if (!TryPost(d, state))
            {
                ThreadPool.QueueUserWorkItem(_ => d(state));
            }
        }

        public override void Send(SendOrPostCallback d, object? state)
        {
            if (IsPumpThread)
            {
                d(state);
                return;
            }

            using var done = new ManualResetEventSlim();
            Exception? failure = null;
            Post(
                _ =>
                {
                    try
                    {
                        d(state);
                    }
                    catch (Exception e)
                    {
                        failure = e;
                    }
                    finally
                    {
                        done.Set();
                    }
                },
                null);
            done.Wait();
            if (failure is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
            }
        }

        public override SynchronizationContext CreateCopy() => this;

        public void Complete()
        {
            lock (gate)
            {
                completed = true;
                queue.CompleteAdding();
            }
        }

        public void Pump()
        {
            foreach (var (callback, state) in queue.GetConsumingEnumerable())
            {
                callback(state);
            }
        }

        public void Dispose()
        {
            Complete();
            queue.Dispose();
        }
    }
}
