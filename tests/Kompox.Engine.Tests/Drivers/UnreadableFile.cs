namespace Kompox.Tests.Drivers;

/// <summary>A project file this process cannot read, for as long as the returned handle is held.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal static class UnreadableFile
{
    /// <summary>
    /// Mode 000; and since root reads such a file anyway (CAP_DAC_OVERRIDE), as root the file is also held open with
    /// FileShare.None, which .NET takes as an advisory flock(LOCK_EX) that root meets too: another open is refused as "being
    /// used by another process" (dotnet/runtime src/libraries/System.Private.CoreLib/src/Microsoft/Win32/SafeHandles/
    /// SafeFileHandle.Unix.cs, Init).
    /// </summary>
    public static IDisposable? Make(string path)
    {
        File.SetUnixFileMode(path, UnixFileMode.None);
        try
        {
            using var _ = File.OpenRead(path);
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.None);
    }
}
