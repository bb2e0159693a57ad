# CssmSim launcher for PowerShell (Windows, macOS, Linux): the same commands as run-sim.sh.
#   ./run-sim.ps1               build (once) and serve on http://127.0.0.1:8080 (+ https://127.0.0.1:8443 when certs/tls.crt exists)
#   ./run-sim.ps1 ARGS...       serve with ARGS passed to `cssmsim serve`
#   ./run-sim.ps1 test [ARGS]   run every test project, then the packed fixture's consumer tests and the dotnet tool check
#   ./run-sim.ps1 scenario FILE... [OPTIONS]   run `cssmsim scenario run`
#   ./run-sim.ps1 cli ARGS...   run `cssmsim ARGS`
#   ./run-sim.ps1 docker [ARGS] build and run the Docker image, where a Docker engine exists
# cssmsim is built once in Release into artifacts/run (shared with run-sim.sh) and run directly; a later
# start skips the build unless a file under src/ changed. Relative paths in ARGS are the caller's.
$ErrorActionPreference = 'Stop'
$root = $PSScriptRoot
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_NOLOGO = '1'

# @() keeps one argument an array: $args[1..1] alone is a string, which splatting spreads character by character.
$command = if ($args.Count -gt 0) { [string]$args[0] } else { '' }
[string[]]$rest = if ($args.Count -gt 1) { @($args[1..($args.Count - 1)]) } else { @() }

function Invoke-Checked([scriptblock]$Block, [string]$What) {
    & $Block
    if ($LASTEXITCODE -ne 0) { throw "run-sim.ps1: $What failed with exit code $LASTEXITCODE" }
}

function Update-Build {
    $out = Join-Path $root 'artifacts/run'
    $stamp = Join-Path $out '.built'
    $dll = Join-Path $out 'cssmsim.dll'
    if ((Test-Path $dll) -and (Test-Path $stamp)) {
        $built = (Get-Item -Force $stamp).LastWriteTimeUtc
        $sources = @(Get-Item (Join-Path $root 'Directory.Build.props'), (Join-Path $root 'Directory.Packages.props')) +
            @(Get-ChildItem (Join-Path $root 'src') -Recurse -File | Where-Object { $_.FullName -notmatch '[\\/](bin|obj)[\\/]' })
        if (-not ($sources | Where-Object { $_.LastWriteTimeUtc -gt $built } | Select-Object -First 1)) { return }
    }
    $started = [DateTime]::UtcNow
    New-Item -ItemType Directory -Force $out | Out-Null
    if (Test-Path $dll) {
        [Console]::Error.WriteLine('run-sim.ps1: sources changed; rebuilding cssmsim (Release, usually 20-90 s)...')
    } else {
        [Console]::Error.WriteLine('run-sim.ps1: first start: building cssmsim (Release) into artifacts/run. This takes 2-5 minutes on an idle')
        [Console]::Error.WriteLine('run-sim.ps1: 2-core machine, up to 10 on a busy one; later starts skip it and answer in about 2 s.')
    }
    [Console]::Error.WriteLine('run-sim.ps1: [1/2] restoring packages...')
    Invoke-Checked { dotnet restore (Join-Path $root 'src/CssmSim.Cli/CssmSim.Cli.csproj') --nologo -v q } 'dotnet restore'
    [Console]::Error.WriteLine('run-sim.ps1: [2/2] compiling (each project is listed as it completes)...')
    Invoke-Checked { dotnet build (Join-Path $root 'src/CssmSim.Cli/CssmSim.Cli.csproj') -c Release -o $out --no-restore --nologo -v m -clp:NoSummary -tl:off } 'dotnet build'
    New-Item -ItemType File -Force $stamp | Out-Null
    (Get-Item -Force $stamp).LastWriteTimeUtc = $started
    [Console]::Error.WriteLine("run-sim.ps1: built in $([int]([DateTime]::UtcNow - $started).TotalSeconds) s; starting cssmsim")
}

function Invoke-Cssmsim([string[]]$CliArgs) {
    Update-Build
    & dotnet (Join-Path $root 'artifacts/run/cssmsim.dll') @CliArgs
    exit $LASTEXITCODE
}

