using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using static Kompox.Service.Tests.ServiceFixture;

namespace Kompox.Service.Tests;

public sealed class OpenApiTests
{
    /// <summary>The checked-in document, so that an API change shows in review; KOMPOX_UPDATE_OPENAPI=1 rewrites it.</summary>
    private static string CheckedIn => Path.Combine(RepoRoot(), "src", "Kompox.Service", "openapi", "v1.json");

    [Fact]
    public async Task The_served_document_is_the_checked_in_one_and_describes_every_route()
    {
        await using var service = await StartAsync().Within();
        using var response = await service.Client(null).GetAsync("/openapi/v1.json").Within();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var served = (await response.Content.ReadAsStringAsync().Within()).ReplaceLineEndings("\n");
        if (Environment.GetEnvironmentVariable("KOMPOX_UPDATE_OPENAPI") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(CheckedIn)!);
            await File.WriteAllTextAsync(CheckedIn, served);

            // A comparison made against what was just written proves nothing: the run that updates fails.
            Assert.Fail($"KOMPOX_UPDATE_OPENAPI=1 wrote {CheckedIn}: review the difference, commit it and run the test again without the switch");
        }

        Assert.True(File.Exists(CheckedIn), $"{CheckedIn} is missing; run the test with KOMPOX_UPDATE_OPENAPI=1 to write it");
        Assert.True(served == (await File.ReadAllTextAsync(CheckedIn)).ReplaceLineEndings("\n"), "the API changed: review the difference and run the test with KOMPOX_UPDATE_OPENAPI=1 to check it in");

        // Every /v1 route is in it, each with an operation id, a summary and a problem answer.
        var document = JsonNode.Parse(served)!;
        var routes = service.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/v1", StringComparison.Ordinal) == true)
            .SelectMany(e => e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Select(m => (Method: m.ToLowerInvariant(), Path: e.RoutePattern.RawText!.TrimEnd('/'))));
        foreach (var (method, path) in routes)
        {
            var operation = document["paths"]?[path]?[method];
            Assert.True(operation is not null, $"{method} {path} is not in the document");
            Assert.NotNull(operation["operationId"]);
            Assert.NotNull(operation["summary"]);
            Assert.Contains(operation["responses"]!.AsObject(), r => r.Value?["content"]?["application/problem+json"] is not null);
        }
    }

    private static string RepoRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Kompox.slnx")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("the repository root (Kompox.slnx) is not above the tests");
    }
}
