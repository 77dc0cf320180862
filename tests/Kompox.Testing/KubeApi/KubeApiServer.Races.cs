using System.Text.Json.Nodes;

namespace Kompox.Testing.KubeApi;

/// <summary>
/// A client losing an optimistic-concurrency race: another writer's requests land between the client's read and its
/// write. kube-apiserver does not arbitrate such races itself; its generic registry refuses the loser's write by the
/// state it finds (kubernetes/kubernetes staging/src/k8s.io/apiserver/pkg/registry/generic/registry/store.go: Create
/// turns storage's key-exists error into <c>errors.NewAlreadyExists</c>, 409 reason AlreadyExists; Update of an object
/// whose resourceVersion is not the one the body carries is <c>errors.NewConflict</c> with
/// <c>OptimisticLockErrorMsg</c>, 409 reason Conflict, "the object has been modified; please apply your changes to the
/// latest version and try again"; both as a metav1.Status body, staging/src/k8s.io/apimachinery/pkg/api/errors/errors.go).
/// So the server does not make up the 409: it runs the winner's requests first and then serves the write by its own
/// rules (<see cref="ApiError.AlreadyExists"/>, <see cref="ApiError.Modified"/>).
/// </summary>
public sealed partial class KubeApiServer
{
    private readonly List<(string Verb, string Plural, string Name, Func<CancellationToken, Task> Winner)> races = [];

    /// <summary>
    /// The next request with Kubernetes verb <paramref name="verb"/> (create, update, patch, delete) on the object
    /// <paramref name="name"/> of resource <paramref name="plural"/> loses a race to <paramref name="winner"/>: before the
    /// server serves that request, it awaits <paramref name="winner"/>, which writes through the API as another client
    /// would (the race is forgotten before it runs, so the winner's own requests do not meet it; a winner that arms another
    /// does so after its writes), then serves the request against what the winner left. A create
    /// is matched by the name in its body.
    /// </summary>
    public void LoseRace(string verb, string plural, string name, Func<CancellationToken, Task> winner)
    {
        lock (gate)
        {
            races.Add((verb, plural, name, winner));
        }
    }

    /// <summary>The winner armed for this request, removed so that it runs once; null when none is.</summary>
    private Func<CancellationToken, Task>? TakeRace(Call call)
    {
        lock (gate)
        {
            if (races.Count == 0 || ParseTarget(call.Path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries)) is not { Subresource: null } target)
            {
                return null;
            }

            var verb = VerbOf(call, target);
            var name = target.Name ?? (verb == "create" ? NameInBody(call) : null);
            var index = races.FindIndex(r => r.Verb == verb && r.Plural == target.Resource.Plural && r.Name == name);
            if (index < 0)
            {
                return null;
            }

            var winner = races[index].Winner;
            races.RemoveAt(index);
            return winner;
        }
    }

    private static string? NameInBody(Call call)
    {
        try
        {
            return (Bodies.Parse(call.Body) as JsonObject)?["metadata"]?["name"]?.ToString();
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or YamlDotNet.Core.YamlException)
        {
            return null; // a body the write itself will refuse
        }
    }
}
