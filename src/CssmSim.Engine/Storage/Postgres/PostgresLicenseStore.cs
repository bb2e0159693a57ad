using System.Globalization;
using Npgsql;

namespace CssmSim.Engine.Storage.Postgres;

internal sealed class PostgresLicenseStore(PostgresDatabase db) : ILicenseStore
{
    public Task<LicenseMoveRefusal?> TransferAsync(string smartAccountId, IReadOnlyList<LicenseMove> moves, CancellationToken ct = default) =>
        db.WriteAsync((c, tx) =>
        {
            // The pools of every Virtual Account the transfer touches, locked before the first read
            // (the keys an authorization issue takes): checks and changes see one state on any replica.
            PostgresDatabase.Lock(c, tx, moves.SelectMany(m => (string[])["pool/" + m.FromVirtualAccountId, "pool/" + m.ToVirtualAccountId]));
            return Check(c, tx, smartAccountId, moves) ?? Apply(c, tx, moves);
        }, ct);

    /// <summary>Every move checked against the pools as the earlier moves of the transfer leave them.</summary>
    private static LicenseMoveRefusal? Check(NpgsqlConnection c, NpgsqlTransaction tx, string smartAccountId, IReadOnlyList<LicenseMove> moves)
    {
        var taken = new Dictionary<(string Va, string Tag), long>();
        for (var i = 0; i < moves.Count; i++)
        {
            var m = moves[i];
            if (!InAccount(c, tx, smartAccountId, m.FromVirtualAccountId) || !InAccount(c, tx, smartAccountId, m.ToVirtualAccountId))
                return new LicenseMoveRefusal(i, LicenseMoveProblem.UnknownVirtualAccount, 0);
            var quantity = Sql.Scalar(c, tx, "SELECT quantity FROM licenses WHERE va_id = $va AND tag = $tag", ("$va", m.FromVirtualAccountId), ("$tag", m.Tag));
            if (quantity is null) return new LicenseMoveRefusal(i, LicenseMoveProblem.UnknownLicense, 0);
            var key = (m.FromVirtualAccountId, m.Tag);
            var before = taken.GetValueOrDefault(key);
            var available = Convert.ToInt64(quantity, CultureInfo.InvariantCulture) - before - Math.Max(0, m.KeepAtSource);
            if (m.Quantity <= 0 || m.Quantity > available)
                return new LicenseMoveRefusal(i, LicenseMoveProblem.InsufficientQuantity, Math.Max(0, available));
            taken[key] = before + m.Quantity;
        }
        return null;
    }

    private static LicenseMoveRefusal? Apply(NpgsqlConnection c, NpgsqlTransaction tx, IReadOnlyList<LicenseMove> moves)
    {
        foreach (var m in moves)
        {
            Sql.Execute(c, tx, "UPDATE licenses SET quantity = quantity - $q WHERE va_id = $from AND tag = $tag",
                ("$q", m.Quantity), ("$from", m.FromVirtualAccountId), ("$tag", m.Tag));
            Sql.Execute(c, tx, """
                INSERT INTO licenses (va_id, tag, display_name, enforcement, license_type, quantity, start_date, end_date)
                SELECT $to, tag, display_name, enforcement, license_type, $q, start_date, end_date
                FROM licenses WHERE va_id = $from AND tag = $tag
                ON CONFLICT (va_id, tag) DO UPDATE SET quantity = licenses.quantity + excluded.quantity
                """, ("$to", m.ToVirtualAccountId), ("$q", m.Quantity), ("$from", m.FromVirtualAccountId), ("$tag", m.Tag));
        }
        return null;
    }

    private static bool InAccount(NpgsqlConnection c, NpgsqlTransaction tx, string smartAccountId, string virtualAccountId) =>
        Sql.Scalar(c, tx, "SELECT 1 FROM virtual_accounts WHERE id = $va AND sa_id = $sa", ("$va", virtualAccountId), ("$sa", smartAccountId)) is not null;
}
