using System.Text.Json.Nodes;

namespace Kompox.Testing.KubeApi;

public sealed partial class KubeApiServer
{
    /// <summary>One stored object (without metadata.managedFields) and the fields each manager owns.</summary>
    private sealed class StoredObject
    {
        public StoredObject(ResourceType resource, JsonObject body, List<ManagerEntry> managers)
        {
            Resource = resource;
            Body = body;
            Managers = managers;
        }

        public ResourceType Resource { get; }

        public JsonObject Body { get; set; }

        public List<ManagerEntry> Managers { get; set; }

        public string Name => Body["metadata"]!["name"]!.GetValue<string>();

        public string? Namespace => Body["metadata"]?["namespace"]?.GetValue<string>();
    }

    private sealed record ManagerEntry(string Manager, string Operation, string ApiVersion, string Time, HashSet<string> Fields)
    {
        public ManagerEntry Copy() => this with { Fields = new HashSet<string>(Fields, StringComparer.Ordinal) };
    }

    private static string Key(ResourceType resource, string? ns, string name) => $"{resource.QualifiedName}/{ns}/{name}";

    private IEnumerable<StoredObject> Stored(ResourceType resource, string? ns) =>
        objects.Values.Where(o => o.Resource == resource && (ns is null || o.Namespace == ns)).OrderBy(o => o.Namespace, StringComparer.Ordinal).ThenBy(o => o.Name, StringComparer.Ordinal);

    private StoredObject? Find(ResourceType resource, string? ns, string name) => objects.GetValueOrDefault(Key(resource, ns, name));

    private StoredObject Get(ResourceType resource, string? ns, string name)
    {
        RequireNamespace(resource, ns);
        return Find(resource, ns, name) ?? throw ApiError.NotFound(resource, name);
    }

    private void RequireNamespace(ResourceType resource, string? ns)
    {
        if (resource.Namespaced && ns is not null && Find(Resource("namespaces"), null, ns) is null)
        {
            throw ApiError.NamespaceNotFound(ns);
        }
    }

    /// <summary>Stores an object the server makes itself (seed objects, ReplicaSets, Pods, Events): no validation, no manager.</summary>
    private StoredObject Insert(ResourceType resource, JsonObject body)
    {
        var metadata = (JsonObject)body["metadata"]!;
        metadata["uid"] = Guid.NewGuid().ToString();
        metadata["creationTimestamp"] = Now();
        metadata["resourceVersion"] = (++resourceVersion).ToString(System.Globalization.CultureInfo.InvariantCulture);
        metadata["generation"] = 1;
        var stored = new StoredObject(resource, body, []);
        objects[Key(resource, stored.Namespace, stored.Name)] = stored;
        Emit("ADDED", stored);
        return stored;
    }

    /// <summary>Replaces the body of a server-made object (status changes) and bumps its resourceVersion when it changed.</summary>
    private void Replace(StoredObject stored, JsonObject body)
    {
        if (JsonNode.DeepEquals(stored.Body, body))
        {
            return;
        }
        body["metadata"]!["resourceVersion"] = (++resourceVersion).ToString(System.Globalization.CultureInfo.InvariantCulture);
        stored.Body = body;
        Emit("MODIFIED", stored);
    }

    private JsonObject Render(StoredObject stored)
    {
        var body = (JsonObject)stored.Body.DeepClone();
        if (stored.Managers.Count > 0)
        {
            var managed = new JsonArray();
            foreach (var entry in stored.Managers)
            {
                managed.Add(new JsonObject
                {
                    ["manager"] = entry.Manager,
                    ["operation"] = entry.Operation,
                    ["apiVersion"] = entry.ApiVersion,
                    ["time"] = entry.Time,
                    ["fieldsType"] = "FieldsV1",
                    ["fieldsV1"] = FieldPaths.ToFieldsV1(entry.Fields),
                });
            }
            ((JsonObject)body["metadata"]!)["managedFields"] = managed;
        }
        return body;
    }

