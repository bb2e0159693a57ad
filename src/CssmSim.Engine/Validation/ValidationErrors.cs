namespace CssmSim.Engine.Validation;

/// <summary>
/// Field-level problems keyed by JSON path (<c>accounts[0].virtualAccounts[1].name</c>), the
/// shape the control API turns into a problem+json <c>errors</c> object.
/// </summary>
public sealed class ValidationErrors
{
    /// <summary>
    /// Messages kept; the rest are only counted. A 2 MiB body of empty items once produced a
    /// million messages (gigabytes in memory, a 60 MiB answer): the first hundred say enough.
    /// </summary>
    public const int MaxListed = 100;

    /// <summary>The key under which the count of messages left out is reported.</summary>
    public const string OmittedKey = "...";

    private readonly SortedDictionary<string, List<string>> _errors = new(StringComparer.Ordinal);
    private int _total;

    public bool Any => _total > 0;

    /// <summary>Every message added, listed or not.</summary>
    public int Total => _total;

    public void Add(string path, string message)
    {
        if (++_total > MaxListed) return;
        if (!_errors.TryGetValue(path, out var list)) _errors[path] = list = [];
        list.Add(message);
    }

    public IReadOnlyDictionary<string, string[]> ToDictionary()
    {
        var result = _errors.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray(), StringComparer.Ordinal);
        if (_total > MaxListed) result[OmittedKey] = [$"{_total - MaxListed} more errors not listed ({_total} in all; the first {MaxListed} are shown)"];
        return result;
    }

    public void ThrowIfAny(string title)
    {
        if (Any) throw new EngineValidationException(title, ToDictionary());
    }
}

/// <summary>Input that parsed but breaks a rule; carries every field at fault.</summary>
public sealed class EngineValidationException(string title, IReadOnlyDictionary<string, string[]> errors)
    : Exception(title + ": " + string.Join("; ", errors.Select(e => e.Key + ": " + string.Join(", ", e.Value))))
{
    public string Title { get; } = title;
    public IReadOnlyDictionary<string, string[]> Errors { get; } = errors;

    public static EngineValidationException Single(string path, string message) =>
        new("Invalid input", new Dictionary<string, string[]> { [path] = [message] });
}

/// <summary>A referenced account, virtual account or other entity does not exist.</summary>
public sealed class EntityNotFoundException(string message) : Exception(message);

/// <summary>The request conflicts with the current state (e.g. an unknown snapshot schema).</summary>
public sealed class StateConflictException(string message) : Exception(message);
