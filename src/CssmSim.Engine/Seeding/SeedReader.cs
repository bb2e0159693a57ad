using System.Text.Json.Nodes;
using CssmSim.Engine.Licensing;
using CssmSim.Engine.Policies;
using CssmSim.Engine.Validation;

namespace CssmSim.Engine.Seeding;

/// <summary>
/// Turns seed text (JSON or YAML) into a <see cref="SeedDocument"/>, or an
/// <see cref="EngineValidationException"/> that names every field at fault.
/// </summary>
public static class SeedReader
{
    public static SeedDocument Parse(string text)
    {
        JsonNode? root;
        try
        {
            root = StructuredText.Parse(text);
        }
        catch (StructuredText.FormatException e)
        {
            throw EngineValidationException.Single("$", e.Message);
        }
        return Read(root);
    }

    public static SeedDocument Read(JsonNode? root)
    {
        var errors = new ValidationErrors();
        var r = new NodeReader(errors);
        var doc = r.Object(root, "$", required: true);
        if (doc is null) { errors.ThrowIfAny("Invalid seed document"); }
        r.OnlyKeys(doc!, "", "randomSeed", "apiClients", "users", "faults", "accounts");

        var result = new SeedDocument
        {
            RandomSeed = r.Integer(doc!, "randomSeed", ""),
            ApiClients = Items(r, doc!, "apiClients", "", (o, p) =>
            {
                r.OnlyKeys(o, p, "clientId", "clientSecret", "accounts");
                var id = r.String(o, "clientId", p, required: true);
                return id is null ? null : new SeedApiClient(id, r.String(o, "clientSecret", p), r.StringList(o, "accounts", p));
            }),
            Users = Items(r, doc!, "users", "", (o, p) =>
            {
                r.OnlyKeys(o, p, "username", "password", "email", "accounts");
                var name = r.String(o, "username", p, required: true);
                return name is null ? null : new SeedUser(name, r.String(o, "password", p), r.StringList(o, "accounts", p), r.String(o, "email", p));
            }),
            Faults = Items(r, doc!, "faults", "", (o, _) => o),
            Accounts = Items(r, doc!, "accounts", "", (o, p) => ReadAccount(r, o, p)),
        };

        var domains = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < result.Accounts.Count; i++)
        {
            if (!domains.Add(result.Accounts[i].Domain))
                errors.Add($"accounts[{i}].domain", $"'{result.Accounts[i].Domain}' appears more than once");
        }
        errors.ThrowIfAny("Invalid seed document");
        return result;
    }

    private static SeedAccount? ReadAccount(NodeReader r, JsonObject o, string p)
    {
        r.OnlyKeys(o, p, "domain", "name", "accountId", "policy", "virtualAccounts");
        var domain = CheckedName(r, r.String(o, "domain", p, required: true, maxLength: 253), NodeReader.Join(p, "domain"), domain: true);
        var vas = new List<SeedVirtualAccount>();
        var arr = r.Array(o, "virtualAccounts", p);
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; arr is not null && i < arr.Count; i++)
        {
            var vp = NodeReader.Index(NodeReader.Join(p, "virtualAccounts"), i);
            var va = arr[i] switch
            {
                // A bare string is shorthand for {"name": ...}.
                JsonValue v when v.TryGetValue<string>(out var name) => string.IsNullOrWhiteSpace(name)
                    ? Fail<SeedVirtualAccount>(r, vp, "must not be empty")
                    : CheckedName(r, name, vp) is { } checkedName ? new SeedVirtualAccount { Name = checkedName } : null,
                JsonObject vo => ReadVirtualAccount(r, vo, vp),
                _ => Fail<SeedVirtualAccount>(r, vp, "must be a name or an object"),
            };
            if (va is null) continue;
            if (!names.Add(va.Name)) r.Errors.Add(vp, $"virtual account '{va.Name}' appears more than once");
            vas.Add(va);
        }
        var policy = PolicyAttributes.Validate(o["policy"], NodeReader.Join(p, "policy"), r.Errors);
        return domain is null ? null : new SeedAccount
        {
            Domain = domain.Trim(),
            Name = r.String(o, "name", p),
            AccountId = Id(r, o, "accountId", p),
            Policy = policy,
            VirtualAccounts = vas,
        };
    }

    /// <summary>NFC, and no invisible characters: look-alike names must not make look-alike accounts.</summary>
    private static string? CheckedName(NodeReader r, string? name, string path, bool domain = false)
    {
        if (name is null) return null;
        if ((domain ? Names.DomainProblem(name) : Names.NameProblem(name)) is { } problem)
        {
            r.Errors.Add(path, problem);
            return null;
        }
        return Names.Normalize(name);
    }

    private static SeedVirtualAccount? ReadVirtualAccount(NodeReader r, JsonObject o, string p)
    {
        r.OnlyKeys(o, p, "name", "id", "default", "description", "exportControlledAllowed", "policy", "licenses", "tokens", "productInstances");
        var name = CheckedName(r, r.String(o, "name", p, required: true, maxLength: 256), NodeReader.Join(p, "name"));
        var va = new SeedVirtualAccount
        {
            Name = name ?? "",
            Id = Id(r, o, "id", p),
            Default = r.Bool(o, "default", p),
            Description = r.String(o, "description", p),
            ExportControlledAllowed = r.Bool(o, "exportControlledAllowed", p),
            Policy = PolicyAttributes.Validate(o["policy"], NodeReader.Join(p, "policy"), r.Errors),
            Licenses = Items(r, o, "licenses", p, (lo, lp) => ReadLicense(r, lo, lp)),
            Tokens = Items(r, o, "tokens", p, (to, tp) =>
            {
                r.OnlyKeys(to, tp, "token", "description", "expiresAfterDays", "maxUses", "exportControlled");
                var fixedToken = r.String(to, "token", tp, maxLength: 4096);
                if (fixedToken is not null && Tokens.TokenString.Identify(fixedToken, Guid.Empty).Kind is Tokens.TokenKind.Invalid or Tokens.TokenKind.BareId)
                    r.Errors.Add(NodeReader.Join(tp, "token"), "must be a token string (not empty, not a bare token id)");
                return new SeedToken(
                    fixedToken,
                    r.String(to, "description", tp),
                    (int?)r.Integer(to, "expiresAfterDays", tp, 1, 365),
                    (int?)r.Integer(to, "maxUses", tp, 1, int.MaxValue),
                    r.Bool(to, "exportControlled", tp));
            }),
            ProductInstances = Items(r, o, "productInstances", p, (po, pp) =>
            {
                r.OnlyKeys(po, pp, "udi_pid", "udi_serial_number", "hostname", "trusted", "exportControlled");
                var pid = r.String(po, "udi_pid", pp, required: true, maxLength: 128);
                var sn = r.String(po, "udi_serial_number", pp, required: true, maxLength: 128);
                return pid is null || sn is null ? null : new SeedProductInstance(pid, sn,
                    r.String(po, "hostname", pp), r.Bool(po, "trusted", pp), r.Bool(po, "exportControlled", pp));
            }),
        };
        return name is null ? null : va;
    }

    private static SeedLicense? ReadLicense(NodeReader r, JsonObject o, string p)
    {
        r.OnlyKeys(o, p, "tag", "displayName", "enforcement", "type", "quantity", "startDate", "endDate");
        var tag = r.String(o, "tag", p, required: true, maxLength: 512);
        var enforcement = r.String(o, "enforcement", p);
        if (enforcement is not null && !LicenseNames.TryParseEnforcement(enforcement, out _))
            r.Errors.Add(NodeReader.Join(p, "enforcement"), "must be one of: unenforced, enforced, export-controlled");
        var type = r.String(o, "type", p);
        if (type is not null && !LicenseNames.TryParseType(type, out _))
            r.Errors.Add(NodeReader.Join(p, "type"), "must be one of: PERPETUAL, STANDARD, TERM, DEMO");
        var start = r.Date(o, "startDate", p);
        var end = r.Date(o, "endDate", p);
        if (start is { } s && end is { } e && e < s) r.Errors.Add(NodeReader.Join(p, "endDate"), "must not be before startDate");
        return tag is null ? null : new SeedLicense(EntitlementTag.Normalize(tag), r.String(o, "displayName", p), enforcement, type,
            r.Integer(o, "quantity", p, 0, 1_000_000_000), start, end);
    }

    private static string? Id(NodeReader r, JsonObject o, string key, string p)
    {
        var id = r.StringOrInteger(o, key, p);
        if (id is not null && (id.Length is 0 or > 18 || !id.All(char.IsAsciiDigit)))
        {
            r.Errors.Add(NodeReader.Join(p, key), "must be a decimal id of 1 to 18 digits");
            return null;
        }
        return id;
    }

    private static IReadOnlyList<T> Items<T>(NodeReader r, JsonObject o, string key, string p, Func<JsonObject, string, T?> read)
        where T : class
    {
        var arr = r.Array(o, key, p);
        if (arr is null) return [];
        var list = new List<T>(arr.Count);
        for (var i = 0; i < arr.Count; i++)
        {
            var ip = NodeReader.Index(NodeReader.Join(p, key), i);
            if (r.Object(arr[i], ip, required: true) is { } item && read(item, ip) is { } value) list.Add(value);
        }
        return list;
    }

    private static T? Fail<T>(NodeReader r, string path, string message) where T : class
    {
        r.Errors.Add(path, message);
        return null;
    }
}
