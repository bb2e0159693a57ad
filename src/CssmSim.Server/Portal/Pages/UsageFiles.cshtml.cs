using CssmSim.Engine.Faults;
using CssmSim.Engine.UsageFiles;
using Microsoft.AspNetCore.Mvc;

namespace CssmSim.Server.Portal.Pages;

/// <summary>
/// Reports → Usage Data Files (portal.md 6): upload usage data (file + Virtual Account), the table of
/// uploads with their Reporting Status, and the ACK download. <see cref="UsageFileService"/> reads,
/// processes and acknowledges; fault rules on the <c>usage-files</c> surface apply here too.
/// </summary>
public sealed class UsageFilesModel(UsageFileService files, FaultEngine faults, Control.UploadGate gate) : PortalPage
{
    public override string Title => "Usage Data Files";

    public IReadOnlyList<UsageFileView> Uploads { get; private set; } = [];

    /// <summary>The Virtual Account the upload form names (the one picked in the header by default).</summary>
    [BindProperty] public string? UploadVirtualAccount { get; set; }

    public async Task OnGetAsync() => await LoadAsync();

    public async Task<IActionResult> OnPostUploadAsync(IFormFile? file)
    {
        ModelState.Clear();
        var va = UploadVirtualAccount is { Length: > 0 } name ? Ctx.VirtualAccounts.FirstOrDefault(v => v.Name == name) : VirtualAccount;
        if (va is null) ModelState.AddModelError(nameof(UploadVirtualAccount), "Choose a Virtual Account of this Smart Account");
        if (file is null || file.Length == 0) ModelState.AddModelError("file", "Choose a usage data file (.tar.gz, .tar, .txt or .xml)");
        else if (file.Length > files.Limits.MaxCompressedBytes)
            ModelState.AddModelError("file", $"The file is larger than the {Format.Number(files.Limits.MaxCompressedBytes)} bytes accepted (Uploads:MaxCompressedBytes)");
        if (!ModelState.IsValid)
        {
            await LoadAsync();
            return Page();
        }

        // Read from a temporary file (deleted when the request ends), never from a copy in memory.
        await using var content = gate.CreateSpool();
        await file!.CopyToAsync(content, HttpContext.RequestAborted);
        await content.FlushAsync(HttpContext.RequestAborted);
        content.Position = 0;
        PreparedUsageFile? prepared = null;
        try
        {
            prepared = await files.PrepareAsync(Path.GetFileName(file.FileName), content, Account.Domain, va!.Name, HttpContext.RequestAborted);
        }
        catch (ArchiveRejectedException e)
        {
            ModelState.AddModelError("file", $"The upload was refused ({e.Code}): {e.Message}");
        }
        catch (UsageFileRequestException e)
        {
            ModelState.AddModelError("file", $"The upload was refused ({e.Code}): {e.Message}");
        }
        if (!ModelState.IsValid)
        {
            await LoadAsync();
            return Page();
        }

        using var fault = await UsageFileFaults.EvaluateAsync(HttpContext, faults, "upload", prepared!.Target?.Account.Domain, prepared.Target?.VirtualAccount.Name);
        if (fault.Failure is not null)
        {
            Problem = "The upload did not go through: " + fault.Failure + ".";
            await LoadAsync();
            return Page();
        }
        // Accepted uploads are processed to the end even when the browser goes away.
        var view = await files.ProcessAsync(prepared, fault.Decision, CancellationToken.None);
        return Done($"Uploaded {view.FileName}: {view.Status}.", "/portal/usage-files");
    }

    /// <summary>A status check of one upload: counts as a poll of its job, as a status GET of the control API does.</summary>
    public async Task<IActionResult> OnPostRefreshAsync(string id)
    {
        var view = await files.GetAsync(id, null, HttpContext.RequestAborted);
        return view is null ? NotFound() : Done($"{view.FileName}: {view.Status}.", "/portal/usage-files");
    }

    /// <summary>The ACK download (ACK_UD_SA_….tar.gz for a nested upload, ACK_….txt otherwise).</summary>
    public async Task<IActionResult> OnGetAckAsync(string id)
    {
        var view = await files.PeekAsync(id, HttpContext.RequestAborted);
        using var fault = await UsageFileFaults.EvaluateAsync(HttpContext, faults, "ack", view?.SmartAccount?.Domain, view?.VirtualAccount?.Name);
        var failure = fault.Failure ?? (fault.Decision?.Effect.Error is { } code ? Engine.Devices.CssmError.ServerErrorMessage(code) : null);
        if (failure is not null)
        {
            Problem = "The acknowledgement could not be downloaded: " + failure + ".";
            Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            await LoadAsync();
            return Page();
        }
        if (view is null) return NotFound();
        var ack = UsageFileService.AckOf(view);
        if (ack.Availability != AckAvailability.Ready)
        {
            Problem = ack.Message;
            Response.StatusCode = ack.Availability == AckAvailability.Processing ? StatusCodes.Status409Conflict : StatusCodes.Status404NotFound;
            await LoadAsync();
            return Page();
        }
        return File(ack.Download!.Content, ack.Download.ContentType, ack.Download.FileName);
    }

    private async Task LoadAsync()
    {
        Uploads = (await files.ListAsync(Account.Id, HttpContext.RequestAborted)).Reverse().ToList();
        UploadVirtualAccount ??= VirtualAccount.Name;
    }
}