    private JsonObject List(ResourceType resource, string? ns, Dictionary<string, string> query)
    {
        RequireNamespace(resource, ns);
        var labels = Selectors.ParseLabels(query.GetValueOrDefault("labelSelector"), out var labelError) ?? throw ApiError.BadRequest(labelError!);
        var fields = Selectors.ParseFields(query.GetValueOrDefault("fieldSelector"), out var fieldError) ?? throw ApiError.BadRequest(fieldError!);
        var items = new JsonArray();
        foreach (var stored in Stored(resource, ns))
        {
            if (labels(Selectors.LabelsOf(stored.Body)) && fields(stored.Body))
            {
                items.Add(Render(stored));
            }
        }
        return new JsonObject
        {
            ["kind"] = resource.Kind + "List",
            ["apiVersion"] = resource.GroupVersion,
            ["metadata"] = new JsonObject { ["resourceVersion"] = resourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            ["items"] = items,
        };
    }

    private JsonObject ParseObject(Call call, ResourceType resource, string? ns, string? name)
    {
        JsonNode? node;
        try
        {
            node = Bodies.Parse(call.Body);
        }
        catch (Exception exception) when (exception is System.Text.Json.JsonException or YamlDotNet.Core.YamlException)
        {
            throw ApiError.BadRequest($"the body of the request was in an unknown format: {exception.Message}");
        }
        if (node is not JsonObject body)
        {
            throw ApiError.BadRequest("the body of the request must be an object");
        }
        var apiVersion = body["apiVersion"]?.ToString();
        var kind = body["kind"]?.ToString();
        if (apiVersion is not null && kind is not null && (apiVersion != resource.GroupVersion || kind != resource.Kind))
        {
            throw ApiError.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version ({resource.GroupVersion})");
        }
        body["apiVersion"] = resource.GroupVersion;
        body["kind"] = resource.Kind;
        if (body["metadata"] is not JsonObject metadata)
        {
            metadata = new JsonObject();
            body["metadata"] = metadata;
        }
        var bodyNs = metadata["namespace"]?.ToString();
        if (resource.Namespaced)
        {
            if (bodyNs is not null && bodyNs.Length > 0 && bodyNs != ns)
            {
                throw ApiError.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
            }
            metadata["namespace"] = ns;
        }
        else
        {
            metadata.Remove("namespace");
        }
        var bodyName = metadata["name"]?.ToString();
        if (name is not null)
        {
            if (bodyName is not null && bodyName != name)
            {
                throw ApiError.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({name})");
            }
            metadata["name"] = name;
        }
        metadata.Remove("managedFields");
        return body;
    }

    /// <summary>The fieldManager of a write, else what kube-apiserver takes: the User-Agent up to its first '/' (at most 128 characters).</summary>
    private static string ManagerOf(Call call)
    {
        if (call.Query.GetValueOrDefault("fieldManager") is { Length: > 0 } manager)
        {
            return manager;
        }
        var agent = call.UserAgent.Split('/')[0];
        return agent.Length == 0 ? "unknown" : agent[..Math.Min(agent.Length, 128)];
    }

    private JsonObject Create(Call call, Target target)
    {
        var resource = target.Resource;
        RequireNamespace(resource, target.Namespace);
        var body = ParseObject(call, resource, target.Namespace, null);
        var metadata = (JsonObject)body["metadata"]!;
        if (metadata["name"] is null && metadata["generateName"]?.ToString() is { Length: > 0 } generateName)
        {
            metadata["name"] = generateName + RandomSuffix();
        }
        var name = metadata["name"]?.ToString() ?? "";
        if (name.Length > 0 && Find(resource, target.Namespace, name) is not null)
        {
            throw ApiError.AlreadyExists(resource, name);
        }
        if (resource.HasStatus && resource.Plural != "pods")
        {
            body.Remove("status");
        }
        var managers = new List<ManagerEntry>();
        RecordUpdate(managers, null, body, ManagerOf(call), resource.GroupVersion);
        return Render(Commit(call, resource, null, body, managers, strict: StrictValidation(call)));
    }

    private JsonObject Update(Call call, Target target, string name)
    {
        var resource = target.Resource;
        var stored = Get(resource, target.Namespace, name);
        var body = ParseObject(call, resource, target.Namespace, name);
        CheckResourceVersion(body, stored);
        var merged = PreserveSystemFields(stored, body, target.Subresource == "status");
        var managers = stored.Managers.Select(m => m.Copy()).ToList();
        RecordUpdate(managers, stored.Body, merged, ManagerOf(call), resource.GroupVersion);
        return Render(Commit(call, resource, stored, merged, managers, strict: StrictValidation(call)));
    }

    private (int, JsonObject) Patch(Call call, Target target, string name)
    {
        var resource = target.Resource;
        var contentType = call.ContentType?.Split(';')[0].Trim() ?? "";
        if (contentType == "application/apply-patch+yaml")
        {
            return Apply(call, target, name);
        }
        var strategic = contentType == "application/strategic-merge-patch+json";
        var jsonPatch = contentType == "application/json-patch+json";
        if (!strategic && !jsonPatch && contentType != "application/merge-patch+json")
        {
            throw new ApiError(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml");
        }
        var stored = Get(resource, target.Namespace, name);
        var patched = (JsonObject)stored.Body.DeepClone();
        if (jsonPatch)
        {
            JsonPatch.Apply(patched, Bodies.Parse(call.Body) as JsonArray ?? throw ApiError.BadRequest("a JSON patch must be an array of operations"));
            if (patched["metadata"]?["resourceVersion"]?.ToString() != stored.Body["metadata"]!["resourceVersion"]!.ToString())
            {
                throw ApiError.Modified(resource, name);
            }
        }
        else
        {
            if (Bodies.Parse(call.Body) is not JsonObject patch)
            {
                throw ApiError.BadRequest("the patch must be a JSON object");
            }
            if (patch["metadata"]?["resourceVersion"]?.ToString() is { } expected && expected != stored.Body["metadata"]!["resourceVersion"]!.ToString())
            {
                throw ApiError.Modified(resource, name);
            }
            MergePatch(patched, patch, strategic, false);
        }
        patched["apiVersion"] = resource.GroupVersion;
        patched["kind"] = resource.Kind;
        var merged = PreserveSystemFields(stored, patched, target.Subresource == "status");
        var managers = stored.Managers.Select(m => m.Copy()).ToList();
        RecordUpdate(managers, stored.Body, merged, ManagerOf(call), resource.GroupVersion);
        return (200, Render(Commit(call, resource, stored, merged, managers, strict: StrictValidation(call))));
    }

    private static bool StrictValidation(Call call) => call.Query.GetValueOrDefault("fieldValidation") == "Strict";

    /// <summary>RFC 7386 merge patch; the strategic form also merges the keyed lists by key and honours "$patch: delete" items.</summary>
    private static void MergePatch(JsonObject target, JsonObject patch, bool strategic, bool inContainer)
    {
        foreach (var (name, value) in patch)
        {
            if (strategic && name.StartsWith('$'))
            {
                continue;
            }
            var childInContainer = inContainer || name is "containers" or "initContainers" or "ephemeralContainers";
            if (value is null)
            {
                target.Remove(name);
            }
            else if (value is JsonObject patchMap && target[name] is JsonObject targetMap)
            {
                MergePatch(targetMap, patchMap, strategic, childInContainer);
            }
            else if (strategic && value is JsonArray patchList && target[name] is JsonArray targetList
                && FieldPaths.ListKeys(name, inContainer) is { } keyFields && FieldPaths.KeysOf(targetList, name, inContainer) is not null)
            {
                foreach (var item in patchList.OfType<JsonObject>())
                {
                    var key = FieldPaths.KeySegment(item, keyFields);
                    var existing = targetList.OfType<JsonObject>().FirstOrDefault(t => FieldPaths.KeySegment(t, keyFields) == key);
                    if (item["$patch"]?.ToString() == "delete")
                    {
                        if (existing is not null)
                        {
                            targetList.Remove(existing);
                        }
                    }
                    else if (existing is not null)
                    {
                        MergePatch(existing, item, strategic, childInContainer);
                    }
                    else
                    {
                        targetList.Add(item.DeepClone());
                    }
                }
            }
            else
            {
                target[name] = value.DeepClone();
            }
        }
    }

    private static void CheckResourceVersion(JsonObject body, StoredObject stored)
    {
        var sent = body["metadata"]?["resourceVersion"]?.ToString();
        if (!string.IsNullOrEmpty(sent) && sent != stored.Body["metadata"]!["resourceVersion"]!.ToString())
        {
            throw ApiError.Modified(stored.Resource, stored.Name);
        }
    }

    /// <summary>Keeps what a client cannot set: identity metadata, and the status (or, for the status subresource, everything else).</summary>
    private static JsonObject PreserveSystemFields(StoredObject stored, JsonObject body, bool statusOnly)
    {
        JsonObject result;
        if (statusOnly)
        {
            result = (JsonObject)stored.Body.DeepClone();
            result["status"] = body["status"]?.DeepClone();
        }
        else
        {
            result = body;
            if (stored.Resource.HasStatus)
            {
                result["status"] = stored.Body["status"]?.DeepClone();
            }
        }
        var metadata = (JsonObject)result["metadata"]!;
        var old = (JsonObject)stored.Body["metadata"]!;
        foreach (var field in new[] { "uid", "creationTimestamp", "resourceVersion", "generation", "deletionTimestamp", "deletionGracePeriodSeconds" })
        {
            if (old[field] is { } value)
            {
                metadata[field] = value.DeepClone();
            }
            else
            {
                metadata.Remove(field);
            }
        }
        if (result["status"] is null)
        {
            result.Remove("status");
        }
        return result;
    }

    /// <summary>An Update operation: the fields it changed or added move to <paramref name="manager"/>, removed ones leave every manager.</summary>
    private void RecordUpdate(List<ManagerEntry> managers, JsonObject? before, JsonObject after, string manager, string apiVersion)
    {
        var afterSet = FieldPaths.Collect(after);
        var beforeSet = before is null ? new HashSet<string>(StringComparer.Ordinal) : FieldPaths.Collect(before);
        var changed = afterSet.Where(p => !beforeSet.Contains(p) || (!IsItem(p) && !JsonNode.DeepEquals(FieldPaths.ValueAt(before!, p), FieldPaths.ValueAt(after, p)))).ToHashSet(StringComparer.Ordinal);
        foreach (var entry in managers)
        {
            entry.Fields.ExceptWith(changed);
            entry.Fields.IntersectWith(afterSet);
        }
        if (changed.Count > 0)
        {
            var mine = managers.FindIndex(m => m.Manager == manager && m.Operation == "Update");
            if (mine >= 0)
            {
                managers[mine] = managers[mine] with { Time = Now() };
                managers[mine].Fields.UnionWith(changed);
            }
            else
            {
                managers.Add(new ManagerEntry(manager, "Update", apiVersion, Now(), changed));
            }
        }
        managers.RemoveAll(m => m.Fields.Count == 0);
    }

    private static bool IsItem(string path) => path[(path.LastIndexOf(FieldPaths.Separator) + 1)..].StartsWith("k:", StringComparison.Ordinal);

    /// <summary>
    /// Server-side apply: conflicts with other managers' differing fields (409 unless force), the applied fields merged in,
    /// the fields this manager applied before and no longer applies removed unless another manager owns them.
    /// </summary>
    private (int, JsonObject) Apply(Call call, Target target, string name)
    {
        var resource = target.Resource;
        var manager = call.Query.GetValueOrDefault("fieldManager");
        if (string.IsNullOrEmpty(manager))
        {
            throw ApiError.BadRequest("PATCH, application/apply-patch+yaml: fieldManager is required for apply requests");
        }
        var force = call.Query.GetValueOrDefault("force") == "true";
        RequireNamespace(resource, target.Namespace);
        var applied = ParseObject(call, resource, target.Namespace, name);
        if (target.Subresource is null)
        {
            applied.Remove("status");
        }
        var metadata = (JsonObject)applied["metadata"]!;
        foreach (var field in new[] { "uid", "creationTimestamp", "resourceVersion", "generation", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink" })
        {
            metadata.Remove(field);
        }
        var appliedSet = FieldPaths.Collect(applied);
        var stored = Find(resource, target.Namespace, name);
        if (stored is null)
        {
            var created = Commit(call, resource, null, applied, [new ManagerEntry(manager, "Apply", resource.GroupVersion, Now(), appliedSet)], strict: true);
            return (201, Render(created));
        }

        var current = stored.Body;
        var managers = stored.Managers.Select(m => m.Copy()).ToList();
        // Managers are told apart by name and operation, as kube-apiserver does: the applier's own earlier Update is another manager.
        var conflicts = new List<(string Path, ManagerEntry Owner)>();
        foreach (var path in appliedSet.Where(p => !IsItem(p)).OrderBy(p => p, StringComparer.Ordinal))
        {
            var existing = FieldPaths.ValueAt(current, path);
            if (existing is null || JsonNode.DeepEquals(existing, FieldPaths.ValueAt(applied, path)))
            {
                continue;
            }
            foreach (var owner in managers.Where(m => !(m.Manager == manager && m.Operation == "Apply") && m.Fields.Contains(path)))
            {
                conflicts.Add((path, owner));
            }
        }
        if (conflicts.Count > 0 && !force)
        {
            // An Update manager is named with the time of its write, as kube-apiserver names it ("using v1 at 2026-...").
            throw Conflict(resource, name, conflicts.Select(c => (c.Path, c.Owner.Manager, c.Owner.Operation == "Update" ? $"{c.Owner.ApiVersion} at {c.Owner.Time}" : c.Owner.ApiVersion)).ToList());
        }
        foreach (var (path, owner) in conflicts)
        {
            owner.Fields.RemoveWhere(f => f == path || FieldPaths.IsPrefixOf(path, f));
        }

        var merged = (JsonObject)current.DeepClone();
        FieldPaths.Merge(merged, applied);
        var mineIndex = managers.FindIndex(m => m.Manager == manager && m.Operation == "Apply");
        var previous = mineIndex >= 0 ? managers[mineIndex].Fields : new HashSet<string>(StringComparer.Ordinal);
        var others = managers.Where((_, i) => i != mineIndex).ToList();
        // A list item before its fields: removing an item's key field first would leave the item unfindable, half there.
        foreach (var path in previous.Except(appliedSet).OrderBy(p => FieldPaths.Segments(p).Length))
        {
            var keptByOthers = others.Any(m => m.Fields.Any(f => f == path || FieldPaths.IsPrefixOf(path, f)))
                || appliedSet.Any(f => FieldPaths.IsPrefixOf(path, f));
            if (!keptByOthers)
            {
                FieldPaths.RemoveAt(merged, path);
            }
        }
        var entryNow = new ManagerEntry(manager, "Apply", resource.GroupVersion, Now(), appliedSet);
        if (mineIndex >= 0)
        {
            var unchanged = managers[mineIndex].Fields.SetEquals(appliedSet);
            managers[mineIndex] = unchanged ? managers[mineIndex] with { Fields = appliedSet } : entryNow;
        }
        else
        {
            managers.Add(entryNow);
        }
        var present = FieldPaths.Collect(merged);
        foreach (var entry in managers)
        {
            entry.Fields.IntersectWith(present);
        }
        managers.RemoveAll(m => m.Fields.Count == 0);
        return (200, Render(Commit(call, resource, stored, merged, managers, strict: true)));
    }

    private static ApiError Conflict(ResourceType resource, string name, List<(string Path, string Owner, string ApiVersion)> conflicts)
    {
        var causes = new JsonArray();
        foreach (var (path, owner, apiVersion) in conflicts)
        {
            causes.Add(new JsonObject
            {
                ["reason"] = "FieldManagerConflict",
                ["message"] = $"conflict with \"{owner}\" using {apiVersion}",
                ["field"] = FieldPaths.Display(path),
            });
        }
        var lines = conflicts.Select(c => $"- {c.Owner}: {FieldPaths.Display(c.Path)}");
        var count = conflicts.Count == 1 ? "1 conflict" : $"{conflicts.Count} conflicts";
        var details = new JsonObject { ["name"] = name };
        if (resource.Group.Length > 0)
        {
            details["group"] = resource.Group;
        }
        details["kind"] = resource.Plural;
        details["causes"] = causes;
        return new ApiError(409, "Conflict", $"Apply failed with {count}: conflicts with other field managers:\n{string.Join("\n", lines)}", details);
    }

    private JsonObject Delete(Call call, Target target, string name)
    {
        var stored = Get(target.Resource, target.Namespace, name);
        var rendered = Render(stored);
        if (call.DryRun)
        {
            return rendered;
        }
        if (Finalizers(stored.Body).Count > 0)
        {
            // An object with finalizers is only marked (k8s.io/apiserver pkg/registry/generic/registry/store.go,
            // updateForGracefulDeletionAndFinalizers): deletionTimestamp set, kept until its controllers remove the last one.
            if (stored.Body["metadata"]!["deletionTimestamp"] is null)
            {
                var marked = (JsonObject)stored.Body.DeepClone();
                marked["metadata"]!["deletionTimestamp"] = Now();
                marked["metadata"]!["deletionGracePeriodSeconds"] = 0;
                Replace(stored, marked);
                call.Changed = true;
            }
            return Render(stored);
        }
        Remove(stored);
        call.Changed = true;
        if (target.Resource.Plural == "pods")
        {
            ReplacePod(stored);
        }
        if (target.Resource.Plural == "namespaces")
        {
            rendered["metadata"]!["deletionTimestamp"] = Now();
            rendered["status"] = new JsonObject { ["phase"] = "Terminating" };
        }
        return rendered;
    }

    private JsonObject DeleteCollection(Call call, Target target)
    {
        var list = List(target.Resource, target.Namespace, call.Query);
        foreach (var item in list["items"]!.AsArray().OfType<JsonObject>())
        {
            if (Find(target.Resource, target.Namespace, item["metadata"]!["name"]!.ToString()) is { } stored && !call.DryRun)
            {
                Remove(stored);
                call.Changed = true;
            }
        }
        return list;
    }

    /// <summary>Drops one object from the store; a deletion has its own resourceVersion, as watchers see it.</summary>
    private void Forget(StoredObject stored)
    {
        if (objects.Remove(Key(stored.Resource, stored.Namespace, stored.Name)))
        {
            var body = (JsonObject)stored.Body.DeepClone();
            body["metadata"]!["resourceVersion"] = (++resourceVersion).ToString(System.Globalization.CultureInfo.InvariantCulture);
            stored.Body = body;
            Emit("DELETED", stored);
        }
    }

    /// <summary>Removes an object, what it owns (garbage collection by ownerReferences) and, for a namespace, everything in it.</summary>
    private void Remove(StoredObject stored)
    {
        Forget(stored);
        if (stored.Resource.Plural == "namespaces")
        {
            foreach (var inside in objects.Values.Where(o => o.Namespace == stored.Name).ToList())
            {
                Forget(inside);
            }
        }
        if (stored.Resource.Plural == "pods")
        {
            foreach (var key in logs.Keys.Where(k => k.Namespace == stored.Namespace && k.Pod == stored.Name).ToList())
            {
                logs.Remove(key);
            }
        }
        var uid = stored.Body["metadata"]!["uid"]!.ToString();
        var owned = objects.Values.Where(o => o.Body["metadata"]?["ownerReferences"] is JsonArray owners && owners.Any(r => r?["uid"]?.ToString() == uid)).ToList();
        foreach (var child in owned)
        {
            Remove(child);
        }
    }

    /// <summary>
    /// Stores a written object unless it equals what is stored (a no-op keeps resourceVersion and generation): defaults,
    /// validation, immutable fields, then the new resourceVersion and generation, then the controllers' reaction.
    /// </summary>
    private StoredObject Commit(Call call, ResourceType resource, StoredObject? old, JsonObject body, List<ManagerEntry> managers, bool strict)
    {
        // Decoding the body (or the patched object) into its Go type comes before defaulting and validation.
        MicroTime.Check(resource, body);
        ApplyDefaults(resource, old, body);
        if (old is not null && JsonNode.DeepEquals(old.Body, body) && SameManagers(old.Managers, managers))
        {
            return old;
        }
        Validate(resource, body, strict);
        if (old is not null)
        {
            CheckImmutable(resource, old.Body, body);
        }
        var metadata = (JsonObject)body["metadata"]!;
        var name = metadata["name"]!.ToString();
        if (old is null && Find(resource, metadata["namespace"]?.ToString(), name) is not null)
        {
            throw ApiError.AlreadyExists(resource, name);
        }
        Admit(resource, old, body);
        metadata["uid"] = old?.Body["metadata"]!["uid"]?.DeepClone() ?? Guid.NewGuid().ToString();
        metadata["creationTimestamp"] = old?.Body["metadata"]!["creationTimestamp"]?.DeepClone() ?? Now();
        var generation = old?.Body["metadata"]!["generation"]?.GetValue<long>() ?? 0;
        metadata["generation"] = old is null || SpecChanged(old.Body, body) ? generation + 1 : generation;
        if (call.DryRun)
        {
            metadata["resourceVersion"] = old?.Body["metadata"]!["resourceVersion"]?.DeepClone();
            return new StoredObject(resource, body, managers);
        }
        if (old is not null && metadata["deletionTimestamp"] is not null && Finalizers(body).Count == 0)
        {
            // The write that removes the last finalizer of an object being deleted deletes it (store.go, Update:
            // ShouldDeleteDuringUpdate).
            old.Body = body;
            old.Managers = managers;
            call.Changed = true;
            Remove(old);
            return old;
        }
        metadata["resourceVersion"] = (++resourceVersion).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var stored = old ?? new StoredObject(resource, body, managers);
        stored.Body = body;
        stored.Managers = managers;
        objects[Key(resource, stored.Namespace, name)] = stored;
        call.Changed = true;
        Emit(old is null ? "ADDED" : "MODIFIED", stored);
        AfterWrite(stored);
        return stored;
    }

    private static List<string> Finalizers(JsonObject body) =>
        body["metadata"]?["finalizers"]?.AsArray().Select(f => f?.ToString() ?? "").ToList() ?? [];

    /// <summary>
    /// The admission plugins on the kinds Kompox writes that change or refuse a valid write:
    /// StorageObjectInUseProtection (plugin/pkg/admission/storage/storageobjectinuseprotection/admission.go) puts the
    /// protection finalizer on every new PersistentVolume and claim, and PersistentVolumeClaimResize
    /// (plugin/pkg/admission/storage/persistentvolume/resize/admission.go) lets a claim's storage request grow only when
    /// it is bound and its StorageClass allows expansion: never for a static claim (storageClassName "").
    /// </summary>
    private void Admit(ResourceType resource, StoredObject? old, JsonObject body)
    {
        var protection = resource.Plural switch
        {
            "persistentvolumes" => PvProtectionFinalizer,
            "persistentvolumeclaims" => PvcProtectionFinalizer,
            _ => null,
        };
        if (old is null && protection is not null && !Finalizers(body).Contains(protection))
        {
            if (body["metadata"]!["finalizers"] is not JsonArray finalizers)
            {
                finalizers = [];
                body["metadata"]!["finalizers"] = finalizers;
            }
            finalizers.Add(protection);
        }
        if (old is not null && resource.Plural == "persistentvolumeclaims"
            && Quantity.TryParse(old.Body["spec"]?["resources"]?["requests"]?["storage"]?.ToString(), out var was)
            && Quantity.TryParse(body["spec"]?["resources"]?["requests"]?["storage"]?.ToString(), out var now)
            && now.CompareTo(was) > 0)
        {
            var name = body["metadata"]!["name"]!.ToString();
            if (old.Body["status"]?["phase"]?.ToString() != "Bound")
            {
                throw ApiError.Forbidden(resource, name, "Only bound persistent volume claims can be expanded");
            }
            // allowResize needs a StorageClass with allowVolumeExpansion; this server has no StorageClasses, so a bound
            // claim never grows here (a static one, storageClassName "", never does anywhere).
            throw ApiError.Forbidden(resource, name, "only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize");
        }
    }

    private static bool SameManagers(List<ManagerEntry> left, List<ManagerEntry> right) =>
        left.Count == right.Count && left.Zip(right).All(p => p.First.Manager == p.Second.Manager && p.First.Operation == p.Second.Operation && p.First.Fields.SetEquals(p.Second.Fields));

    private static bool SpecChanged(JsonObject before, JsonObject after)
    {
        var a = (JsonObject)before.DeepClone();
        var b = (JsonObject)after.DeepClone();
        foreach (var item in new[] { a, b })
        {
            item.Remove("metadata");
            item.Remove("status");
        }
        return !JsonNode.DeepEquals(a, b);
    }

    /// <summary>The apiserver's defaults the rest of the server relies on: a Service's clusterIP, a Deployment's replicas, phases.</summary>
    private void ApplyDefaults(ResourceType resource, StoredObject? old, JsonObject body)
    {
        switch (resource.Plural)
        {
            case "services" when body["spec"] is JsonObject spec && spec["type"]?.ToString() != "ExternalName":
                if (spec["clusterIP"] is null)
                {
                    var ip = old?.Body["spec"]?["clusterIP"]?.ToString() ?? $"10.96.0.{nextClusterIp++}";
                    spec["clusterIP"] = ip;
                    spec["clusterIPs"] = new JsonArray(ip);
                }
                spec["type"] ??= "ClusterIP";
                DefaultProtocols(spec["ports"]);
                break;
            case "deployments" when body["spec"] is JsonObject spec:
                spec["replicas"] ??= 1;
                foreach (var container in spec["template"]?["spec"]?["containers"]?.AsArray() ?? [])
                {
                    DefaultProtocols(container?["ports"]);
                }
                break;
            case "namespaces":
                body["status"] ??= new JsonObject { ["phase"] = "Active" };
                break;
            case "secrets" when body["stringData"] is JsonObject stringData:
                // The apiserver folds stringData into data on write; it is never stored.
                if (body["data"] is not JsonObject data)
                {
                    data = new JsonObject();
                    body["data"] = data;
                }
                foreach (var (key, value) in stringData)
                {
                    data[key] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(value?.ToString() ?? ""));
                }
                body.Remove("stringData");
                break;
            case "persistentvolumes":
                body["status"] ??= new JsonObject { ["phase"] = "Available" };
                break;
            case "persistentvolumeclaims":
                body["status"] ??= new JsonObject { ["phase"] = "Pending" };
                break;
        }
    }

    /// <summary>A port without protocol gets "TCP": SetDefaults_Service in pkg/apis/core/v1/defaults.go, and ContainerPort.Protocol's <c>+default="TCP"</c> in k8s.io/api core/v1 types.go.</summary>
    private static void DefaultProtocols(JsonNode? ports)
    {
        foreach (var port in (ports as JsonArray)?.OfType<JsonObject>() ?? [])
        {
            port["protocol"] ??= "TCP";
        }
    }

    private static void Validate(ResourceType resource, JsonObject body, bool strict)
    {
        var copy = (JsonObject)body.DeepClone();
        copy.Remove("status");
        var metadata = (JsonObject)copy["metadata"]!;
        foreach (var field in new[] { "uid", "creationTimestamp", "resourceVersion", "generation", "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields", "selfLink" })
        {
            metadata.Remove(field);
        }
        var errors = ManifestValidator.ValidateYaml(copy.ToJsonString())
            .Where(e => strict || !e.Message.Contains("field not declared in schema", StringComparison.Ordinal))
            .ToList();
        var name = metadata["name"]?.ToString() ?? "";
        if (errors.Any(e => e.Kind == "YAML"))
        {
            throw ApiError.BadRequest(string.Join("; ", errors.Where(e => e.Kind == "YAML").Select(e => e.Message)));
        }
        if (errors.Count > 0)
        {
            throw ApiError.Invalid(resource, name, errors.Select(e => (e.Field, e.Message)).ToList());
        }
    }

    /// <summary>
    /// Fields kube-apiserver refuses to change on update (kubernetes pkg/apis/core/validation/validation.go:
    /// ValidatePersistentVolumeUpdate, a volume's persistentvolumesource; ValidatePersistentVolumeClaimUpdate, a claim's
    /// spec except an empty volumeName set once and, for a bound claim, resources.requests and volumeAttributesClassName).
    /// </summary>
    private static void CheckImmutable(ResourceType resource, JsonObject before, JsonObject after)
    {
        var name = after["metadata"]!["name"]!.ToString();
        var errors = new List<(string Field, string Message)>();
        switch (resource.Plural)
        {
            case "persistentvolumes":
                foreach (var source in new[] { "csi", "local", "hostPath", "nfs", "azureDisk" })
                {
                    if (!JsonNode.DeepEquals(before["spec"]?[source], after["spec"]?[source]))
                    {
                        errors.Add(("spec.persistentvolumesource", "Forbidden: spec.persistentvolumesource is immutable after creation"));
                        break;
                    }
                }
                break;
            case "persistentvolumeclaims":
                // Only a bound claim may change its storage request, and the binder may fill an empty volumeName; nothing else changes.
                var bound = before["status"]?["phase"]?.ToString() == "Bound";
                var oldSpec = before["spec"]?.DeepClone() as JsonObject ?? new JsonObject();
                var newSpec = after["spec"]?.DeepClone() as JsonObject ?? new JsonObject();
                foreach (var spec in new[] { oldSpec, newSpec })
                {
                    spec.Remove("volumeAttributesClassName");
                    if (bound && spec["resources"]?["requests"] is JsonObject requests)
                    {
                        requests.Remove("storage");
                    }
                }
                if (string.IsNullOrEmpty(oldSpec["volumeName"]?.ToString()))
                {
                    oldSpec.Remove("volumeName");
                    newSpec.Remove("volumeName");
                }
                if (!JsonNode.DeepEquals(oldSpec, newSpec))
                {
                    errors.Add(("spec", "Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims"));
                }
                var was = before["spec"]?["resources"]?["requests"]?["storage"]?.ToString();
                var now = after["spec"]?["resources"]?["requests"]?["storage"]?.ToString();
                if (Quantity.TryParse(was, out var previous) && Quantity.TryParse(now, out var next) && next.CompareTo(previous) < 0)
                {
                    errors.Add(("spec.resources.requests.storage", "Forbidden: field can not be less than status.capacity"));
                }
                break;
            case "deployments" or "replicasets":
                if (!JsonNode.DeepEquals(before["spec"]?["selector"], after["spec"]?["selector"]))
                {
                    errors.Add(("spec.selector", $"Invalid value: {after["spec"]?["selector"]?.ToJsonString() ?? "null"}: field is immutable"));
                }
                break;
            case "services":
                var oldIp = before["spec"]?["clusterIP"]?.ToString();
                var newIp = after["spec"]?["clusterIP"]?.ToString();
                if (!string.IsNullOrEmpty(oldIp) && oldIp != "None" && newIp != oldIp)
                {
                    errors.Add(("spec.clusterIPs[0]", $"Invalid value: \"{newIp}\": may not change once set"));
                }
                break;
            case "secrets" or "configmaps":
                if (before["immutable"]?.GetValue<bool>() == true)
                {
                    if (after["immutable"]?.GetValue<bool>() != true)
                    {
                        errors.Add(("immutable", "Forbidden: field is immutable when `immutable` is set"));
                    }
                    if (!JsonNode.DeepEquals(before["data"], after["data"]) || !JsonNode.DeepEquals(before["binaryData"], after["binaryData"]))
                    {
                        errors.Add(("data", "Forbidden: field is immutable when `immutable` is set"));
                    }
                }
                break;
        }
        if (errors.Count > 0)
        {
            throw ApiError.Invalid(resource, name, errors);
        }
    }

    private static string RandomSuffix()
    {
        const string alphabet = "bcdfghjklmnpqrstvwxz2456789";
        return string.Concat(Enumerable.Range(0, 5).Select(_ => alphabet[Random.Shared.Next(alphabet.Length)]));
    }
}
