using Kompox.Config;
using Kompox.Model;

namespace Kompox.Operations;

/// <summary>Where the operations find apps by id: a kompoxops.yml today, the REST service's store later.</summary>
public interface IResourceSource
{
    /// <param name="appId"><c>{service}/{provider}/{cluster}/{app}</c>.</param>
    /// <exception cref="KompoxException"><c>AppNotFound</c>; whatever reading the source raises.</exception>
    Task<KompoxApp> GetAppAsync(string appId, CancellationToken cancellationToken);
}

/// <summary>The one app of a kompoxops.yml, read anew on every request so that edits to the file are seen.</summary>
public sealed class ConfigFileSource : IResourceSource
{
    private readonly string path;

    public ConfigFileSource(string path)
    {
        this.path = path;
    }

    public Task<KompoxApp> GetAppAsync(string appId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var app = KompoxConfig.Load(path).App;
        return app.Id == appId
            ? Task.FromResult(app)
            : throw new KompoxException("AppNotFound", ErrorKind.NotFound, $"{path} holds app {app.Id}, not {appId}") { Target = appId };
    }
}
