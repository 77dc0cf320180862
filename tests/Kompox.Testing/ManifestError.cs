namespace Kompox.Testing;

/// <summary>One validation failure, shaped like kube-apiserver's field errors: which object, which field, why.</summary>
public sealed record ManifestError(string Kind, string Name, string Field, string Message)
{
    public override string ToString() => $"{Kind}/{Name} {Field}: {Message}";
}
