namespace Kompox.Operations;

/// <summary>
/// One report from a running operation. A cmdlet maps <see cref="Activity"/>, <see cref="Status"/> and
/// <see cref="Percent"/> to Write-Progress and <see cref="Verbose"/> to Write-Verbose; the REST service streams them.
/// </summary>
/// <param name="Activity">What the operation does as a whole, e.g. "Exporting disk web-20250811123456-x1y2z3".</param>
/// <param name="Status">The step it is at, e.g. "writing the archive".</param>
/// <param name="Percent">0 to 100 when the amount of work is known; null otherwise.</param>
/// <param name="Verbose">A detail for whoever asked for them, e.g. "GET /api/v1/namespaces/k4x-web-abc123"; null for a step report.</param>
public sealed record OperationProgress(string Activity, string Status, int? Percent = null, string? Verbose = null)
{
    public static OperationProgress Detail(string activity, string message) => new(activity, message, null, message);
}

/// <summary>The progress sink of operations that were given none.</summary>
internal sealed class NoProgress : IProgress<OperationProgress>
{
    public static readonly NoProgress Instance = new();

    public void Report(OperationProgress value)
    {
    }
}
