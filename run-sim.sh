#!/usr/bin/env bash
# CssmSim launcher.
#   ./run-sim.sh               build (once) and serve on http://127.0.0.1:8080 (+ https://127.0.0.1:8443
#                              when certs/tls.crt exists), SQLite file data/cssmsim.db, default seed
#   ./run-sim.sh ARGS...       the same, with ARGS passed to `cssmsim serve` (e.g. --store memory)
#   ./run-sim.sh test [ARGS]   install what the tests need, then run every test project
#   ./run-sim.sh scenario FILE... [OPTIONS]
#                              run `cssmsim scenario run` (in-process simulator, or --target URL)
#   ./run-sim.sh cli ARGS...   run `cssmsim ARGS` (e.g. cli --help, cli certs init --out certs --force)
#   ./run-sim.sh docker [ARGS] build and run the Docker image (docker, or podman where no Docker engine runs)
# cssmsim is built once in Release into artifacts/run and run directly; a later start skips the
# build unless a file under src/ changed. Relative paths in ARGS are the caller's, not the repository's.
set -euo pipefail
root="$(cd "$(dirname "$0")" && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# Builds cssmsim (Release) into artifacts/run unless the last build is newer than every source file
# (a `find -newer` over src/, a few milliseconds; `dotnet run`'s own up-to-date check takes 10-20 s).
ensure_built() {
  local out="$root/artifacts/run" stamp="$root/artifacts/run/.built"
  if [ -f "$out/cssmsim.dll" ] && [ -f "$stamp" ] && [ -z "$(find "$root/src" "$root/Directory.Build.props" "$root/Directory.Packages.props" \
      \( -name bin -o -name obj \) -prune -o -type f -newer "$stamp" -print -quit)" ]; then
    return 0
  fi
  local started=$SECONDS next
  mkdir -p "$out"; next="$(mktemp "$out/.building.XXXXXX")"   # its time is the build's start: edits made during the build count
  if [ -f "$out/cssmsim.dll" ]; then
    echo "run-sim.sh: sources changed; rebuilding cssmsim (Release, usually 20-90 s)..." >&2
  else
    echo "run-sim.sh: first start: building cssmsim (Release) into artifacts/run. This takes 2-5 minutes on an idle" >&2
    echo "run-sim.sh: 2-core machine, up to 10 on a busy one (restoring NuGet packages, then compiling 5 projects);" >&2
    echo "run-sim.sh: later starts skip it and answer in about 2 s." >&2
  fi
  echo "run-sim.sh: [1/2] restoring packages..." >&2
  dotnet restore "$root/src/CssmSim.Cli/CssmSim.Cli.csproj" --nologo -v q >&2
  echo "run-sim.sh: [2/2] compiling (each project is listed as it completes)..." >&2
  dotnet build "$root/src/CssmSim.Cli/CssmSim.Cli.csproj" -c Release -o "$out" --no-restore --nologo -v m -clp:NoSummary -tl:off >&2
  mv -f "$next" "$stamp"
  echo "run-sim.sh: built in $((SECONDS - started)) s; starting cssmsim" >&2
}

# `cssmsim ARGS` from that build, in the caller's folder.
cssmsim() {
  ensure_built
  exec dotnet "$root/artifacts/run/cssmsim.dll" "$@"
}

apt_updated=0
# Installs a Debian package when its command is missing (CI and fresh machines run as root).
need() {
  local cmd="$1" pkg="${2:-$1}"
  command -v "$cmd" >/dev/null 2>&1 && return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "run-sim.sh: '$cmd' is missing; install the '$pkg' package" >&2; return 1
  fi
  local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  if [ "$apt_updated" = 0 ]; then $sudo apt-get update -qq; apt_updated=1; fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null
}

# The folder of PostgreSQL's initdb/pg_ctl: on PATH, or Debian's /usr/lib/postgresql/VERSION/bin.
pg_bin() {
  local i
  i="$(command -v initdb 2>/dev/null || ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)"
  [ -n "$i" ] && dirname "$i"
}

