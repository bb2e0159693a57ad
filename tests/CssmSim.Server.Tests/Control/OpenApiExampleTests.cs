using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CssmSim.Server.Tests.Support;

namespace CssmSim.Server.Tests.Control;

/// <summary>The control API's document offers its key to Swagger UI's Authorize; ApiDocumentTests sends every documented example (issue 20).</summary>
public sealed class OpenApiExampleTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_document_offers_the_control_key_as_a_security_scheme()
    {
        await using var sim = await TestSimulator.StartAsync();

        var doc = await DocumentAsync(sim);

        var scheme = doc["components"]!["securitySchemes"]![CssmSim.Server.Control.ControlApiDocs.KeyScheme]!;
        scheme["type"]!.GetValue<string>().ShouldBe("apiKey");
        scheme["in"]!.GetValue<string>().ShouldBe("header");
        scheme["name"]!.GetValue<string>().ShouldBe("X-CssmSim-Key");
        doc["security"]!.AsArray().ShouldNotBeEmpty();
    }

    private static async Task<JsonObject> DocumentAsync(TestSimulator sim)
    {
        using var response = await sim.Http.GetAsync("/_sim/openapi.json", Ct);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        return (await TestSimulator.ReadJsonAsync(response)).AsObject();
    }
}
