using CssmSim.Engine.Access;
using CssmSim.Engine.Authorizations;
using CssmSim.Engine.Devices;
using CssmSim.Engine.Events;
using CssmSim.Engine.Faults;
using CssmSim.Engine.Jobs;
using CssmSim.Engine.Licensing;
using CssmSim.Engine.Policies;
using CssmSim.Engine.ProductInstances;
using CssmSim.Engine.Seeding;
using CssmSim.Engine.Signing;
using CssmSim.Engine.Snapshots;
using CssmSim.Engine.Storage;
using CssmSim.Engine.Time;
using CssmSim.Engine.Tokens;
using CssmSim.Engine.Trust;
using CssmSim.Engine.Usage;
using CssmSim.Engine.UsageFiles;
using CssmSim.Server.ApiDocs;
using CssmSim.Server.Control;
using CssmSim.Server.CssmApi;
using CssmSim.Server.Journal;
using CssmSim.Server.Pipeline;
using CssmSim.Server.Portal;
using CssmSim.Server.Slp;
using CssmSim.Server.SmartTransport;
using CssmSim.Server.SoftwareApis;

namespace CssmSim.Server.Hosting;

/// <summary>
/// The engine services that exist before the web host does: the store is opened, migrated and
/// seeded (and the fault rules loaded) before the application is built.
/// </summary>
public sealed record EngineCore(
    SimulatorClock Clock,
    ISimulatorStore Store,
    ArtefactSigner Signer,
    SeedService Seeds,
    FaultEngine Faults,
    PollTransitionService Transitions,
    JobService Jobs,
    EventLog Events,
    PolicyService Policies,
    TokenService Tokens,
    TrustService Trust,
    SimulatorState State,
    SharedState Shared,
    AccessTokenService AccessTokens,
    SimulatorRuntime Runtime);

/// <summary>
/// The simulator's composition root: every service registration, the middleware order and the
/// surfaces, each in one place (<see cref="SimulatorApp.CreateAsync"/> calls the three in turn).
/// </summary>
public static class CssmComposition
{
    /// <summary>The engine: domain services, device operations and the store, as singletons.</summary>
    public static IServiceCollection AddCssmEngine(this IServiceCollection s, EngineCore core, SimulatorOptions options)
    {
        s.AddSingleton(options);
        s.AddSingleton(core.Clock);
        s.AddSingleton<TimeProvider>(core.Clock);
        s.AddSingleton(core.Store);
        s.AddSingleton(core.Seeds);
        s.AddSingleton(core.Faults);
        s.AddSingleton(core.Transitions);
        s.AddSingleton(core.State);
        s.AddSingleton(core.Shared);
        s.AddSingleton(new AccountAccess(core.Store));
        s.AddSingleton(core.Jobs);
        s.AddSingleton(core.Events);
        s.AddSingleton(core.Policies);
        s.AddSingleton(core.Tokens);
        s.AddSingleton(core.Trust);
        s.AddSingleton(core.Signer);
        s.AddSingleton(core.AccessTokens);
        s.AddSingleton(core.Runtime);
        Func<Engine.Ids.DerivedIds> ids = () => core.Seeds.Ids;
        var authorizations = new AuthorizationService(core.Store, core.Clock, ids, core.Signer, core.Events);
        var usage = new UsageService(core.Store, core.Clock, ids, core.Signer, core.Policies, core.Trust, core.Events, authorizations);
        var instances = new ProductInstanceRegistry(core.Store, core.Clock, ids);
        s.AddSingleton(authorizations);
        s.AddSingleton(usage);
        s.AddSingleton(instances);
        s.AddSingleton(new ProductInstanceService(core.Store, core.Events));
        s.AddSingleton<IAuthorizationSource>(new StoreAuthorizationSource(core.Store));
        s.AddSingleton(sp => new LicenseService(core.Store, sp.GetRequiredService<TimeProvider>(), sp.GetService<IAuthorizationSource>()));
        s.AddSingleton(sp => new UsageFileService(core.Store, core.Clock, ids, sp.GetRequiredService<UsageService>(), core.Jobs, core.Transitions,
            core.Events, options.UploadLimits, options.RumStrictSignatures, sp.GetService<AuthorizationService>()));
        s.AddSingleton(new SnapshotService(core.Store, core.Clock, core.Faults, core.Policies));

        // The device use cases every surface calls (smart transport, SLP).
        var rules = new DeviceRules(options.SmartTransportMaxClockSkewSeconds, options.RumStrictSignatures);
        var gate = new DeviceGate(core.Store, core.Clock, rules);
        s.AddSingleton(rules);
        s.AddSingleton(gate);
        s.AddSingleton(new TrustOperations(core.Trust, gate));
        s.AddSingleton(new UsageOperations(usage, rules));
        s.AddSingleton(new AuthorizationOperations(authorizations, core.Store, instances, core.Policies));
        return s;
    }