# One throwaway PostgreSQL cluster for every test project of the run (the PostgreSQL store's
# contract tests and the replica tests), on a free loopback port, passed by CSSMSIM_TEST_POSTGRES
# and removed when the run ends. `dotnet test` alone makes its own per test process instead.
pg_dir=""
start_test_postgres() {
  [ -n "${CSSMSIM_TEST_POSTGRES:-}" ] && return 0
  local bin port
  bin="$(pg_bin)" || true
  if [ -z "$bin" ]; then need /usr/lib/postgresql/15/bin/initdb postgresql-15 || return 1; bin="$(pg_bin)"; fi
  pg_dir="$(mktemp -d /tmp/cssmsim-test-pg.XXXXXX)"
  pg_ctl_cmd=("$bin/pg_ctl")
  local initdb_cmd=("$bin/initdb")
  # PostgreSQL refuses to run as root: as root (CI) the cluster belongs to the postgres user.
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres:postgres "$pg_dir"
    pg_ctl_cmd=(runuser -u postgres -- "$bin/pg_ctl"); initdb_cmd=(runuser -u postgres -- "$bin/initdb")
  fi
  while :; do
    port=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
  done
  "${initdb_cmd[@]}" -D "$pg_dir/data" -U postgres --auth=trust -E UTF8 --no-locale -N >/dev/null
  "${pg_ctl_cmd[@]}" -D "$pg_dir/data" -l "$pg_dir/log" -w -o \
    "-p $port -k $pg_dir -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
  export CSSMSIM_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
  echo "run-sim.sh: PostgreSQL for the tests on 127.0.0.1:$port ($pg_dir)" >&2
}

stop_test_postgres() {
  [ -n "$pg_dir" ] || return 0
  "${pg_ctl_cmd[@]}" -D "$pg_dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$pg_dir"
  pg_dir=""
}

run_tests() {
  need openssl            # signature tests verify with plain openssl
  need curl               # the serve smoke test
  need chromium           # the portal's browser tests (Playwright drives /usr/bin/chromium; it never downloads a browser)
  start_test_postgres
  trap stop_test_postgres EXIT
  local log; log="$(mktemp)"
  set +e
  dotnet test CssmSim.sln "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  stop_test_postgres
  # The fixture packages as another team gets them: pack CssmSim.Testing (with the Server and Engine
  # packages it depends on) and CssmSim.Testing.Xunit into artifacts/packages, then run tests/CssmSim.Consumer.Tests, which is
  # not in the solution and restores CssmSim.* only from that folder, into a packages folder of its
  # own that is cleared of CssmSim.* first, so no cache serves an older pack.
  (
    set -e
    rm -rf artifacts/packages artifacts/consumer-packages/cssmsim.*
    dotnet pack src/CssmSim.Testing/CssmSim.Testing.csproj -c Debug -o artifacts/packages --nologo -v q
    dotnet pack src/CssmSim.Testing.Xunit/CssmSim.Testing.Xunit.csproj -c Debug -o artifacts/packages --nologo -v q
    dotnet restore tests/CssmSim.Consumer.Tests --force --nologo -v q
    dotnet build tests/CssmSim.Consumer.Tests --no-restore --no-incremental --nologo -v q
    dotnet test tests/CssmSim.Consumer.Tests --no-build --nologo
  ) 2>&1 | tee -a "$log"
  local consumer_rc=${PIPESTATUS[0]}
  # cssmsim as a user installs it: pack the dotnet tool into artifacts/tool, install it with
  # `dotnet tool install --add-source` into a tool path of its own (a NuGet config naming only that
  # folder, and an empty packages folder, so neither nuget.org nor a cached older pack can answer),
  # then run `cssmsim --help` and a scenario with the installed command.
  (
    set -e
    rm -rf artifacts/tool artifacts/tool-install artifacts/tool-packages
    mkdir -p artifacts/tool
    dotnet pack src/CssmSim.Cli/CssmSim.Cli.csproj -c Debug -o artifacts/tool --nologo -v q
    printf '<?xml version="1.0" encoding="utf-8"?>\n<configuration><packageSources><clear /><add key="tool" value="%s" /></packageSources></configuration>\n' \
      "$PWD/artifacts/tool" > artifacts/tool/nuget.config
    NUGET_PACKAGES="$PWD/artifacts/tool-packages" dotnet tool install --tool-path artifacts/tool-install \
      --configfile artifacts/tool/nuget.config --add-source artifacts/tool cssmsim
    artifacts/tool-install/cssmsim --help > artifacts/tool/help.txt && grep -q "scenario" artifacts/tool/help.txt
    artifacts/tool-install/cssmsim scenario run scenarios/token-max-uses-bottleneck.yaml
    echo "run-sim.sh: the installed cssmsim tool ran --help and a scenario"
  ) 2>&1 | tee -a "$log"
  local tool_rc=${PIPESTATUS[0]}
  # run-sim.sh/.ps1 as users call them, the CI recipe; not in $log, so the recipe's own `dotnet test`
  # of the consumer tests is not counted twice in the closing line.
  tests/launchers/check-launchers.sh 2>&1; local launchers_rc=$?
  # Code layout against .editorconfig (whitespace only: no build, no network); fix with the same
  # command without --verify-no-changes.
  dotnet format whitespace --folder --verify-no-changes --exclude "**/obj/**" "**/bin/**" "artifacts/**" -v q 2>&1 | tee -a "$log"
  local format_rc=${PIPESTATUS[0]}
  set -e
  # One closing line over all projects, e.g. "tests: 212 passed, 0 failed, 0 skipped".
  awk '/(Passed|Failed)! +- +Failed:/ {
         for (i = 1; i <= NF; i++) { gsub(",", "", $(i+1));
           if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) } }
       END { if (p + f + s > 0) printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
  rm -f "$log"
  [ "$rc" -eq 0 ] || echo "run-sim.sh: dotnet test exited $rc (a failed build or test; see above)" >&2
  [ "$consumer_rc" -eq 0 ] || echo "run-sim.sh: the consumer tests of the packed CssmSim.Testing exited $consumer_rc (see above)" >&2
  [ "$tool_rc" -eq 0 ] || echo "run-sim.sh: packing, installing or running the cssmsim dotnet tool failed with $tool_rc (see above)" >&2
  [ "$format_rc" -eq 0 ] || echo "run-sim.sh: code layout differs from .editorconfig (dotnet format whitespace exited $format_rc; see above)" >&2
  tests/container/run.sh || return $?  # the Docker face: image built with podman, container checked from outside
  [ "$rc" -ne 0 ] && return "$rc"
  [ "$consumer_rc" -ne 0 ] && return "$consumer_rc"
  [ "$tool_rc" -ne 0 ] && return "$tool_rc"
  [ "$format_rc" -ne 0 ] && return "$format_rc"
  [ "$launchers_rc" -eq 0 ] || echo "run-sim.sh: a launcher check in tests/launchers failed with $launchers_rc (see above)" >&2
  return "$launchers_rc"
}

