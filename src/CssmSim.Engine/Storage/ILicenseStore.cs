namespace CssmSim.Engine.Storage;

/// <summary>
/// One move of a license transfer: <paramref name="Quantity"/> of <paramref name="Tag"/> from one
/// Virtual Account's pool to another's. <paramref name="KeepAtSource"/> is what the source must
/// still hold afterwards (what its product instances consume), so a transfer never takes
/// licenses that are in use.
/// </summary>
public sealed record LicenseMove(string FromVirtualAccountId, string ToVirtualAccountId, string Tag, long Quantity, long KeepAtSource);

/// <summary>Why a transfer was refused.</summary>
public enum LicenseMoveProblem
{
    /// <summary>A Virtual Account of the move is not (or no longer) in the Smart Account.</summary>
    UnknownVirtualAccount,
    /// <summary>The source Virtual Account has no pool entry for the tag.</summary>
    UnknownLicense,
    /// <summary>The source holds too few licenses beyond what it must keep.</summary>
    InsufficientQuantity,
}

/// <summary>
/// The first move of a transfer that could not be made (nothing was changed).
/// <paramref name="Available"/> is what the source could still give for that tag before this move,
/// after the earlier moves of the same transfer.
/// </summary>
public sealed record LicenseMoveRefusal(int Index, LicenseMoveProblem Problem, long Available);

/// <summary>License pools changed by the simulator itself (transfers between Virtual Accounts).</summary>
public interface ILicenseStore
{
    /// <summary>
    /// Makes every move in one write transaction, or none: quantities are checked inside that
    /// transaction, so concurrent transfers (also from other processes sharing the database) can
    /// never take the same licenses twice. A target without a pool entry for the tag gets one with
    /// the source's display name, enforcement, type and dates. Returns null when the moves were
    /// made, else the first refused move.
    /// </summary>
    Task<LicenseMoveRefusal?> TransferAsync(string smartAccountId, IReadOnlyList<LicenseMove> moves, CancellationToken ct = default);
}