    /// <summary>What the HTTP surfaces share: the request journal, the control key, the control API's OpenAPI document, the portal.</summary>
    public static IServiceCollection AddCssmSurfaces(this IServiceCollection s, SimulatorOptions options, string? controlKey)
    {
        // Built by the container so that it is disposed (its last batch written) before the store closes.
        s.AddSingleton(sp =>
        {
            var store = sp.GetRequiredService<ISimulatorStore>();
            if (!options.PersistsJournal) return new RequestJournal(options.JournalCapacity, options.JournalMaxBytes);
            var log = sp.GetRequiredService<ILoggerFactory>().CreateLogger("CssmSim.Journal");
            return new RequestJournal(options.JournalCapacity, options.JournalMaxBytes, new JournalPersistence(store.Journal, options.JournalCapacity,
                sp.GetRequiredService<SimulatorClock>().Wall, e => log.LogWarning("journal entries not persisted: {Error}", e.Message)));
        });
        s.AddSingleton(new UploadGate(options.UploadsMaxInFlight, options.UploadsTempDirectory));
        s.AddSingleton(sp => new FailedAttempts(options.MaxFailedAttempts, TimeSpan.FromSeconds(options.LockoutSeconds), sp.GetRequiredService<SimulatorClock>().Wall));
        s.AddSingleton(new ControlKey(controlKey));
        s.AddOpenApi(ControlApiDocs.Configure);
        foreach (var doc in ApiDocuments.Simulated)
            s.AddOpenApi(doc.Name, o => OperationDocs.Configure(o, doc));
        s.AddPortal(options);
        return s;
    }

    /// <summary>
    /// The middleware, in order: request ids, path normalization, the portal's authentication (its paths only), routing (the endpoint is known from
    /// here on), encoded slashes, the journal, shared-state refresh, fault injection, error shapes, the control key.
    /// </summary>
    public static WebApplication UseCssmPipeline(this WebApplication app)
    {
        app.UseMiddleware<RequestIds>();
        app.UseMiddleware<PathNormalization>();
        app.UsePortalSecurityMiddleware();
        app.UseRouting();
        app.UseMiddleware<RequestLogging>();
        app.UseMiddleware<EncodedSlashes>();
        app.UseMiddleware<JournalMiddleware>();
        // Fault rules and the clock changed by another process on the same store are re-read first.
        app.UseMiddleware<SharedStateRefresh>();
        app.UseMiddleware<FaultInjection>();
        app.UseMiddleware<ErrorHandling>();
        app.UseMiddleware<CrossSiteGate>();
        app.UseMiddleware<ControlKeyGate>();
        // Only under its prefix: the UI middleware matches every GET against regular expressions and
        // its embedded files, which every other request (health, device messages) paid for.
        app.UseWhen(ctx => ctx.Request.Path.StartsWithSegments("/_sim/docs", StringComparison.OrdinalIgnoreCase), docs => docs.UseSwaggerUI(ui =>
        {
            ui.RoutePrefix = "_sim/docs";
            ui.SwaggerEndpoint("/_sim/openapi.json", "CssmSim control API");
            foreach (var doc in ApiDocuments.Simulated) ui.SwaggerEndpoint(DocumentNames.Url(doc.Name), doc.Title);
            ui.DocumentTitle = "CssmSim API docs";
        }));
        return app;
    }

    /// <summary>
    /// The portal's Razor Pages register authentication, authorization and anti-forgery services, and
    /// ASP.NET Core then puts their middleware in front of every request (all three ran, before routing,
    /// for health and device messages alike). They run where they did, before routing, for the portal's
    /// paths only; the marks their Use calls leave on the application (ASP.NET Core's own property names)
    /// keep the host from adding them for every path.
    /// </summary>
    private static void UsePortalSecurityMiddleware(this WebApplication app)
    {
        var registered = app.Services.GetRequiredService<IServiceProviderIsService>();
        var authentication = registered.IsService(typeof(Microsoft.AspNetCore.Authentication.IAuthenticationSchemeProvider));
        var authorization = registered.IsService(typeof(Microsoft.AspNetCore.Authorization.IAuthorizationHandlerProvider));
        var antiforgery = registered.IsService(typeof(Microsoft.AspNetCore.Antiforgery.IAntiforgery));
        if (!(authentication || authorization || antiforgery)) return;
        app.UseWhen(ctx => ctx.Request.Path.StartsWithSegments(PortalSetup.BasePath, StringComparison.OrdinalIgnoreCase), portal =>
        {
            if (authentication) portal.UseAuthentication();
            if (authorization) portal.UseAuthorization();
            if (antiforgery) portal.UseAntiforgery();
        });
        var marks = ((IApplicationBuilder)app).Properties;
        marks["__AuthenticationMiddlewareSet"] = true;
        marks["__AuthorizationMiddlewareSet"] = true;
        marks["__AntiforgeryMiddlewareSet"] = true;
    }

    /// <summary>Every surface: the CSSM API, the device surfaces (smart transport, SLP), the control API and the portal.</summary>
    public static WebApplication MapCssmSurfaces(this WebApplication app, SimulatorOptions options)
    {
        app.MapGet("/", (HttpContext ctx, SimulatorRuntime rt) => options.Portal && PortalSetup.WantsHtml(ctx.Request)
                ? Results.Redirect(PortalSetup.BasePath)
                : Results.Text($"CssmSim {rt.Version}: a simulator of Cisco Smart Software Manager.\nAPI docs (Swagger UI): /_sim/docs   Health: /_sim/health\n"
                    + (options.Portal ? $"Portal: {PortalSetup.BasePath}\n" : "")))
            .ExcludeFromDescription();
        app.MapOpenApi("/_sim/openapi.json");
        app.MapOpenApi(DocumentNames.Url("{documentName}"));
        app.MapOAuthApi();
        app.MapAccountsApi();
        app.MapNotSimulatedApi();
        app.MapTokensApi();
        app.MapDevicesApi();
        app.MapSmartTransportApi();
        app.MapSlpApi();
        app.MapLicensesApi();
        app.MapReservationsApi();
        app.MapSoftwareApis();
        app.MapControlApi();
        app.MapFaultsApi();
        app.MapClockApi();
        app.MapPollTransitionsApi();
        app.MapInventoryApi();
        app.MapUsageFilesApi();
        app.MapPolicyApi();
        app.MapPortal();
        return app;
    }
}
