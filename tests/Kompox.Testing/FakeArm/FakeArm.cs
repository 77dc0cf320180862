using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Kompox.Testing.FakeArm;

/// <summary>A managed disk or snapshot held by the fake.</summary>
public sealed class FakeDisk
{
    public required string Kind { get; init; }

    public required string Subscription { get; init; }

    public required string ResourceGroup { get; init; }

    public required string Name { get; init; }

    public required string Location { get; init; }

    public required string Sku { get; init; }

    public required string CreateOption { get; init; }

    public string? SourceResourceId { get; init; }

    public bool Incremental { get; init; }

    /// <summary>The disk's size; its blob is one VHD footer longer.</summary>
    public required long SizeBytes { get; init; }

    public required SparseBlob Content { get; init; }

    public Dictionary<string, string> Tags { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Unattached, ReadyToUpload, ActiveSAS or ActiveUpload.</summary>
    public string State { get; set; } = "Unattached";

    /// <summary>The secret of the SAS URL granted and not yet revoked.</summary>
    public string? Sas { get; set; }

    public string Id => $"/subscriptions/{Subscription}/resourceGroups/{ResourceGroup}/providers/Microsoft.Compute/{Kind}/{Name}";

    /// <summary>The disk's availability zone (at most one); empty for a regional disk.</summary>
    public IReadOnlyList<string> Zones { get; init; } = [];
}

/// <summary>An AKS cluster (Microsoft.ContainerService/managedClusters) as GET returns the parts Kompox reads.</summary>
/// <param name="PrincipalId">The object id of the cluster's identity (identity.principalId), which attaches its disks.</param>
/// <param name="PoolZones">Each agent pool's availabilityZones; an empty list is a pool with no zones.</param>
/// <param name="UserAssigned">The identity is user-assigned: ManagedClusterIdentity then has no principalId of its own and
/// names the identity in userAssignedIdentities (learn.microsoft.com/rest/api/aks/managed-clusters/get).</param>
/// <param name="NetworkPolicy">networkProfile.networkPolicy (azure, calico, cilium or none); null leaves the field out, as for
/// a cluster made without a policy engine, which then enforces none (learn.microsoft.com/azure/aks/use-network-policies).</param>
public sealed record FakeManagedCluster(string Subscription, string ResourceGroup, string Name, string Location, string PrincipalId, string NodeResourceGroup, IReadOnlyList<IReadOnlyList<string>> PoolZones, bool UserAssigned = false, string? NetworkPolicy = null)
{
    public string Id => $"/subscriptions/{Subscription}/resourceGroups/{ResourceGroup}/providers/Microsoft.ContainerService/managedClusters/{Name}";
}

/// <summary>A role assignment (Microsoft.Authorization/roleAssignments): a principal given a role definition at a scope.</summary>
public sealed record FakeRoleAssignment(string Scope, string PrincipalId, string RoleDefinitionGuid);

/// <summary>
/// An Azure Resource Manager endpoint for Microsoft.Compute disks and snapshots, over HTTPS on 127.0.0.1. It answers as
/// ARM does (error bodies, 404 for a missing resource group or resource, 400 for a bad name or size, 409 for deleting a
/// disk with an active SAS, 401 without the bearer token), runs writes as long-running operations and throttles when
/// asked (FakeArm.Operations.cs), and serves granted SAS URLs as page blobs (ranged GET; Put Page update and clear, at
/// most 4 MiB, 512-aligned). Every request is recorded.
/// </summary>
public sealed partial class FakeArm : IDisposable
{
    public const string ApiVersion = "2023-04-02";
    private const int MaxPage = 4 << 20;
    private readonly HttpsServer server;
    private readonly Dictionary<string, FakeDisk> resources = new(StringComparer.OrdinalIgnoreCase);
    private readonly TimeProvider time;

    /// <param name="time">The clock the throttle's token buckets refill by (the system's by default).</param>
    public FakeArm(TimeProvider? time = null)
    {
        this.time = time ?? TimeProvider.System;
        server = new HttpsServer(HandleAsync);
    }

    public Uri Endpoint => server.Endpoint;

    /// <summary>The token a request must carry as <c>Authorization: Bearer</c>.</summary>
    public string Token { get; set; } = "fake-arm-token";

