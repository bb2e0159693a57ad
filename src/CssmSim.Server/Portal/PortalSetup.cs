using System.Security.Cryptography;
using CssmSim.Server.Hosting;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Mvc.ApplicationParts;

namespace CssmSim.Server.Portal;

/// <summary>
/// The demo portal (portal.md): Razor Pages under <c>/portal</c>, compiled into this assembly, with
/// its stylesheet embedded, so it works the same from <c>dotnet run</c>, the fixture package and a
/// packed tool, whatever the working directory. Registered only when <see cref="SimulatorOptions.Portal"/>
/// is on: the MVC services and the page route table cost a test fixture several milliseconds per start.
/// </summary>
public static class PortalSetup
{
    public const string BasePath = "/portal";
    public const string StylesheetPath = BasePath + "/portal.css";
    private const string StylesheetResource = "CssmSim.Server.Portal.portal.css";

    /// <summary>Marks a service collection that has the portal.</summary>
    internal sealed class Enabled;

    public static IServiceCollection AddPortal(this IServiceCollection services, SimulatorOptions options)
    {
        if (!options.Portal) return services;
        services.AddSingleton<Enabled>();

        // The pages live in this assembly. A manager registered first is used as it is: MVC would
        // otherwise load the entry assembly named by ApplicationName ("CssmSim", no such assembly).
        var assembly = typeof(PortalSetup).Assembly;
        var parts = new ApplicationPartManager();
        foreach (var part in ApplicationPartFactory.GetApplicationPartFactory(assembly).GetApplicationParts(assembly))
            parts.ApplicationParts.Add(part);
        services.AddSingleton(parts);

        // Keys live in memory: anti-forgery tokens and login cookies end with the process, and
        // nothing is written to the user's home directory.
        services.AddDataProtection().UseEphemeralDataProtectionProvider();
        // In-memory keys are the point: no warning that they are not encrypted at rest.
        services.Configure<LoggerFilterOptions>(o => o.AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.Error));
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "cssmsim_portal_af";
            o.Cookie.Path = BasePath;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.FormFieldName = "__RequestVerificationToken";
        });
        services.AddRazorPages(o =>
        {
            o.RootDirectory = "/Portal/Pages";
            o.Conventions.ConfigureFilter(new PortalLoginFilter());
            o.Conventions.ConfigureFilter(new AntiforgeryFailurePage());
        });
        services.AddSingleton<PortalSession>();
        services.AddSingleton<PortalAccounts>();
        services.AddSingleton<LicenseNames>();
        return services;
    }

    /// <summary>Maps the pages and the stylesheet (nothing when the portal is off).</summary>
    public static WebApplication MapPortal(this WebApplication app)
    {
        if (app.Services.GetService<Enabled>() is null) return app;
        app.MapRazorPages().ExcludeFromDescription();
        var css = ReadStylesheet();
        var etag = "\"" + Convert.ToHexString(SHA256.HashData(css))[..16] + "\"";
        app.MapGet(StylesheetPath, (HttpContext ctx) =>
        {
            ctx.Response.Headers.ETag = etag;
            ctx.Response.Headers.CacheControl = "no-cache";
            if (ctx.Request.Headers.IfNoneMatch.ToString() == etag) return Results.StatusCode(StatusCodes.Status304NotModified);
            return Results.Bytes(css, "text/css; charset=utf-8");
        }).ExcludeFromDescription();
        return app;
    }

    /// <summary>True for a browser asking for a page (<c>Accept</c> names text/html).</summary>
    public static bool WantsHtml(HttpRequest request) =>
        request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase));

    private static byte[] ReadStylesheet()
    {
        using var stream = typeof(PortalSetup).Assembly.GetManifestResourceStream(StylesheetResource)
            ?? throw new InvalidOperationException($"embedded resource {StylesheetResource} is missing");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
