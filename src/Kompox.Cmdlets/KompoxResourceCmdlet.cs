using System.Management.Automation;
using Kompox.Config;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>
/// Base of cmdlets that act on one kind of resource: given directly or on the pipeline (what Import-KompoxConfig writes;
/// the resources of other kinds that come with it are passed over), or read from kompoxops.yml files by path. An input
/// that cannot be used is a non-terminating error: the other inputs are still acted on.
/// </summary>
public abstract class KompoxResourceCmdlet<TResource> : KompoxAsyncCmdlet
    where TResource : KompoxResource
{
    protected const string PathSet = "Path";
    protected const string LiteralPathSet = "LiteralPath";

    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = PathSet)]
    [PathArgument]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    public string[] Path { get; set; } = { KompoxConfig.DefaultFileName };

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralPathSet)]
    [Alias("PSPath", "LP", "FullName")]
    [PathArgument(files: true)]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = null!;

    private Store.ConfigFileStore? store;
    private Operations.KompoxContext? context;

    /// <summary>The resources this invocation read or was given, which the engine's operations find by id.</summary>
    protected Store.ConfigFileStore Store => store ??= new Store.ConfigFileStore();

    /// <summary>
    /// The engine's effects for this invocation: one context for all of its pipeline input, so that every input on one
    /// cluster shares one client; disposed when the invocation ends.
    /// </summary>
    protected Operations.KompoxContext Context => context ??= Operations.KompoxContext.ForConfigFiles(Store);

    protected override async ValueTask CleanUpAsync()
    {
        if (context is not null)
        {
            await context.DisposeAsync();
            context = null;
        }
    }

    /// <summary>Why the default input (<c>kompoxops.yml</c> in the current location, when no resource or path is given) is not read; null when it is.</summary>
    protected virtual KompoxException? DefaultInputRefused() => null;

    /// <summary>Puts a resource given as an object into <see cref="Store"/>, where the operations find it by id.</summary>
    protected abstract void Remember(TResource resource);

    /// <summary>The resource given by the cmdlet's own resource parameter, or null when the input is paths.</summary>
    protected abstract KompoxResource? GivenResource { get; }

    /// <summary>The error for a resource of another kind given directly rather than on the pipeline.</summary>
    protected abstract KompoxException NotOfKind(KompoxResource given);

    /// <summary>The resources of this pipeline record; what cannot be read is reported through <see cref="KompoxCmdlet.InputFailed"/>.</summary>
    /// <remarks>Checks <paramref name="cancellationToken"/> before each file, so a pattern matching many files stops promptly.</remarks>
    protected IEnumerable<TResource> InputResources(CancellationToken cancellationToken)
    {
        if (GivenResource is { } given)
        {
            if (given is TResource resource)
            {
                Remember(resource);
                yield return resource;
            }
            else if (!MyInvocation.ExpectingInput)
            {
                InputFailed(ToErrorRecord(NotOfKind(given)));
            }
            else
            {
                WriteVerbose($"Passing over {given.Kind} {given.Id}: {MyInvocation.MyCommand.Name} acts on {typeof(TResource).Name["Kompox".Length..].ToLowerInvariant()}s");
            }

            yield break;
        }

        if (ParameterSetName == PathSet && !MyInvocation.BoundParameters.ContainsKey(nameof(Path)) && DefaultInputRefused() is { } refused)
        {
            InputFailed(ToErrorRecord(refused));
            yield break;
        }

        var literal = ParameterSetName == LiteralPathSet;
        foreach (var (full, shownAs) in ResolveFiles(literal ? LiteralPath : Path, literal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            TResource[] loaded = Array.Empty<TResource>();
            try
            {
                // A file may hold several apps of one cluster: an app cmdlet acts on each of them.
                loaded = KompoxResources.From(LoadConfig(full, shownAs, Store)).OfType<TResource>().ToArray();
                if (loaded.Length == 0)
                {
                    throw new KompoxException("ConfigHasNoApp", ErrorKind.InvalidArgument, $"{shownAs} holds no app: it defines a cluster only; name a kompoxops.yml with an app (New-KompoxConfig -Cluster writes one for this cluster)") { Target = full };
                }
            }
            catch (KompoxException e)
            {
                InputFailed(ToErrorRecord(e));
            }

            foreach (var resource in loaded)
            {
                yield return resource;
            }
        }
    }

    /// <summary>
    /// Whether ShouldProcess will tell the user what is done (-WhatIf) or ask (-Confirm, or a $ConfirmPreference at or
    /// below <paramref name="impact"/>): then a cmdlet may spend requests to say in detail what it would do.
    /// </summary>
    protected bool ShowsPlan(ConfirmImpact impact)
    {
        bool Given(string name, string preference) =>
            MyInvocation.BoundParameters.TryGetValue(name, out var value)
                ? value is SwitchParameter s ? s.IsPresent : value is true
                : LanguagePrimitives.IsTrue(SessionState.PSVariable.GetValue(preference));

        if (Given("WhatIf", "WhatIfPreference") || (MyInvocation.BoundParameters.TryGetValue("Confirm", out var confirm) && confirm is SwitchParameter { IsPresent: true }))
        {
            return true;
        }

        return !MyInvocation.BoundParameters.ContainsKey("Confirm")
            && SessionState.PSVariable.GetValue("ConfirmPreference") is ConfirmImpact preference
            && preference != ConfirmImpact.None
            && impact >= preference;
    }

    /// <summary>
    /// Runs one engine operation on a resource and writes what it returns; its failure is a non-terminating error,
    /// unless the pipeline is being stopped (Ctrl+C), which ends the cmdlet.
    /// </summary>
    protected async Task RunAsync<T>(Func<CancellationToken, Task<T>> operation, Func<T, object?> output, CancellationToken cancellationToken)
        where T : class
    {
        if (await TryAsync(operation, cancellationToken) is { } result && output(result) is { } shown)
        {
            WriteObject(shown);
        }
    }

    /// <summary>As <see cref="TryAsync{T}"/>, for an operation that writes its own output; false when it failed.</summary>
    protected async Task<bool> TryAsync(Func<CancellationToken, Task> operation, CancellationToken cancellationToken) =>
        await TryAsync(async token => { await operation(token); return string.Empty; }, cancellationToken) is not null;

    /// <summary>Runs one engine operation on a resource; its failure is reported as <see cref="RunAsync"/> reports it, and then the result is null.</summary>
    protected async Task<T?> TryAsync<T>(Func<CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            return await operation(cancellationToken);
        }
        catch (KompoxException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
        catch (KompoxException e)
        {
            InputFailed(ToErrorRecord(e));
            return null;
        }
    }
}