    public HashSet<string> ResourceGroups { get; } = new(StringComparer.OrdinalIgnoreCase);

    public ConcurrentQueue<FakeRequest> Requests { get; } = new();

    /// <summary>The AKS clusters GET serves (api-version <see cref="ClusterApiVersion"/>).</summary>
    public List<FakeManagedCluster> Clusters { get; } = new();

    /// <summary>The role assignments the list for a scope serves (api-version <see cref="AuthorizationApiVersion"/>).</summary>
    public List<FakeRoleAssignment> RoleAssignments { get; } = new();

    /// <summary>
    /// Role definitions by id: the built-in Owner, Contributor and Reader with their permissions as Azure defines them
    /// (learn.microsoft.com/azure/role-based-access-control/built-in-roles: general), and any a test adds.
    /// </summary>
    public Dictionary<string, (string Name, string[] Actions, string[] NotActions)> RoleDefinitions { get; } = new(StringComparer.OrdinalIgnoreCase)
    {
        [OwnerRole] = ("Owner", ["*"], []),
        [ContributorRole] = ("Contributor", ["*"], ["Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write", "Microsoft.Authorization/elevateAccess/Action", "Microsoft.Blueprint/blueprintAssignments/write", "Microsoft.Blueprint/blueprintAssignments/delete", "Microsoft.Compute/galleries/share/action", "Microsoft.Purview/consents/write", "Microsoft.Purview/consents/delete", "Microsoft.Resources/deploymentStacks/manageDenySetting/action", "Microsoft.Subscription/cancel/action", "Microsoft.Subscription/enable/action"]),
        [ReaderRole] = ("Reader", ["*/read"], []),
    };

    public const string OwnerRole = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
    public const string ContributorRole = "b24988ac-6180-42a0-ab88-20f7382dd24c";
    public const string ReaderRole = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
    public const string ClusterApiVersion = "2024-05-01";
    public const string AuthorizationApiVersion = "2022-04-01";

    /// <summary>Answers a request in place of the fake when it returns a response: a way to make Azure fail.</summary>
    public Func<FakeRequest, FakeResponse?>? Intercept { get; set; }

    public HttpClientHandler TrustingHandler() => server.TrustingHandler();

    /// <summary>The server's self-signed certificate in PEM, for a client to trust as its CA.</summary>
    public string CertificatePem => server.Certificate.ExportCertificatePem();

    public IReadOnlyList<FakeDisk> Disks => Snapshot("disks");

    public IReadOnlyList<FakeDisk> Snapshots => Snapshot("snapshots");

    public static FakeResponse Error(int status, string code, string message) =>
        FakeResponse.Json(status, new JsonObject { ["error"] = new JsonObject { ["code"] = code, ["message"] = message } }.ToJsonString());

    public void Dispose() => server.Dispose();

    private IReadOnlyList<FakeDisk> Snapshot(string kind)
    {
        lock (resources)
        {
            return resources.Values.Where(r => r.Kind == kind).ToList();
        }
    }

