using System.Management.Automation;
using Kompox.Config;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

/// <summary>
/// Lets a -Cluster parameter take, besides a Cluster object, the path of the kompoxops.yml (or shared cluster file) that
/// defines it: the file is read as Import-KompoxConfig reads it, and its Cluster given, with the file's apps.
/// </summary>
internal sealed class ClusterArgumentAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        var value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        var path = value switch
        {
            string text => text,
            FileInfo file => file.FullName,
            _ => null,
        };
        if (path is null)
        {
            return inputData;
        }

        try
        {
            var full = engineIntrinsics.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
            return KompoxResources.From(KompoxConfig.Load(full, path)).OfType<PowerShell.KompoxCluster>().Single();
        }
        catch (KompoxException e)
        {
            throw new ArgumentTransformationMetadataException(e.Message, e);
        }
    }
}
