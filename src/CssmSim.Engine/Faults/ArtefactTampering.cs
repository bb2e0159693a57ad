using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CssmSim.Engine.Signing;

namespace CssmSim.Engine.Faults;

/// <summary>
/// The artefact effects of a fault rule (control.md §Faults), applied to artefacts as a reply
/// carries them: <c>corrupt</c> breaks the signature of the named kinds (policy, trust code, SLAC,
/// ACK), <c>clockSkewMs</c> shifts every time an artefact states and signs it again. A device that
/// verifies what it installs then meets <c>POLICY_INSTALL_FAILED</c>, <c>TRUST_CODE_INSTALL_FAILED</c>
/// or <c>AUTHORIZATION_INSTALL_FAILED</c> (seed 000 L5876-5883, L5911, L6149: "A signature
/// mismatch", "A timestamp mismatch"). Artefacts are matched in the one-line form the simulator writes.
/// </summary>
public static partial class ArtefactTampering
{
    // Times an artefact states: trust code issued_at / not_before / not_after, ACK timestamp, policy issued_at.
    private static readonly string[] JsonTimes = ["issued_at", "timestamp", "not_before", "not_after"];

    /// <summary>Whether <paramref name="effect"/> changes artefacts at all.</summary>
    public static bool Applies(FaultEffect? effect) => effect is { Corrupt.Count: > 0 } or { ClockSkewMs: not null and not 0 };

    /// <summary>
    /// <paramref name="xml"/> (a file, a bare element, or several elements) with every artefact the effect
    /// names broken or re-signed at a shifted time; unchanged when the effect names none of them.
    /// </summary>
    public static string Apply(string xml, FaultEffect? effect, ArtefactSigner signer)
    {
        if (!Applies(effect) || string.IsNullOrEmpty(xml)) return xml;
        var skew = effect!.ClockSkewMs ?? 0;
        var corrupt = effect.Corrupt ?? [];
        xml = JsonArtefact().Replace(xml, m =>
        {
            var element = m.Groups["el"].Value;
            var kind = element switch
            {
                "smartLicenseTrustCode" => CorruptTargets.TrustCode,
                "smartLicensePolicy" => CorruptTargets.Policy,
                _ => CorruptTargets.Ack,
            };
            var data = Convert.FromBase64String(m.Groups["data"].Value);
            var signature = Convert.FromBase64String(m.Groups["sig"].Value);
            if (skew != 0 && JsonNode.Parse(data) is JsonObject json)
            {
                foreach (var key in JsonTimes)
                    if (json[key] is JsonValue v && v.TryGetValue<long>(out var ms)) json[key] = ms + skew;
                data = Encoding.UTF8.GetBytes(json.ToJsonString());
                signature = signer.Sign(data);
            }
            if (corrupt.Contains(kind)) signature[^1] ^= 0x01;
            return $"<{element}><data>{Convert.ToBase64String(data)}</data><signature alg=\"{m.Groups["alg"].Value}\" keyId=\"{m.Groups["key"].Value}\">"
                + $"{Convert.ToBase64String(signature)}</signature></{element}>";
        });
        return Slac().Replace(xml, m =>
        {
            var code = m.Groups["code"].Value;
            var signature = Convert.FromBase64String(m.Groups["sig"].Value);
            if (skew != 0)
            {
                code = CodeTimestamp().Replace(code, t =>
                    $"<timestamp>{(long.Parse(t.Groups[1].Value, CultureInfo.InvariantCulture) + skew).ToString(CultureInfo.InvariantCulture)}</timestamp>");
                signature = signer.Sign(Encoding.UTF8.GetBytes(code));
            }
            if (corrupt.Contains(CorruptTargets.Slac)) signature[^1] ^= 0x01;
            return $"<smartLicenseAuthorization>{code}<signature>{Convert.ToBase64String(signature)}</signature>";
        });
    }

    /// <summary>Applies <see cref="Apply"/> to every string in a reply's data that holds an artefact.</summary>
    public static void ApplyAll(JsonNode? node, FaultEffect? effect, ArtefactSigner signer)
    {
        if (!Applies(effect)) return;
        switch (node)
        {
            case JsonObject o:
                foreach (var key in o.Select(kv => kv.Key).ToList())
                {
                    if (o[key] is JsonValue v && v.TryGetValue<string>(out var s) && s.Contains("<smartLicense", StringComparison.Ordinal))
                        o[key] = Apply(s, effect, signer);
                    else ApplyAll(o[key], effect, signer);
                }
                break;
            case JsonArray a:
                foreach (var item in a) ApplyAll(item, effect, signer);
                break;
        }
    }

    [GeneratedRegex("<(?<el>smartLicenseTrustCode|smartLicensePolicy|smartLicenseRumAck)><data>(?<data>[A-Za-z0-9+/=]*)</data><signature alg=\"(?<alg>[^\"]*)\" keyId=\"(?<key>[^\"]*)\">(?<sig>[A-Za-z0-9+/=]*)</signature></\\k<el>>")]
    private static partial Regex JsonArtefact();

    [GeneratedRegex("<smartLicenseAuthorization>(?<code><authorizationCode>.*?</authorizationCode>)<signature>(?<sig>[A-Za-z0-9+/=]*)</signature>", RegexOptions.Singleline)]
    private static partial Regex Slac();

    [GeneratedRegex("<timestamp>([0-9]+)</timestamp>")]
    private static partial Regex CodeTimestamp();
}