    private async Task<FakeResponse> HandleAsync(FakeRequest request)
    {
        Requests.Enqueue(request);
        if (Intercept?.Invoke(request) is { } intercepted)
        {
            return intercepted;
        }

        if (SasPath().Match(request.Path) is { Success: true } sas)
        {
            return await Task.Run(() => Blob(request, sas.Groups[1].Value));
        }

        if (ManagedIdentityPath().IsMatch(request.Path))
        {
            return ManagedIdentityToken(request);
        }

        if (request.Header("Authorization") != $"Bearer {Token}")
        {
            var unauthorized = Error(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing or invalid.");
            unauthorized.Headers["WWW-Authenticate"] = "Bearer authorization_uri=\"https://login.microsoftonline.com/common\", error=\"invalid_token\"";
            return unauthorized;
        }

        // Resource Manager throttles before it routes a request (request-limits-and-throttling), and says on every answer
        // how many requests of the kind are left.
        var (throttled, remaining) = Throttled(request);
        var answer = throttled ?? Route(request);
        if (remaining is { } header)
        {
            answer.Headers[header.Name] = header.Value;
        }

        return answer;
    }

    private FakeResponse Route(FakeRequest request)
    {

        if (ClusterPath().Match(request.Path) is { Success: true } clusterPath)
        {
            return ManagedCluster(request, clusterPath);
        }

        if (AuthorizationPath().Match(request.Path) is { Success: true } authorization)
        {
            return Authorization(request, authorization);
        }

        if (request.Query.GetValueOrDefault("api-version") != ApiVersion)
        {
            return Error(400, "InvalidApiVersionParameter", $"The api-version '{request.Query.GetValueOrDefault("api-version")}' is invalid for Microsoft.Compute disks and snapshots here; use '{ApiVersion}'.");
        }

        if (OperationPath().Match(request.Path) is { Success: true } operation)
        {
            lock (resources)
            {
                return OperationStatus(request, operation);
            }
        }

        var match = ArmPath().Match(request.Path);
        if (!match.Success)
        {
            return Error(404, "InvalidResourceType", $"The resource type could not be found for '{request.Path}'.");
        }

        var (subscription, group, kind, name, action) = (match.Groups["sub"].Value, match.Groups["rg"].Value, match.Groups["kind"].Value.ToLowerInvariant(), match.Groups["name"].Value, match.Groups["action"].Value);
        lock (resources)
        {
            if (!ResourceGroups.Contains(group))
            {
                return Error(404, "ResourceGroupNotFound", $"Resource group '{group}' could not be found.");
            }

            var key = $"{kind}/{group}/{name}";
            resources.TryGetValue(key, out var found);
            return (request.Method, name.Length > 0, action.ToLowerInvariant()) switch
            {
                ("GET", false, "") => List(kind, group),
                ("GET", true, "") => found is null ? NotFound(kind, group, name) : FakeResponse.Json(200, Render(found)),
                ("PUT", true, "") => LongRunning(request, subscription, key, () => Put(request, subscription, group, kind, name, key)),
                ("PATCH", true, "") => found is null ? NotFound(kind, group, name) : LongRunning(request, subscription, key, () => Patch(request, found)),
                ("DELETE", true, "") => found is null ? Delete(found, key) : LongRunning(request, subscription, key, () => Delete(found, key), found.Location),
                ("POST", true, "begingetaccess") => found is null ? NotFound(kind, group, name) : LongRunning(request, subscription, key, () => Grant(request, found)),
                ("POST", true, "endgetaccess") => found is null ? NotFound(kind, group, name) : LongRunning(request, subscription, key, () => Revoke(found)),
                _ => Error(405, "MethodNotAllowed", $"{request.Method} is not supported on '{request.Path}'."),
            };
        }
    }

    private static FakeResponse NotFound(string kind, string group, string name) =>
        Error(404, "ResourceNotFound", $"The Resource 'Microsoft.Compute/{kind}/{name}' under resource group '{group}' was not found.");

    private FakeResponse List(string kind, string group)
    {
        var value = new JsonArray(resources.Values.Where(r => r.Kind == kind && r.ResourceGroup.Equals(group, StringComparison.OrdinalIgnoreCase)).Select(r => JsonNode.Parse(Render(r))).ToArray());
        return FakeResponse.Json(200, new JsonObject { ["value"] = value }.ToJsonString());
    }

    private FakeResponse Put(FakeRequest request, string subscription, string group, string kind, string name, string key)
    {
        if (!NamePattern().IsMatch(name))
        {
            return Error(400, "InvalidResourceName", $"The resource name '{name}' is invalid: 1-80 letters, digits, '_', '.' or '-', starting with a letter or digit and ending with a letter, digit or '_'.");
        }

        JsonNode body;
        try
        {
            body = JsonNode.Parse(request.BodyText) ?? throw new JsonException("empty");
        }
        catch (JsonException)
        {
            return Error(400, "InvalidRequestContent", "The request content was invalid and could not be deserialized.");
        }

        var location = body["location"]?.GetValue<string>();
        if (string.IsNullOrEmpty(location))
        {
            return Error(400, "LocationRequired", "The location property is required for this definition.");
        }

        var properties = body["properties"];
        var creation = properties?["creationData"];
        var option = creation?["createOption"]?.GetValue<string>() ?? string.Empty;
        var sku = body["sku"]?["name"]?.GetValue<string>() ?? (kind == "disks" ? "Standard_LRS" : "Standard_LRS");
        var tags = body["tags"]?.AsObject().ToDictionary(t => t.Key, t => t.Value!.GetValue<string>(), StringComparer.Ordinal) ?? new Dictionary<string, string>(StringComparer.Ordinal);
        var sizeGiB = properties?["diskSizeGB"]?.GetValue<int>();
        if (!Skus.Contains(sku))
        {
            return Error(400, "InvalidParameter", $"The value '{sku}' of parameter 'sku.name' is not allowed.");
        }

        var zones = body["zones"]?.AsArray().Select(z => z!.GetValue<string>()).ToList() ?? new List<string>();
        if (kind == "disks" && !resources.ContainsKey(key) && ZoneError(sku, zones) is { } zoneError)
        {
            return zoneError;
        }

        if (resources.TryGetValue(key, out var existing))
        {
            existing.Tags = tags;
            return FakeResponse.Json(200, Render(existing));
        }

        FakeDisk? source = null;
        long size;
        SparseBlob content;
        var state = "Unattached";
        switch (option)
        {
            case "Empty" when kind == "disks":
                if (sizeGiB is not { } gib || gib < (sku == "UltraSSD_LRS" ? 4 : 1) || gib > 32767)
                {
                    return Error(400, "InvalidParameter", $"The value '{sizeGiB}' of parameter 'diskSizeGB' is out of the range allowed for a disk of SKU {sku}.");
                }

                size = (long)gib << 30;
                content = new SparseBlob(size + 512);
                content.Write(size, SparseBlob.VhdFooter(size));
                break;
            case "Upload" when kind == "disks":
                var upload = creation?["uploadSizeBytes"]?.GetValue<long>() ?? 0;
                if (upload < (20L << 20) + 512 || upload > (32L << 40) + 512 || (upload - 512) % (1 << 20) != 0)
                {
                    return Error(400, "InvalidParameter", $"The value '{upload}' of parameter 'uploadSizeBytes' must be a whole number of MiB from 20 MiB to 32 TiB plus 512 bytes.");
                }

                size = upload - 512;
                content = new SparseBlob(upload);
                state = "ReadyToUpload";
                break;
            case "Copy":
                var sourceId = creation?["sourceResourceId"]?.GetValue<string>() ?? string.Empty;
                source = resources.Values.FirstOrDefault(r => r.Id.Equals(sourceId, StringComparison.OrdinalIgnoreCase));
                if (source is null)
                {
                    return Error(404, "NotFound", $"The source resource '{sourceId}' was not found.");
                }

                if (source.Kind == kind)
                {
                    return Error(400, "InvalidParameter", $"A {kind[..^1]} is copied from a {(kind == "disks" ? "snapshot" : "disk")} here.");
                }

                size = source.SizeBytes;
                content = source.Content.Clone();
                break;
            default:
                return Error(400, "InvalidParameter", $"The value '{option}' of parameter 'creationData.createOption' is not supported for {kind}.");
        }

        var resource = new FakeDisk
        {
            Kind = kind,
            Subscription = subscription,
            ResourceGroup = resources.Values.Select(r => r.ResourceGroup).FirstOrDefault(g => g.Equals(group, StringComparison.OrdinalIgnoreCase)) ?? group,
            Name = name,
            Location = location,
            Sku = sku,
            CreateOption = option,
            SourceResourceId = source?.Id,
            Incremental = properties?["incremental"]?.GetValue<bool>() ?? false,
            SizeBytes = size,
            Content = content,
            Tags = tags,
            State = state,
            Zones = kind == "disks" ? zones : [],
        };
        resources[key] = resource;
        return FakeResponse.Json(200, Render(resource));
    }

    /// <summary>
    /// A disk or snapshot made outside Kompox (in the portal, by az disk create), as ARM would list it: e.g. untagged.
    /// </summary>
    public void Add(FakeDisk resource)
    {
        lock (resources)
        {
            resources[$"{resource.Kind}/{resource.ResourceGroup}/{resource.Name}"] = resource;
        }
    }

    /// <summary>
    /// Disks - Update and Snapshots - Update (Azure REST API, Microsoft.Compute DiskRP 2023-04-02: PATCH with a DiskUpdate
    /// or SnapshotUpdate body, 200 with the resource). Only tags are modelled: as in every ARM PATCH, tags given replace
    /// the whole set and tags left out are kept (ARM resource provider contract, "PATCH a resource"). A body that is not
    /// JSON is refused as a PUT's is.
    /// </summary>
    private static FakeResponse Patch(FakeRequest request, FakeDisk found)
    {
        JsonNode body;
        try
        {
            body = JsonNode.Parse(request.BodyText) ?? throw new JsonException("empty");
        }
        catch (JsonException)
        {
            return Error(400, "InvalidRequestContent", "The request content was invalid and could not be deserialized.");
        }

        if (body["tags"] is JsonObject tags)
        {
            found.Tags = tags.ToDictionary(t => t.Key, t => t.Value!.GetValue<string>(), StringComparer.Ordinal);
        }

        return FakeResponse.Json(200, Render(found));
    }

    private FakeResponse Delete(FakeDisk? found, string key)
    {
        if (found is null)
        {
            return FakeResponse.Empty(204);
        }

        if (found.Sas is not null)
        {
            return Error(409, "OperationNotAllowed", $"Cannot delete the resource '{found.Name}' while it has an active SAS; revoke access first.");
        }

        resources.Remove(key);
        return FakeResponse.Empty(200);
    }

    private FakeResponse Grant(FakeRequest request, FakeDisk found)
    {
        var access = JsonNode.Parse(request.BodyText)?["access"]?.GetValue<string>();
        var ready = (access, found.State) switch
        {
            ("Read", "Unattached") => "ActiveSAS",
            ("Write", "ReadyToUpload") => "ActiveUpload",
            _ => null,
        };
        if (ready is null || found.Sas is not null)
        {
            return Error(409, "OperationNotAllowed", $"Cannot grant {access} access to '{found.Name}' in state {found.State}.");
        }

        found.State = ready;
        found.Sas = Guid.NewGuid().ToString("N");
        var url = new Uri(Endpoint, $"sas/{found.Sas}/abcd?sv=2018-03-28&sr=b&sp={(access == "Read" ? "r" : "w")}&sig={found.Sas}");
        return FakeResponse.Json(200, new JsonObject { ["accessSAS"] = url.ToString() }.ToJsonString());
    }

    private static FakeResponse Revoke(FakeDisk found)
    {
        found.State = found.State switch
        {
            "ActiveSAS" or "ActiveUpload" or "Unattached" => "Unattached",
            _ => found.State,
        };
        found.Sas = null;
        return FakeResponse.Empty(200);
    }

    private FakeResponse Blob(FakeRequest request, string secret)
    {
        FakeDisk? found;
        lock (resources)
        {
            found = resources.Values.FirstOrDefault(r => r.Sas == secret);
        }

        if (found is null || request.Query.GetValueOrDefault("sig") != secret)
        {
            return BlobError(403, "AuthenticationFailed");
        }

        var content = found.Content;
        var range = ParseRange(request.Header("x-ms-range") is { Length: > 0 } r ? r : request.Header("Range"), content.Length);
        switch (request.Method)
        {
            case "GET" when found.State == "ActiveSAS":
                if (range is not var (start, end))
                {
                    return request.Headers.ContainsKey("x-ms-range") || request.Headers.ContainsKey("Range") ? BlobError(416, "InvalidRange") : Stream(200, 0, content.Length - 1);
                }

                return Stream(206, start, Math.Min(end, content.Length - 1));
            case "PUT" when request.Query.GetValueOrDefault("comp") == "page" && found.State == "ActiveUpload":
                if (range is not var (from, to) || from % 512 != 0 || (to + 1) % 512 != 0)
                {
                    return BlobError(416, "InvalidPageRange");
                }

                var length = to - from + 1;
                if (length > MaxPage)
                {
                    return BlobError(413, "RequestBodyTooLarge");
                }

                switch (request.Header("x-ms-page-write"))
                {
                    case "update" when request.Body.Length == length:
                        content.Write(from, request.Body);
                        return FakeResponse.Empty(201);
                    case "clear" when request.Body.Length == 0:
                        content.Write(from, ReadOnlySpan<byte>.Empty, (int)length);
                        return FakeResponse.Empty(201);
                    default:
                        return BlobError(400, "InvalidHeaderValue");
                }

            default:
                return BlobError(403, "AuthorizationPermissionMismatch");
        }

        FakeResponse Stream(int status, long start, long end)
        {
            var response = new FakeResponse(status, end - start + 1, async stream =>
            {
                var buffer = new byte[64 * 1024];
                for (var at = start; at <= end;)
                {
                    var count = (int)Math.Min(buffer.Length, end - at + 1);
                    content.Read(at, buffer.AsSpan(0, count));
                    await stream.WriteAsync(buffer.AsMemory(0, count));
                    at += count;
                }
            });
            response.Headers["Content-Type"] = "application/octet-stream";
            response.Headers["x-ms-blob-type"] = "PageBlob";
            if (status == 206)
            {
                response.Headers["Content-Range"] = string.Create(CultureInfo.InvariantCulture, $"bytes {start}-{end}/{content.Length}");
            }

            return response;
        }
    }

    private static (long Start, long End)? ParseRange(string header, long length)
    {
        if (!header.StartsWith("bytes=", StringComparison.Ordinal))
        {
            return null;
        }

        var dash = header.IndexOf('-', StringComparison.Ordinal);
        return long.TryParse(header.AsSpan(6, dash - 6), NumberStyles.None, CultureInfo.InvariantCulture, out var start)
            && long.TryParse(header.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var end)
            && start <= end && start < length
                ? (start, end)
                : null;
    }

    private static FakeResponse BlobError(int status, string code)
    {
        var body = System.Text.Encoding.UTF8.GetBytes($"<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>{code}</Code><Message>{code}</Message></Error>");
        var response = new FakeResponse(status, body.Length, s => s.WriteAsync(body).AsTask());
        response.Headers["Content-Type"] = "application/xml";
        response.Headers["x-ms-error-code"] = code;
        return response;
    }

    private static string Render(FakeDisk r, string provisioningState = "Succeeded")
    {
        var properties = new JsonObject
        {
            ["creationData"] = r.SourceResourceId is null
                ? new JsonObject { ["createOption"] = r.CreateOption }
                : new JsonObject { ["createOption"] = r.CreateOption, ["sourceResourceId"] = r.SourceResourceId },
            ["diskSizeGB"] = (int)((r.SizeBytes + (1L << 30) - 1) >> 30),
            ["diskSizeBytes"] = r.SizeBytes,
            ["diskState"] = r.State,
            ["provisioningState"] = provisioningState,
        };
        if (r.Kind == "snapshots")
        {
            properties["incremental"] = r.Incremental;
        }

        var rendered = new JsonObject
        {
            ["id"] = r.Id,
            ["name"] = r.Name,
            ["type"] = $"Microsoft.Compute/{r.Kind}",
            ["location"] = r.Location,
            ["tags"] = new JsonObject(r.Tags.Select(t => KeyValuePair.Create(t.Key, (JsonNode?)JsonValue.Create(t.Value)))),
            ["sku"] = new JsonObject { ["name"] = r.Sku },
            ["properties"] = properties,
        };
        if (r.Zones.Count > 0)
        {
            rendered["zones"] = new JsonArray(r.Zones.Select(z => (JsonNode?)JsonValue.Create(z)).ToArray());
        }

        return rendered.ToJsonString();
    }

    /// <summary>
    /// The zone rules of managed disks (learn.microsoft.com/azure/virtual-machines/disks-types: Premium SSD v2 and Ultra
    /// disks are zonal, "can only be deployed as zonal disks" in regions with zones; disks-redundancy: a ZRS disk spans
    /// the zones and names none, refused as "A disk with sku '&lt;sku&gt;' cannot be created in an availability zone.",
    /// code OperationNotAllowed). A disk names at most one zone.
    /// </summary>
    private static FakeResponse? ZoneError(string sku, List<string> zones)
    {
        if (zones.Count > 1 || zones.Any(z => z is not ("1" or "2" or "3")))
        {
            return Error(400, "InvalidParameter", $"The value '{string.Join(",", zones)}' of parameter 'zones' is invalid: a disk is in at most one of the zones 1, 2 and 3.");
        }

        if (sku.EndsWith("_ZRS", StringComparison.Ordinal) && zones.Count > 0)
        {
            return Error(409, "OperationNotAllowed", $"A disk with sku '{sku}' cannot be created in an availability zone.");
        }

        if (sku is "PremiumV2_LRS" or "UltraSSD_LRS" && zones.Count == 0)
        {
            return Error(409, "OperationNotAllowed", $"A disk with sku '{sku}' can only be created in an availability zone.");
        }

        return null;
    }

    private FakeResponse ManagedCluster(FakeRequest request, Match path)
    {
        if (request.Query.GetValueOrDefault("api-version") != ClusterApiVersion)
        {
            return Error(400, "InvalidApiVersionParameter", $"The api-version '{request.Query.GetValueOrDefault("api-version")}' is invalid for Microsoft.ContainerService/managedClusters here; use '{ClusterApiVersion}'.");
        }

        if (!ResourceGroups.Contains(path.Groups["rg"].Value))
        {
            return Error(404, "ResourceGroupNotFound", $"Resource group '{path.Groups["rg"].Value}' could not be found.");
        }

        var found = Clusters.FirstOrDefault(c => c.Id.Equals(request.Path, StringComparison.OrdinalIgnoreCase));
        if (request.Method != "GET" || found is null)
        {
            return request.Method != "GET"
                ? Error(405, "MethodNotAllowed", $"{request.Method} is not supported on '{request.Path}'.")
                : Error(404, "ResourceNotFound", $"The Resource 'Microsoft.ContainerService/managedClusters/{path.Groups["name"].Value}' under resource group '{path.Groups["rg"].Value}' was not found.");
        }

        var pools = new JsonArray(found.PoolZones.Select((zones, i) => (JsonNode?)new JsonObject
        {
            ["name"] = $"pool{i}",
            ["availabilityZones"] = zones.Count == 0 ? null : new JsonArray(zones.Select(z => (JsonNode?)JsonValue.Create(z)).ToArray()),
        }).ToArray());
        return FakeResponse.Json(200, new JsonObject
        {
            ["id"] = found.Id,
            ["name"] = found.Name,
            ["type"] = "Microsoft.ContainerService/ManagedClusters",
            ["location"] = found.Location,
            ["identity"] = found.UserAssigned
                ? new JsonObject
                {
                    ["type"] = "UserAssigned",
                    ["userAssignedIdentities"] = new JsonObject
                    {
                        [$"/subscriptions/{found.Subscription}/resourceGroups/{found.ResourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{found.Name}-identity"] = new JsonObject { ["principalId"] = found.PrincipalId, ["clientId"] = Guid.NewGuid().ToString() },
                    },
                }
                : new JsonObject { ["type"] = "SystemAssigned", ["principalId"] = found.PrincipalId, ["tenantId"] = "72f988bf-86f1-41af-91ab-2d7cd011db47" },
            ["properties"] = new JsonObject
            {
                ["provisioningState"] = "Succeeded",
                ["nodeResourceGroup"] = found.NodeResourceGroup,
                ["agentPoolProfiles"] = pools,
                ["networkProfile"] = found.NetworkPolicy is null
                    ? new JsonObject { ["networkPlugin"] = "azure" }
                    : new JsonObject { ["networkPlugin"] = "azure", ["networkPolicy"] = found.NetworkPolicy },
            },
        }.ToJsonString());
    }

    /// <summary>
    /// Role Assignments - List For Scope with <c>$filter=principalId eq '&lt;id&gt;'</c>: "all role assignments at, above or
    /// below the scope for the specified principal" (learn.microsoft.com/rest/api/authorization/role-assignments/list-for-scope);
    /// Role Definitions - Get by id.
    /// </summary>
    private FakeResponse Authorization(FakeRequest request, Match path)
    {
        if (request.Query.GetValueOrDefault("api-version") != AuthorizationApiVersion)
        {
            return Error(400, "InvalidApiVersionParameter", $"The api-version '{request.Query.GetValueOrDefault("api-version")}' is invalid for Microsoft.Authorization here; use '{AuthorizationApiVersion}'.");
        }

        var scope = path.Groups["scope"].Value;
        if (path.Groups["rg"].Success && !ResourceGroups.Contains(path.Groups["rg"].Value))
        {
            return Error(404, "ResourceGroupNotFound", $"Resource group '{path.Groups["rg"].Value}' could not be found.");
        }

        if (path.Groups["definition"].Success)
        {
            var id = path.Groups["definition"].Value;
            return RoleDefinitions.TryGetValue(id, out var role)
                ? FakeResponse.Json(200, new JsonObject
                {
                    ["id"] = request.Path,
                    ["name"] = id,
                    ["type"] = "Microsoft.Authorization/roleDefinitions",
                    ["properties"] = new JsonObject
                    {
                        ["roleName"] = role.Name,
                        ["permissions"] = new JsonArray(new JsonObject
                        {
                            ["actions"] = new JsonArray(role.Actions.Select(a => (JsonNode?)JsonValue.Create(a)).ToArray()),
                            ["notActions"] = new JsonArray(role.NotActions.Select(a => (JsonNode?)JsonValue.Create(a)).ToArray()),
                        }),
                    },
                }.ToJsonString())
                : Error(404, "RoleDefinitionDoesNotExist", "The specified role definition with ID '" + id + "' does not exist.");
        }

        var filter = PrincipalFilter().Match(request.Query.GetValueOrDefault("$filter") ?? string.Empty);
        bool Related(string other) =>
            other.Equals(scope, StringComparison.OrdinalIgnoreCase)
            || scope.StartsWith(other.TrimEnd('/') + "/", StringComparison.OrdinalIgnoreCase)
            || other.StartsWith(scope + "/", StringComparison.OrdinalIgnoreCase);
        var value = new JsonArray(RoleAssignments
            .Where(a => filter.Success ? a.PrincipalId.Equals(filter.Groups[1].Value, StringComparison.OrdinalIgnoreCase) && Related(a.Scope) : Related(a.Scope) && !a.Scope.StartsWith(scope + "/", StringComparison.OrdinalIgnoreCase))
            .Select(a => (JsonNode?)new JsonObject
            {
                ["id"] = $"{a.Scope}/providers/Microsoft.Authorization/roleAssignments/{Guid.NewGuid()}",
                ["type"] = "Microsoft.Authorization/roleAssignments",
                ["properties"] = new JsonObject
                {
                    ["scope"] = a.Scope,
                    ["principalId"] = a.PrincipalId,
                    ["principalType"] = "ServicePrincipal",
                    ["roleDefinitionId"] = $"/subscriptions/{path.Groups["sub"].Value}/providers/Microsoft.Authorization/roleDefinitions/{a.RoleDefinitionGuid}",
                },
            }).ToArray());
        return FakeResponse.Json(200, new JsonObject { ["value"] = value }.ToJsonString());
    }

    private static readonly HashSet<string> Skus = new(StringComparer.Ordinal)
    {
        "Premium_LRS", "Premium_ZRS", "PremiumV2_LRS", "StandardSSD_LRS", "StandardSSD_ZRS", "Standard_LRS", "Standard_ZRS", "UltraSSD_LRS",
    };

    [GeneratedRegex("^/subscriptions/(?<sub>[^/]+)/resourceGroups/(?<rg>[^/]+)/providers/Microsoft\\.ContainerService/managedClusters/(?<name>[^/]+)$", RegexOptions.IgnoreCase)]
    private static partial Regex ClusterPath();

    [GeneratedRegex("^(?<scope>/subscriptions/(?<sub>[^/]+)(/resourceGroups/(?<rg>[^/]+))?)/providers/Microsoft\\.Authorization/(roleAssignments|roleDefinitions/(?<definition>[^/]+))$", RegexOptions.IgnoreCase)]
    private static partial Regex AuthorizationPath();

    [GeneratedRegex("^principalId eq '([^']+)'$")]
    private static partial Regex PrincipalFilter();

    [GeneratedRegex("^/sas/([0-9a-f]{32})/abcd$")]
    private static partial Regex SasPath();

    [GeneratedRegex("^/subscriptions/(?<sub>[^/]+)/resourceGroups/(?<rg>[^/]+)/providers/Microsoft\\.Compute/(?<kind>disks|snapshots)(/(?<name>[^/]+)(/(?<action>beginGetAccess|endGetAccess))?)?$", RegexOptions.IgnoreCase)]
    private static partial Regex ArmPath();

    [GeneratedRegex("^[A-Za-z0-9]([A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?$")]
    private static partial Regex NamePattern();
}
