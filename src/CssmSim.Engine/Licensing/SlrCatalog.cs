namespace CssmSim.Engine.Licensing;

/// <summary>
/// One entitlement a product with a given software tag may reserve (seed <c>slrCatalog</c>):
/// its tag, the reservation type (<c>SPECIFIC</c> or <c>UNIVERSAL</c>) and whether it is export-controlled.
/// </summary>
public sealed record SlrEntitlement(string EntitlementTag, string Type, bool Export);

/// <summary>A software tag (a product's regid) and the entitlements it may reserve (software-apis.md §search-slr-details).</summary>
public sealed record SlrCatalogEntry(string SoftwareTag, string? UdiPid, IReadOnlyList<SlrEntitlement> Entitlements);
