namespace CssmSim.Engine.Seeding;

/// <summary>
/// The normative default seed (control.md §Default seed): what <c>serve</c> without
/// <c>--seed</c> loads, and the reset target then.
/// </summary>
public static class DefaultSeed
{
    public const string Yaml = """
        randomSeed: 1
        apiClients: [{clientId: cssmsim, clientSecret: cssmsim}]
        # Three public clients use the password grant (client cssmsim/cssmsim plus this user).
        users: [{username: cssmsim-user, password: cssmsim, email: cssmsim-user@example.com}]
        accounts:
        - domain: example.com
          name: Example Co
          accountId: "123456"
          virtualAccounts:
          - name: DEFAULT
            id: "234567"
            default: true
            licenses:
            - {tag: "regid.2018-06.com.cisco.DNA_NWStack,1.0_e7244e71-3ad5-4608-8bf0-d12f67c80896", displayName: "AP Perpetual Networkstack Advantage", enforcement: unenforced, type: PERPETUAL, quantity: 100}
            - {tag: "regid.2017-08.com.cisco.AIR-DNA-A,1.0_b6308627-3ab0-4a11-a3d9-586911a0d790", displayName: "Aironet DNA Advantage Term Licenses", enforcement: unenforced, type: TERM, quantity: 100}
            - {tag: "regid.2019-03.com.cisco.DNA_HSEC,1.0_509c41ab-05a8-431f-95fe-ec28086e8844", displayName: "Router US Export Lic. for DNA", enforcement: export-controlled, type: PERPETUAL, quantity: 10}
            # No enforced tag appears in the Cisco guides, so this one is the simulator's own.
            - {tag: "regid.2020-01.com.cisco.CSSMSIM_ENFORCED_DEMO,1.0_00000000-0000-4000-8000-000000000001", displayName: "Simulated enforced license (demo)", enforcement: enforced, type: PERPETUAL, quantity: 5}
          - {name: Lab, id: "234568"}
        """;

    private static readonly Lazy<SeedDocument> Parsed = new(() => SeedReader.Parse(Yaml));

    /// <summary>The parsed default seed (parsed once per process).</summary>
    public static SeedDocument Document => Parsed.Value;
}
