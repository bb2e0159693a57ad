namespace CssmSim.Engine.Licensing;

/// <summary>
/// What one product instance does with one tag: its latest reported in-use count, the count an
/// authorization (SLAC, SLR, PLR) holds for it, and how much of that authorization is still in
/// transition (issued, not yet confirmed by the device).
/// </summary>
public readonly record struct InstanceUsage(long Reported, long Authorized = 0, long InTransition = 0);

/// <summary>
/// How a tag's use in a Virtual Account splits (SPEC §2 "License accounting"): <see cref="InUse"/>
/// is reported use not covered by an authorization, <see cref="Reserved"/> the authorized counts
/// (in transition or confirmed), <see cref="Pending"/> the part of those still in transition.
/// </summary>
public readonly record struct UsageSplit(long InUse, long Reserved, long Pending)
{
    public static readonly UsageSplit None = new(0, 0, 0);

    /// <summary>What the pool gives up: Σ max(reported, authorized) over the instances.</summary>
    public long Consumption => InUse + Reserved;

    public static UsageSplit operator +(UsageSplit a, UsageSplit b) => new(a.InUse + b.InUse, a.Reserved + b.Reserved, a.Pending + b.Pending);
}

/// <summary>The accounting rules of SPEC §2, as pure functions.</summary>
public static class LicenseAccounting
{
    /// <summary>
    /// One instance: consumption = max(reported, authorized), of which the authorized count is
    /// reserved and the rest (reported use beyond it) is in use.
    /// </summary>
    public static UsageSplit Of(InstanceUsage instance)
    {
        var reported = Math.Max(0, instance.Reported);
        var authorized = Math.Max(0, instance.Authorized);
        var pending = Math.Clamp(instance.InTransition, 0, authorized);
        return new UsageSplit(Math.Max(0, reported - authorized), authorized, pending);
    }

    public static UsageSplit Sum(IEnumerable<InstanceUsage> instances) =>
        instances.Aggregate(UsageSplit.None, (total, i) => total + Of(i));

    /// <summary>
    /// A tag of a Virtual Account from the sum of every instance's reported count
    /// (<paramref name="reportedTotal"/>) and the instances that hold an authorization for it
    /// (their own reported counts included in the total): instances without one count as reported.
    /// </summary>
    public static UsageSplit Combine(long reportedTotal, IEnumerable<InstanceUsage> authorizedInstances)
    {
        var list = authorizedInstances.ToList();
        var unauthorizedReported = Math.Max(0, reportedTotal - list.Sum(i => Math.Max(0, i.Reported)));
        return new UsageSplit(unauthorizedReported, 0, 0) + Sum(list);
    }

    /// <summary>Purchased minus consumption: negative when use exceeds the pool (over-use is reported, never refused, for unenforced licenses).</summary>
    public static long Available(long purchased, UsageSplit usage) => purchased - usage.Consumption;
}