switch ($command) {
    'test' {
        Set-Location $root
        if (-not (Get-Command openssl -ErrorAction SilentlyContinue)) {
            Write-Warning 'openssl is not on PATH: the signature tests that shell out to it will fail.'
        }
        dotnet test CssmSim.sln @rest
        $testRc = $LASTEXITCODE
        # The packed fixture as another team gets it (see run-sim.sh run_tests): CssmSim.Testing and CssmSim.Testing.Xunit packed into
        # artifacts/packages, tests/CssmSim.Consumer.Tests restored only from there.
        $consumerRc = 0
        try {
            Remove-Item -Recurse -Force artifacts/packages -ErrorAction SilentlyContinue
            Get-ChildItem artifacts/consumer-packages -Filter 'cssmsim.*' -ErrorAction SilentlyContinue | Remove-Item -Recurse -Force
            Invoke-Checked { dotnet pack src/CssmSim.Testing/CssmSim.Testing.csproj -c Debug -o artifacts/packages --nologo -v q } 'dotnet pack CssmSim.Testing'
            Invoke-Checked { dotnet pack src/CssmSim.Testing.Xunit/CssmSim.Testing.Xunit.csproj -c Debug -o artifacts/packages --nologo -v q } 'dotnet pack CssmSim.Testing.Xunit'
            Invoke-Checked { dotnet restore tests/CssmSim.Consumer.Tests --force --nologo -v q } 'restoring the consumer tests'
            Invoke-Checked { dotnet build tests/CssmSim.Consumer.Tests --no-restore --no-incremental --nologo -v q } 'building the consumer tests'
            Invoke-Checked { dotnet test tests/CssmSim.Consumer.Tests --no-build --nologo } 'the consumer tests'
        } catch { Write-Host $_; $consumerRc = 1 }
        # cssmsim as a user installs it: the dotnet tool from artifacts/tool only, into a tool path of its own.
        $toolRc = 0
        try {
            Remove-Item -Recurse -Force artifacts/tool, artifacts/tool-install, artifacts/tool-packages -ErrorAction SilentlyContinue
            New-Item -ItemType Directory -Force artifacts/tool | Out-Null
            Invoke-Checked { dotnet pack src/CssmSim.Cli/CssmSim.Cli.csproj -c Debug -o artifacts/tool --nologo -v q } 'dotnet pack cssmsim'
            $source = Join-Path $root 'artifacts/tool'
            Set-Content artifacts/tool/nuget.config "<?xml version=`"1.0`" encoding=`"utf-8`"?>`n<configuration><packageSources><clear /><add key=`"tool`" value=`"$source`" /></packageSources></configuration>"
            $env:NUGET_PACKAGES = Join-Path $root 'artifacts/tool-packages'
            try {
                Invoke-Checked { dotnet tool install --tool-path artifacts/tool-install --configfile artifacts/tool/nuget.config --add-source artifacts/tool cssmsim } 'dotnet tool install'
            } finally { Remove-Item Env:NUGET_PACKAGES }
            $tool = Join-Path $root 'artifacts/tool-install/cssmsim'
            $help = & $tool --help
            if ($LASTEXITCODE -ne 0 -or -not ($help -match 'scenario')) { throw 'run-sim.ps1: the installed cssmsim --help does not list scenario' }
            Invoke-Checked { & $tool scenario run scenarios/token-max-uses-bottleneck.yaml } 'the installed cssmsim scenario run'
            Write-Host 'run-sim.ps1: the installed cssmsim tool ran --help and a scenario'
        } catch { Write-Host $_; $toolRc = 1 }
        if ($testRc -ne 0) { exit $testRc }
        if ($consumerRc -ne 0) { exit $consumerRc }
        exit $toolRc
    }
    'scenario' {
        if ($rest.Count -eq 0) {
            [Console]::Error.WriteLine('usage: ./run-sim.ps1 scenario FILE... [--target URL] [--key KEY] [--random-seed N] [--no-reset] [--junit out.xml]')
            exit 2
        }
        Invoke-Cssmsim (@('scenario', 'run') + $rest)
    }
    'cli' {
        Invoke-Cssmsim $rest
    }
    'docker' {
        Set-Location $root
        $docker = Get-Command docker -ErrorAction SilentlyContinue
        if ($docker) { docker info *> $null }
        if (-not $docker -or $LASTEXITCODE -ne 0) {
            [Console]::Error.WriteLine('run-sim.ps1: no Docker engine is reachable here; use ./run-sim.ps1 to run the simulator directly')
            exit 1
        }
        docker build -t cssmsim .
        docker run --rm -p 8080:8080 -p 8443:8443 -v cssmsim-data:/data cssmsim @rest
        exit $LASTEXITCODE
    }
    default {
        [string[]]$serveArgs = @($args)
        if ($serveArgs.Count -eq 0) {
            $serveArgs = @('--urls', 'http://127.0.0.1:8080')
            if (Test-Path (Join-Path $root 'certs/tls.crt')) { $serveArgs += '--https' }
        }
        # The simulator's own files stay in the repository whichever folder it starts from (see run-sim.sh).
        if (-not (Test-Path 'appsettings.json')) {
            if (-not $env:CSSMSIM__Store) { $env:CSSMSIM__Store = 'sqlite:' + (Join-Path $root 'data/cssmsim.db') }
            if (-not $env:CSSMSIM__Certs__Directory) { $env:CSSMSIM__Certs__Directory = Join-Path $root 'certs' }
            if (-not $env:CSSMSIM__Control__KeyFile) { $env:CSSMSIM__Control__KeyFile = Join-Path $root 'data/control.key' }
        }
        Invoke-Cssmsim (@('serve') + $serveArgs)
    }
}
