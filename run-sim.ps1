# CssmSim launcher for PowerShell (Windows, macOS, Linux): the same commands as run-sim.sh.
#   ./run-sim.ps1               serve on http://127.0.0.1:8080 (+ https://127.0.0.1:8443 when certs/tls.crt exists)
#   ./run-sim.ps1 ARGS...       serve with ARGS passed to `cssmsim serve`
#   ./run-sim.ps1 test [ARGS]   run every test project
#   ./run-sim.ps1 scenario FILE... [OPTIONS]   build and run `cssmsim scenario run`
#   ./run-sim.ps1 docker [ARGS] build and run the Docker image, where a Docker engine exists
$ErrorActionPreference = 'Stop'
Set-Location $PSScriptRoot
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_NOLOGO = '1'

$command = if ($args.Count -gt 0) { [string]$args[0] } else { '' }
$rest = if ($args.Count -gt 1) { $args[1..($args.Count - 1)] } else { @() }

switch ($command) {
    'test' {
        if (-not (Get-Command openssl -ErrorAction SilentlyContinue)) {
            Write-Warning 'openssl is not on PATH: the signature tests that shell out to it will fail.'
        }
        dotnet test CssmSim.sln @rest
        exit $LASTEXITCODE
    }
    'scenario' {
        if ($rest.Count -eq 0) {
            Write-Error 'usage: ./run-sim.ps1 scenario FILE... [--target URL] [--key KEY] [--seed N] [--no-reset] [--junit out.xml]'
            exit 2
        }
        dotnet run --project src/CssmSim.Cli -c Release -- scenario run @rest
        exit $LASTEXITCODE
    }
    'docker' {
        $docker = Get-Command docker -ErrorAction SilentlyContinue
        if ($docker) { docker info *> $null }
        if (-not $docker -or $LASTEXITCODE -ne 0) {
            Write-Error 'run-sim.ps1: no Docker engine is reachable here; use ./run-sim.ps1 to run the simulator directly'
            exit 1
        }
        docker build -t cssmsim .
        docker run --rm -p 8080:8080 -p 8443:8443 -v cssmsim-data:/data cssmsim @rest
        exit $LASTEXITCODE
    }
    default {
        $serveArgs = @($args)
        if ($serveArgs.Count -eq 0) {
            $serveArgs = @('--urls', 'http://127.0.0.1:8080')
            if (Test-Path 'certs/tls.crt') { $serveArgs += '--https' }
        }
        dotnet run --project src/CssmSim.Cli -c Release -- serve @serveArgs
        exit $LASTEXITCODE
    }
}