case "${1:-}" in
  test)
    shift
    cd "$root"
    run_tests "$@"
    ;;
  scenario)
    shift
    if [ $# -eq 0 ]; then
      echo "usage: ./run-sim.sh scenario FILE... [--target URL] [--key KEY] [--random-seed N] [--no-reset] [--junit out.xml]" >&2
      exit 2
    fi
    cssmsim scenario run "$@"
    ;;
  cli)
    shift
    cssmsim "$@"
    ;;
  docker)
    shift
    cd "$root"
    # Host ports as in docker-compose.yml: CSSMSIM_BIND (0.0.0.0), CSSMSIM_HTTP_PORT, CSSMSIM_HTTPS_PORT.
    ports=(-p "${CSSMSIM_BIND:-0.0.0.0}:${CSSMSIM_HTTP_PORT:-8080}:8080" -p "${CSSMSIM_BIND:-0.0.0.0}:${CSSMSIM_HTTPS_PORT:-8443}:8443")
    if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
      docker build -t cssmsim .
      exec docker run --rm "${ports[@]}" -v cssmsim-data:/data cssmsim "$@"
    fi
    if command -v podman >/dev/null 2>&1; then
      . tests/container/podman.sh
      if command -v debootstrap >/dev/null 2>&1; then
        tests/container/build.sh localhost/cssmsim   # no registry pulls: local Debian base, host-side publish
      else
        podman build --format docker -t localhost/cssmsim .   # the official .NET images
      fi
      exec podman run --rm "${ports[@]}" -v cssmsim-data:/data localhost/cssmsim "$@"
    fi
    echo "run-sim.sh: neither a Docker engine nor podman is available here; use ./run-sim.sh to run the simulator directly" >&2
    exit 1
    ;;
  *)
    args=("$@")
    if [ ${#args[@]} -eq 0 ]; then
      args=(--urls http://127.0.0.1:8080)
      [ -f "$root/certs/tls.crt" ] && args+=(--https)
    fi
    # The simulator's own files stay in the repository whichever folder it is started from (unless an
    # appsettings.json there or CSSMSIM__ variables say otherwise; flags win over both).
    if [ ! -f appsettings.json ]; then
      export CSSMSIM__Store="${CSSMSIM__Store:-sqlite:$root/data/cssmsim.db}"
      export CSSMSIM__Certs__Directory="${CSSMSIM__Certs__Directory:-$root/certs}"
      export CSSMSIM__Control__KeyFile="${CSSMSIM__Control__KeyFile:-$root/data/control.key}"
    fi
    cssmsim serve "${args[@]}"
    ;;
esac
