using System.Globalization;
using System.Text.Json.Nodes;
using CssmSim.Engine.Authorizations;
using CssmSim.Engine.Events;
using CssmSim.Engine.Jobs;
using CssmSim.Engine.Seeding;
using CssmSim.Engine.Storage;
using CssmSim.Engine.Time;
using CssmSim.Engine.Usage;
using CssmSim.Engine.UsageFiles;
using CssmSim.Engine.Validation;
using CssmSim.Server.Hosting;
using CssmSim.Server.Journal;
using CssmSim.Server.Pipeline;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace CssmSim.Server.Control;

/// <summary>Offline usage files: upload, status and ACK download (artefacts.md §Offline usage upload).</summary>
internal static class UsageFilesApi
{
    /// <summary>What a multipart body may add around the file (boundaries, part headers, small fields).</summary>
    private const long MultipartOverhead = 64 * 1024;

    public static IEndpointRouteBuilder MapUsageFilesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/_sim/usage-files").WithTags("Usage files").WithGroupName(ControlApi.GroupName);
        api.MapPost("", Upload).WithName("UploadUsageFile").WithMetadata(new SimOperation("upload"), new DeferredFaultEvaluation())
            .WithSummary("Uploads usage data: multipart field 'file', or the raw body named by ?fileName= (default usage-<id>); "
                + "?smartAccount=&virtualAccount= when the manifest names none. 202 {id, status}; a refused archive is 400/413 ARCHIVE_REJECTED|UPLOAD_TOO_LARGE.");
        api.MapGet("", List).WithName("ListUsageFiles")
            .WithSummary("The Usage Data Files table, in upload order: ?smartAccount= (domain, name or id) limits it to one account. Listing is not polling.");
        api.MapGet("/{id}", Status).WithName("GetUsageFile")
            .WithSummary("{id, fileName, status, productInstances, reports, errors[{entry, reportId, message}]}; each GET is a poll of the upload. "
                + "?waitUntilFinal=S waits up to S seconds (at most 60) for the final status, else adds timedOut:true.");
        api.MapGet("/{id}/ack", Ack).WithName("DownloadUsageFileAck").WithMetadata(new SimOperation("ack"), new DeferredFaultEvaluation())
            .WithSummary("The ACK download (ACK_UD_SA_<ts>.tar.gz for a nested upload, ACK_<name>.txt otherwise); 409 while processing, 404 for a return file.");
        return app;
    }

    private static async Task<IResult> Upload(HttpContext ctx, UsageFileService files, UploadGate gate)
    {
        using var slot = gate.Enter();
        // The body goes to a temporary file, read from there and deleted when the request ends.
        await using var upload = await ReadUploadAsync(ctx, gate, files.Limits.MaxCompressedBytes);
        var query = ctx.Request.Query;
        // The query names the account; an HTML form may send it as fields beside the file instead.
        string? smartAccount = query["smartAccount"], virtualAccount = query["virtualAccount"];
        if (string.IsNullOrWhiteSpace(smartAccount)) smartAccount = upload.Fields.GetValueOrDefault("smartAccount");
        if (string.IsNullOrWhiteSpace(virtualAccount)) virtualAccount = upload.Fields.GetValueOrDefault("virtualAccount");
        PreparedUsageFile prepared;
        try
        {
            prepared = await files.PrepareAsync(upload.FileName, upload.Content, smartAccount, virtualAccount, ctx.RequestAborted);
        }
        catch (ArchiveRejectedException e)
        {
            throw new ApiException(e.Code == UploadRejectionCodes.UploadTooLarge ? 413 : 400, "The upload was refused: " + e.Message, e.Code);
        }
        catch (UsageFileRequestException e)
        {
            throw new ApiException(400, e.Message, e.Code);
        }

        var journal = ctx.Journal();
        journal.SmartAccount = prepared.Target?.Account.Domain;
        journal.VirtualAccount = prepared.Target?.VirtualAccount.Name;
        var fault = await ctx.Faults().EvaluateAsync(operation: "upload", smartAccount: prepared.Target?.Account.Domain,
            virtualAccount: prepared.Target?.VirtualAccount.Name);
        // Accepted uploads are processed to the end even when the client goes away.
        var view = await files.ProcessAsync(prepared, fault, CancellationToken.None);
        ctx.Response.Headers.Location = "/_sim/usage-files/" + Uri.EscapeDataString(view.Id);
        return Results.Json(new JsonObject { ["id"] = view.Id, ["status"] = view.Status }, statusCode: 202);
    }

    private static async Task<IResult> Status(HttpContext ctx, UsageFileService files, string id)
    {
        TimeSpan? wait = null;
        if (ctx.Request.Query.TryGetValue("waitUntilFinal", out var given))
        {
            if (!double.TryParse(given.ToString(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds) || !double.IsFinite(seconds))
                throw new ApiException(400, $"waitUntilFinal must be a number of seconds (at most {UsageFileService.MaxWait.TotalSeconds:0}), not '{given}'");
            wait = TimeSpan.FromSeconds(Math.Min(seconds, UsageFileService.MaxWait.TotalSeconds));
        }
        var view = await files.GetAsync(id, wait, ctx.RequestAborted) ?? throw NotFound(id);
        var body = new JsonObject
        {
            ["id"] = view.Id,
            ["fileName"] = view.FileName,
            ["status"] = view.Status,
            ["productInstances"] = view.ProductInstances,
            ["reports"] = view.Reports,
            ["errors"] = new JsonArray(view.Errors.Select(e => (JsonNode)new JsonObject
            {
                ["entry"] = e.Entry,
                ["reportId"] = e.ReportId,
                ["message"] = e.Message,
            }).ToArray()),
        };
        if (view.TimedOut) body["timedOut"] = true;
        return Results.Json(body);
    }

    private static async Task<IResult> List(HttpContext ctx, UsageFileService files)
    {
        IReadOnlyList<UsageFileView> views;
        try
        {
            views = await files.ListAsync(ctx.Request.Query["smartAccount"], ctx.RequestAborted);
        }
        catch (UsageFileRequestException e)
        {
            throw new ApiException(404, e.Message, e.Code);
        }
        return Results.Json(new JsonObject
        {
            ["usageFiles"] = new JsonArray(views.Select(v => (JsonNode)new JsonObject
            {
                ["id"] = v.Id,
                ["fileName"] = v.FileName,
                ["reportedAt"] = Iso.Millis(v.Record.UploadedAt),
                ["smartAccount"] = v.SmartAccount?.Domain,
                ["virtualAccount"] = v.VirtualAccount?.Name,
                ["status"] = v.Status,
                ["productInstances"] = v.ProductInstances,
                ["reports"] = v.Reports,
                ["errors"] = v.Errors.Count,
                ["ack"] = UsageFileService.AckOf(v).Availability == AckAvailability.Ready ? v.Record.Ack!.FileName : null,
            }).ToArray()),
        });
    }

    private static async Task<IResult> Ack(HttpContext ctx, UsageFileService files, string id)
    {
        var view = await files.PeekAsync(id, ctx.RequestAborted);
        var journal = ctx.Journal();
        journal.SmartAccount = view?.SmartAccount?.Domain;
        journal.VirtualAccount = view?.VirtualAccount?.Name;
        var fault = await ctx.Faults().EvaluateAsync(operation: "ack", smartAccount: view?.SmartAccount?.Domain, virtualAccount: view?.VirtualAccount?.Name);
        if (fault?.Effect.Error is { } code) throw new ApiException(503, Engine.Devices.CssmError.ServerErrorMessage(code), code);
        if (view is null) throw NotFound(id);

        var ack = UsageFileService.AckOf(view);
        return ack.Availability switch
        {
            AckAvailability.Processing => throw new ApiException(409, ack.Message, "DATA_BEING_PROCESSED"),
            AckAvailability.None => throw new ApiException(404, ack.Message, "NO_ACK"),
            _ => Results.File(ack.Download!.Content, ack.Download.ContentType, ack.Download.FileName),
        };
    }

    private static EntityNotFoundException NotFound(string id) => new($"no usage file upload '{id}'");

    /// <summary>An upload as received: its name, its bytes (a temporary file, deleted on dispose), and the small form fields sent with it.</summary>
    private sealed record ReceivedUpload(string? FileName, FileStream Content, IReadOnlyDictionary<string, string> Fields) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Content.DisposeAsync();
    }

    /// <summary>Form fields read beside the file (others are skipped), and how long each may be.</summary>
    private static readonly string[] FormFields = ["smartAccount", "virtualAccount"];
    private const int MaxFieldBytes = 1024;

    /// <summary>
    /// The upload's bytes and the name it came with: the multipart field <c>file</c> (its file name,
    /// plus the fields <c>smartAccount</c> and <c>virtualAccount</c> when sent), or the raw body
    /// (<c>?fileName=</c>), copied to a temporary file through one small buffer. More than
    /// <paramref name="maxBytes"/> is refused with 413 <c>UPLOAD_TOO_LARGE</c> without reading the
    /// rest. The file is deleted when the answer is disposed, or here when reading fails.
    /// </summary>
    private static async Task<ReceivedUpload> ReadUploadAsync(HttpContext ctx, UploadGate gate, long maxBytes)
    {
        var spool = gate.CreateSpool();
        try
        {
            var (name, fields) = await ReadUploadIntoAsync(ctx, spool, maxBytes);
            spool.Position = 0;
            return new ReceivedUpload(name, spool, fields);
        }
        catch
        {
            await spool.DisposeAsync();
            throw;
        }
    }

    private static async Task<(string? FileName, IReadOnlyDictionary<string, string> Fields)> ReadUploadIntoAsync(HttpContext ctx, FileStream spool, long maxBytes)
    {
        var request = ctx.Request;
        var ct = ctx.RequestAborted;
        var multipart = MediaTypeHeaderValue.TryParse(request.ContentType, out var media)
            && media.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase);
        // Saturating: limits set in code may be as large as long allows.
        var bodyLimit = multipart ? (maxBytes > long.MaxValue - MultipartOverhead ? long.MaxValue : maxBytes + MultipartOverhead) : maxBytes;
        if (request.ContentLength > bodyLimit) throw TooLarge(maxBytes);
        if (ctx.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            size.MaxRequestBodySize = bodyLimit == long.MaxValue ? null : bodyLimit + 1;

        try
        {
            var fields = new Dictionary<string, string>(StringComparer.Ordinal);
            if (!multipart)
            {
                await SpoolCappedAsync(request.Body, spool, maxBytes, ct);
                return (request.Query["fileName"], fields);
            }

            var boundary = HeaderUtilities.RemoveQuotes(media!.Boundary).Value;
            if (string.IsNullOrEmpty(boundary)) throw new ApiException(400, "the multipart/form-data content type has no boundary", "INVALID_MULTIPART");
            var reader = new MultipartReader(boundary, request.Body);
            var found = false;
            string? fileName = null;
            while (await reader.ReadNextSectionAsync(ct) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)) continue;
                var field = HeaderUtilities.RemoveQuotes(disposition.Name).Value;
                if (field == "file" && !found)
                {
                    var name = disposition.FileNameStar.HasValue ? disposition.FileNameStar : HeaderUtilities.RemoveQuotes(disposition.FileName);
                    fileName = name.Value;
                    await SpoolCappedAsync(section.Body, spool, maxBytes, ct);
                    found = true;
                }
                else if (field is not null && FormFields.Contains(field) && !fields.ContainsKey(field))
                {
                    var value = await ReadCappedAsync(section.Body, MaxFieldBytes, ct, () => new ApiException(400, $"the form field '{field}' is longer than {MaxFieldBytes} bytes"));
                    fields[field] = RequestBodies.DecodeUtf8(value);
                }
            }
            return found ? (fileName, fields)
                : throw new ApiException(400, "the multipart body has no field named 'file'", "FILE_REQUIRED");
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLarge(maxBytes);
        }
        catch (InvalidDataException e)
        {
            throw new ApiException(400, "the multipart body is malformed: " + e.Message, "INVALID_MULTIPART");
        }
        catch (IOException e) when (multipart && !ct.IsCancellationRequested)
        {
            // MultipartReader reports a body that ends before its closing boundary (or never shows the declared one) this way.
            throw new ApiException(400, "the multipart body is malformed: " + e.Message, "INVALID_MULTIPART");
        }
    }

    /// <summary>Copies <paramref name="body"/> to <paramref name="spool"/> through one pooled buffer, refusing it past <paramref name="maxBytes"/>.</summary>
    private static async Task SpoolCappedAsync(Stream body, FileStream spool, long maxBytes, CancellationToken ct)
    {
        var chunk = System.Buffers.ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            long total = 0;
            int n;
            while ((n = await body.ReadAsync(chunk, ct)) > 0)
            {
                total += n;
                if (total > maxBytes) throw TooLarge(maxBytes);
                await spool.WriteAsync(chunk.AsMemory(0, n), ct);
                // On disk as it arrives: the file's buffer is for reading it back.
                await spool.FlushAsync(ct);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    private static async Task<byte[]> ReadCappedAsync(Stream body, long maxBytes, CancellationToken ct, Func<ApiException>? tooLarge = null)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[1024];
        int n;
        while ((n = await body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + n > maxBytes) throw tooLarge?.Invoke() ?? TooLarge(maxBytes);
            buffer.Write(chunk, 0, n);
        }
        return buffer.Length == buffer.Capacity ? buffer.GetBuffer() : buffer.ToArray();
    }

    private static ApiException TooLarge(long maxBytes) =>
        new(413, $"The upload was refused: it is more than the {maxBytes} bytes accepted (Uploads:MaxCompressedBytes).", UploadRejectionCodes.UploadTooLarge);
}
