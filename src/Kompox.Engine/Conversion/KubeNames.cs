using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Kompox.Model;

namespace Kompox.Conversion;

/// <summary>How Kompox derives Kubernetes names from app and compose names.</summary>
public static partial class KubeNames
{
    private const string Base36Digits = "0123456789abcdefghijklmnopqrstuvwxyz";

    /// <summary>
    /// A short, stable fingerprint of <paramref name="text"/>: the SHA-256 digest of its UTF-8 bytes, read as one
    /// big-endian unsigned integer and written in base 36 (digits then lowercase letters, most significant first,
    /// no leading zeros), of which the first <paramref name="length"/> characters are kept.
    /// Base 36 keeps the result a valid part of a DNS label while packing more bits per character than hex.
    /// </summary>
    public static string Base36Hash(string text, int length = 6)
    {
        var value = new BigInteger(SHA256.HashData(Encoding.UTF8.GetBytes(text)), isUnsigned: true, isBigEndian: true);
        var digits = new StringBuilder();
        while (value > 0)
        {
            digits.Insert(0, Base36Digits[(int)(value % 36)]);
            value /= 36;
        }

        // A digest below 36^length has fewer digits; padding keeps the length fixed (it happens about once in 2^225).
        return digits.ToString().PadLeft(length, '0')[..length];
    }

    /// <summary>
    /// The app's namespace <c>k4x-&lt;app&gt;-&lt;hash6&gt;</c>, hashed over <c>{service}/{provider}/{app}</c>: the cluster is
    /// left out so that an app moved to another cluster of the same provider keeps its namespace name.
    /// </summary>
    public static string Namespace(KompoxApp app) => $"k4x-{app.Name}-{AppHash(app)}";

    /// <summary>
    /// The <c>hash6</c> of the app's namespace, which the <c>kompox.dev/app-id</c> label carries: unlike the app's name it
    /// is unique among all apps of a cluster, so selecting by it (prune) never reaches another app's objects.
    /// </summary>
    public static string AppHash(KompoxApp app)
    {
        var provider = app.Cluster.Provider;
        return Base36Hash($"{provider.Service.Name}/{provider.Name}/{app.Name}");
    }

    /// <summary>
    /// The PersistentVolume of one disk: the namespace plus a hash of the disk id. A PV's source cannot change,
    /// so each disk gets its own PV name and switching disks creates a new PV instead of editing the old one.
    /// </summary>
    public static string PersistentVolume(string namespaceName, string diskId) => $"{namespaceName}-{Base36Hash(diskId)}";

    /// <summary>
    /// The app's claim on one disk: <c>&lt;app&gt;-data-&lt;hash of the disk id&gt;</c>; <c>&lt;app&gt;-data</c> when converted
    /// without a disk. A bound claim's spec, its volumeName included, cannot change (kube-apiserver,
    /// pkg/apis/core/validation/validation.go ValidatePersistentVolumeClaimUpdate), so a switch to another disk applies a
    /// new claim beside a new volume and prunes the old pair.
    /// </summary>
    public static string Claim(string appName, string? diskId) => diskId is null ? $"{appName}-data" : $"{appName}-data-{Base36Hash(diskId)}";

    /// <summary>
    /// A compose name (<c>[a-zA-Z0-9][a-zA-Z0-9_.-]*</c>) as an RFC 1123 label: lowercased, every character other
    /// than a letter, digit or '-' replaced by '-', leading and trailing '-' dropped. Null when nothing valid remains
    /// or the result is longer than 63 characters.
    /// </summary>
    public static string? ToDnsLabel(string name)
    {
        var label = NotLabelCharacter().Replace(name.ToLowerInvariant(), "-").Trim('-');
        return Names.CheckDnsLabel(label) is null ? label : null;
    }

    [GeneratedRegex("[^a-z0-9-]")]
    private static partial Regex NotLabelCharacter();

}
