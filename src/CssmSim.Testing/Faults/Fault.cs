using System.Text.Json.Nodes;
using CssmSim.Testing.Devices;

namespace CssmSim.Testing;

/// <summary>An artefact a <see cref="Fault.Corrupt"/> rule breaks.</summary>
public enum Artefact
{
    Policy,
    TrustCode,
    Slac,
    Ack,
}

/// <summary>
/// A fault rule, built fluently: <c>Fault.On(Operation.TrustEstablishment).Nth(2).Error(CssmError.LicEngineFailToConnect)</c>.
/// Each call returns a new rule, so a partial rule can be shared. The rule is checked when added
/// (<see cref="SimulatorFaults.AddAsync(Fault, CancellationToken)"/>); its JSON is the control API's
/// (<c>POST /_sim/faults</c>, control.md §Faults).
/// </summary>
public sealed class Fault
{
    private readonly JsonObject _rule;

    private Fault(JsonObject rule) => _rule = rule;

    /// <summary>A rule on one operation (the surface comes with it).</summary>
    public static Fault On(Operation operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        return new Fault(Rule(new JsonObject { ["surface"] = operation.Surface, ["operation"] = operation.Name }));
    }

    /// <summary>A rule on every operation of a surface (<see cref="Surfaces"/>), or of every surface but control with <c>*</c>.</summary>
    public static Fault OnSurface(string surface)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(surface);
        return new Fault(Rule(new JsonObject { ["surface"] = surface }));
    }

    // ----- which requests -----

    /// <summary>Only requests for this Smart Account (domain, case-insensitive).</summary>
    public Fault ForSmartAccount(string domain) => Set("match", "smartAccount", Required(domain, nameof(domain)));

    /// <summary>Only requests for this Virtual Account (name, case-sensitive).</summary>
    public Fault ForVirtualAccount(string name) => Set("match", "virtualAccount", Required(name, nameof(name)));

    /// <summary>Only requests from this UDI: <c>PID:x,SN:y</c>, <c>pid:serial</c> or the serial number alone.</summary>
    public Fault ForUdi(string udi) => Set("match", "udi", Required(udi, nameof(udi)));

    /// <summary>Only requests from this PID and serial number.</summary>
    public Fault ForUdi(string pid, string serial) => ForUdi($"PID:{Required(pid, nameof(pid))},SN:{Required(serial, nameof(serial))}");

    /// <summary>Only requests from this simulated device.</summary>
    public Fault ForDevice(SimulatedProductInstance device)
    {
        ArgumentNullException.ThrowIfNull(device);
        return ForUdi(device.Udi.ToString());
    }

    /// <summary>Only requests that present this token (its string, in any pasted form, or its id).</summary>
    public Fault ForToken(string tokenOrId) => Set("match", "token", Required(tokenOrId, nameof(tokenOrId)));

    /// <summary>Only requests that present this token.</summary>
    public Fault ForToken(RegistrationToken token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return ForToken(token.Id);
    }

    /// <summary>Only requests whose token has (or, with false, lacks) a max-uses limit.</summary>
    public Fault ForLimitedTokens(bool limited = true) => Set("match", "tokenLimited", limited);

    /// <summary>Only requests whose path matches this case-insensitive glob (<c>*</c> one segment, <c>**</c> any).</summary>
    public Fault ForPath(string glob) => Set("match", "path", Required(glob, nameof(glob)));

    // ----- when it fires (candidates are numbered 1, 2, ... per rule) -----

    /// <summary>Fires on these candidate numbers only (1 is the first matching request).</summary>
    public Fault Nth(params long[] numbers)
    {
        ArgumentNullException.ThrowIfNull(numbers);
        if (numbers.Length == 0 || numbers.Any(n => n < 1)) throw new ArgumentOutOfRangeException(nameof(numbers), "give candidate numbers of at least 1");
        return Set("when", "nth", new JsonArray(numbers.Select(n => (JsonNode?)JsonValue.Create(n)).ToArray()));
    }

    /// <summary>Fires on every <paramref name="k"/>-th candidate.</summary>
    public Fault Every(long k) => Set("when", "every", AtLeast(k, 1, nameof(k)));

    /// <summary>Fires only on candidates after the first <paramref name="candidates"/>.</summary>
    public Fault After(long candidates) => Set("when", "after", AtLeast(candidates, 0, nameof(candidates)));

    /// <summary>
    /// Fires on a fraction <paramref name="p"/> of candidates, decided by candidate number and
    /// <paramref name="seed"/> (default: the simulator's random seed), the same on every run.
    /// </summary>
    public Fault Probability(double p, long? seed = null)
    {
        if (double.IsNaN(p) || p is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(p), p, "must be between 0 and 1");
        var f = Set("when", "probability", p);
        return seed is { } s ? f.Set("when", "seed", s) : f;
    }

    /// <summary>Stops after the effect was applied <paramref name="n"/> times (the rule then shows as exhausted).</summary>
    public Fault Times(long n) => Set("when", "times", AtLeast(n, 1, nameof(n)));

    /// <summary>Fires while at least <paramref name="n"/> candidates with the same token are in flight, or replied less than <paramref name="holdMs"/> ago.</summary>
    public Fault ConcurrentAbove(long n, int holdMs = 0)
    {
        var f = Set("when", "concurrentAbove", AtLeast(n, 1, nameof(n)));
        return holdMs == 0 ? f : f.Set("when", "holdMs", AtLeast(holdMs, 0, nameof(holdMs)));
    }

    // ----- what it does -----

    /// <summary>Answers with this CSSM error, in the shape of the request's API family.</summary>
    public Fault Error(CssmError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return Error(error.Code);
    }

    /// <summary>Answers with this CSSM error code.</summary>
    public Fault Error(string code) => Set("effect", "error", Required(code, nameof(code)));

    /// <summary>Answers with an HTTP status (and optionally a body and <c>Retry-After</c> seconds).</summary>
    public Fault Status(int status, JsonNode? body = null, int? retryAfterSeconds = null)
    {
        if (status is < 100 or > 599) throw new ArgumentOutOfRangeException(nameof(status), status, "must be an HTTP status from 100 to 599");
        var f = Set("effect", "status", status);
        if (body is not null) f = f.Set("effect", "body", body.DeepClone());
        return retryAfterSeconds is { } r ? f.Set("effect", "retryAfter", r) : f;
    }

    /// <summary>Breaks the connection instead of answering.</summary>
    public Fault Drop(DropKind kind) => Set("effect", "drop", kind switch
    {
        DropKind.Reset => "reset",
        DropKind.Empty => "empty",
        DropKind.Truncate => "truncate",
        DropKind.Hang => "hang",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown drop kind"),
    });

    /// <summary>
    /// For <see cref="Status"/> and <see cref="Drop"/>: process and commit the request first, then
    /// lose the reply (a retried trust request then meets <c>UDI_ALREADY_REGISTERED</c>).
    /// </summary>
    public Fault AfterProcessing() => Set("effect", "phase", "after");

    /// <summary>Waits before processing; combines with any other effect.</summary>
    public Fault Latency(int milliseconds, int jitterMilliseconds = 0)
    {
        var f = Set("effect", "latencyMs", AtLeast(milliseconds, 0, nameof(milliseconds)));
        return jitterMilliseconds == 0 ? f : f.Set("effect", "jitterMs", AtLeast(jitterMilliseconds, 0, nameof(jitterMilliseconds)));
    }

    /// <summary>
    /// Every artefact of the reply (trust code, policy, SLAC, ACK) states a time shifted by <paramref name="skew"/> and is
    /// signed again, so a device whose clock agrees with CSSM logs "A timestamp mismatch".
    /// </summary>
    public Fault ClockSkew(TimeSpan skew) => Set("effect", "clockSkewMs", (long)skew.TotalMilliseconds);

    /// <summary>Polls of the matched jobs never complete.</summary>
    public Fault PollNeverCompletes() => Set("effect", "poll", new JsonObject { ["neverComplete"] = true });

    /// <summary>Polls of the matched jobs complete with this failure code.</summary>
    public Fault PollFailsWith(string code) => Set("effect", "poll", new JsonObject { ["failWith"] = Required(code, nameof(code)) });

    /// <summary>
    /// A wrong or partial ACK: reports marked <c>REMOVED</c> or <c>DROPPED</c>, no policy, a corrupt
    /// signature, or trust codes left out for some UDIs.
    /// </summary>
    public Fault Ack(string? reportStatus = null, bool omitPolicy = false, bool corruptSignature = false, IReadOnlyList<string>? omitTrustFor = null)
    {
        var ack = new JsonObject();
        if (reportStatus is not null) ack["reportStatus"] = reportStatus;
        if (omitPolicy) ack["omitPolicy"] = true;
        if (corruptSignature) ack["corruptSignature"] = true;
        if (omitTrustFor is { Count: > 0 }) ack["omitTrustFor"] = new JsonArray(omitTrustFor.Select(u => (JsonNode?)JsonValue.Create(u)).ToArray());
        return Set("effect", "ack", ack);
    }

    /// <summary>
    /// A partial ACK (seed 000 L4321): the reports picked by UDI (<c>PID:x,SN:y</c>, <c>pid:serial</c> or the serial),
    /// entitlement tag and/or count (the first <paramref name="count"/> that match, in the order sent) are left out of
    /// the ACK, so the device keeps them pending and sends them again; or, with <paramref name="reportStatus"/>
    /// (<c>REMOVED</c> or <c>DROPPED</c>), marked so while the rest are <c>ACKED</c>.
    /// </summary>
    public Fault PartialAck(string? udi = null, string? tag = null, long? count = null, string? reportStatus = null)
    {
        var reports = new JsonObject();
        if (udi is not null) reports["udi"] = udi;
        if (tag is not null) reports["tag"] = Engine.Licensing.LicenseShortNames.Resolve(tag);
        if (count is { } n) reports["count"] = AtLeast(n, 1, nameof(count));
        var ack = new JsonObject { ["reports"] = reports };
        if (reportStatus is not null) ack["reportStatus"] = reportStatus;
        return Set("effect", "ack", ack);
    }

    /// <summary>
    /// The named artefacts of the reply carry a signature that does not verify, so a device that checks what it
    /// installs logs <c>POLICY_INSTALL_FAILED</c>, <c>TRUST_CODE_INSTALL_FAILED</c> or <c>AUTHORIZATION_INSTALL_FAILED</c>
    /// ("A signature mismatch", seed 000 L5876-5883, L5911, L6149).
    /// </summary>
    public Fault Corrupt(params Artefact[] artefacts)
    {
        ArgumentNullException.ThrowIfNull(artefacts);
        if (artefacts.Length == 0) throw new ArgumentException("name at least one artefact", nameof(artefacts));
        return Set("effect", "corrupt", new JsonArray(artefacts.Distinct().Select(a => (JsonNode?)JsonValue.Create(a switch
        {
            Artefact.Policy => "policy",
            Artefact.TrustCode => "trustCode",
            Artefact.Slac => "slac",
            Artefact.Ack => "ack",
            _ => throw new ArgumentOutOfRangeException(nameof(artefacts), a, "unknown artefact"),
        })).ToArray()));
    }

    // ----- the rule itself -----

    /// <summary>Gives the rule an id (default: one the simulator assigns).</summary>
    public Fault WithId(string id) => SetTop("id", Required(id, nameof(id)));

    /// <summary>Gives the rule a name the journal shows beside the requests it fired on.</summary>
    public Fault Named(string name) => SetTop("name", Required(name, nameof(name)));

    /// <summary>Tries the rule before those with a higher order (default: creation order, built-ins last).</summary>
    public Fault Order(long order) => SetTop("order", order);

    /// <summary>Adds the rule switched off.</summary>
    public Fault Disabled() => SetTop("enabled", false);

    /// <summary>The rule as the control API takes it.</summary>
    public JsonObject ToJson() => (JsonObject)_rule.DeepClone();

    /// <inheritdoc/>
    public override string ToString() => _rule.ToJsonString();

    private static JsonObject Rule(JsonObject match) => new() { ["match"] = match, ["when"] = new JsonObject(), ["effect"] = new JsonObject() };

    private Fault Set(string section, string key, JsonNode? value)
    {
        var copy = ToJson();
        copy[section]!.AsObject()[key] = value;
        return new Fault(copy);
    }

    private Fault SetTop(string key, JsonNode? value)
    {
        var copy = ToJson();
        copy[key] = value;
        return new Fault(copy);
    }

    private static string Required(string? value, string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value, name);
        return value;
    }

    private static long AtLeast(long value, long min, string name) =>
        value >= min ? value : throw new ArgumentOutOfRangeException(name, value, $"must be at least {min}");
}
