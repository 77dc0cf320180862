using System.Management.Automation;
using Kompox.Config;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>
/// Base of cmdlets that act on clusters: Cluster objects from the pipeline (what Import-KompoxConfig writes; the
/// Service, Provider and App that come with them are passed over) or kompoxops.yml files by path. An input that cannot
/// be used, or a cluster the operation fails on, is a non-terminating error: the other clusters are still acted on.
/// </summary>
public abstract class KompoxClusterCmdlet : KompoxAsyncCmdlet
{
    protected const string ClusterSet = "Cluster";
    protected const string PathSet = "Path";
    protected const string LiteralPathSet = "LiteralPath";

    /// <summary>A Cluster; the other resources that come with it down the pipeline are passed over.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = ClusterSet)]
    public KompoxResource Cluster { get; set; } = null!;

    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = PathSet)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    public string[] Path { get; set; } = { KompoxConfig.DefaultFileName };

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralPathSet)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = null!;

    /// <summary>The clusters of this pipeline record; what cannot be read is reported through <see cref="KompoxCmdlet.InputFailed"/>.</summary>
    protected IEnumerable<KompoxCluster> InputClusters(CancellationToken cancellationToken)
    {
        if (ParameterSetName == ClusterSet)
        {
            if (Cluster is KompoxCluster cluster)
            {
                yield return cluster;
            }
            else if (!MyInvocation.ExpectingInput)
            {
                InputFailed(ToErrorRecord(new KompoxException("NotACluster", ErrorKind.InvalidArgument, $"-Cluster takes a Cluster; {Cluster.Kind} {Cluster.Id} is not one") { Target = Cluster.Id }));
            }
            else
            {
                WriteVerbose($"Passing over {Cluster.Kind} {Cluster.Id}: {MyInvocation.MyCommand.Name} acts on clusters");
            }

            yield break;
        }

        var literal = ParameterSetName == LiteralPathSet;
        foreach (var (full, shownAs) in ResolveFiles(literal ? LiteralPath : Path, literal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            KompoxCluster? loaded = null;
            try
            {
                loaded = KompoxResources.From(LoadConfig(full, shownAs)).OfType<KompoxCluster>().Single();
            }
            catch (KompoxException e)
            {
                InputFailed(ToErrorRecord(e));
            }

            if (loaded is not null)
            {
                yield return loaded;
            }
        }
    }

    /// <summary>
    /// Runs one engine operation on a cluster and writes what it returns; its failure is a non-terminating error,
    /// unless the pipeline is being stopped (Ctrl+C), which ends the cmdlet.
    /// </summary>
    protected async Task RunAsync<T>(Func<CancellationToken, Task<T>> operation, Func<T, object> output, CancellationToken cancellationToken)
    {
        T result;
        try
        {
            result = await operation(cancellationToken);
        }
        catch (KompoxException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
        catch (KompoxException e)
        {
            InputFailed(ToErrorRecord(e));
            return;
        }

        WriteObject(output(result));
    }
}
