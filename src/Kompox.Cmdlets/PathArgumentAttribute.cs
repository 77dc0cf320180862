using System.Management.Automation;

namespace Kompox.Cmdlets;

/// <summary>
/// Lets a path parameter take text, never an object's <c>ToString()</c>. PowerShell binds pipeline input in passes:
/// by value, by property name, then both again with type conversion; any object converts to a string, so an object
/// that no parameter takes (a validation, a status) would end up read as a path ("Cannot find drive ...
/// 'ops/k3s1/lab/gitea'"). This transformation sees the input in every pass: it hands on text unchanged and wraps
/// anything else in a value that refuses conversion, so the converting passes fail for it too and PowerShell reports
/// the input as not bound (InputObjectNotBound), non-terminating, as for any input a cmdlet does not take.
/// </summary>
/// <param name="files">
/// Also take files (what Get-Item and Get-ChildItem write) by their full path: for <c>-LiteralPath</c>, which takes no
/// input by value. <c>-Path</c> must not: a file on the pipeline would bind there in the first pass, as a wildcard
/// pattern, before it could bind to <c>-LiteralPath</c> by its PSPath.
/// </param>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
internal sealed class PathArgumentAttribute(bool files = false) : ArgumentTransformationAttribute
{
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        switch (Unwrap(inputData))
        {
            case null or string or string[]:
                return inputData;
            case FileSystemInfo file when files:
                return file.FullName;
            case object[] items:
                var paths = new string[items.Length];
                for (var i = 0; i < items.Length; i++)
                {
                    switch (Unwrap(items[i]))
                    {
                        case string text:
                            paths[i] = text;
                            break;
                        case FileSystemInfo file when files:
                            paths[i] = file.FullName;
                            break;
                        case var other:
                            return new NotAPath(other);
                    }
                }

                return paths;
            case var other:
                return new NotAPath(other);
        }
    }

    private static object? Unwrap(object? value) => value is PSObject wrapped ? wrapped.BaseObject : value;

    /// <summary>An input that is not a path: converting it to a string fails, which makes PowerShell try elsewhere.</summary>
    private sealed class NotAPath(object? value)
    {
        public override string ToString() =>
            throw new PSInvalidCastException($"{value?.GetType().Name ?? "null"} is not a path: give a string, or a file on the pipeline or to -LiteralPath.");
    }
}
