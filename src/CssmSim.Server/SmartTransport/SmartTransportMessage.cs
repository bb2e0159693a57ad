using System.Text.Json;
using System.Text.Json.Nodes;
using CssmSim.Engine.Devices;
using CssmSim.Engine.ProductInstances;
using CssmSim.Server.Pipeline;
using static CssmSim.Server.Wire.WireJson;

namespace CssmSim.Server.SmartTransport;

/// <summary>
/// A parsed smart-transport request envelope (smart-transport.md §Envelope). Parsing failures
/// are HTTP-layer errors: 400 (413, 415) with <c>INVALID_MESSAGE</c> and the header echoed.
/// </summary>
public sealed record SmartTransportMessage(JsonObject? Header, string Type, string? MessageId, long? Timestamp, Udi Sudi, string Hostname, JsonObject Data)
{
    public const long MaxBytes = 16 * 1024 * 1024;

    /// <summary>The request's <c>agent_capabilities</c> (e.g. <c>OK_TRY_AGAIN</c>, <c>TELEMETRY</c>); empty when it lists none.</summary>
    public IReadOnlyList<string> AgentCapabilities { get; init; } = [];

    /// <summary>
    /// The <c>product_instance_identifier</c> (PIID) the device named itself by after trust, or null; a message
    /// may carry it instead of <c>sudi</c> (then <see cref="Sudi"/> is unset until the endpoint resolves it).
    /// </summary>
    public string? Piid { get; init; }

    public static async Task<SmartTransportMessage> ReadAsync(HttpContext ctx)
    {
        var type = ctx.Request.ContentType;
        if (type is not null && !RequestBodies.IsJson(type))
            throw new ApiException(415, $"content type '{type}' is not supported; send application/json", CssmCodes.InvalidMessage);
        byte[] bytes;
        try
        {
            // Anyone can post here without a key: the limit is sized to real device messages (Limits:DeviceBodyBytes).
            bytes = await RequestBodies.ReadBytesAsync(ctx, ctx.RequestServices.GetRequiredService<Hosting.SimulatorOptions>().DeviceBodyBytes);
        }
        catch (ApiException e) when (e.Status == 413)
        {
            throw new ApiException(413, e.Message, CssmCodes.InvalidMessage);
        }
        JsonNode root;
        try
        {
            root = RequestBodies.ParseJson(bytes);
        }
        catch (ApiException e)
        {
            throw new ApiException(400, e.Message, CssmCodes.InvalidMessage);
        }
        if (root is not JsonObject o) throw new ApiException(400, "the message must be a JSON object", CssmCodes.InvalidMessage);
        var header = o["header"] as JsonObject;
        ApiException Bad(string message) => new(400, message, CssmCodes.InvalidMessage) { EchoHeader = header };
        if (header?["type"] is not JsonValue tv || tv.GetValueKind() != JsonValueKind.String || string.IsNullOrWhiteSpace(tv.GetValue<string>()))
            throw Bad("header.type is required");
        if (o["data"] is not JsonObject data) throw Bad("data is required and must be an object");
        var piid = o["product_instance_identifier"] is null ? null
            : Text(o["product_instance_identifier"]) is { Length: > 0 } named ? named.Trim()
            : throw Bad("product_instance_identifier must be a non-empty string");
        var (capabilities, capabilitiesProblem) = ServerIdentity.ReadAgentCapabilities(o);
        if (capabilitiesProblem is not null) throw Bad(capabilitiesProblem);
        if (o["sudi"] is null && piid is not null)
            return new SmartTransportMessage(header, tv.GetValue<string>().Trim(), Text(header["message_id"]), Number(header["timestamp"]), default,
                Text(o["hostname"]) ?? "", data)
            { AgentCapabilities = capabilities, Piid = piid };
        if (o["sudi"] is not JsonObject sudi) throw Bad("sudi (or product_instance_identifier) is required; sudi must be an object");
        var pid = Text(sudi["udi_pid"]);
        var serial = Text(sudi["udi_serial_number"]);
        if (Udi.Problem(pid, serial) is { } problem) throw Bad("sudi." + problem);
        return new SmartTransportMessage(header, tv.GetValue<string>().Trim(), Text(header["message_id"]), Number(header["timestamp"]),
            new Udi(pid!.Trim(), serial!.Trim()), Text(o["hostname"]) ?? "", data)
        { AgentCapabilities = capabilities, Piid = piid };
    }
}
