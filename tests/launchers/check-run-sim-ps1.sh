#!/usr/bin/env bash
# Runs run-sim.ps1 with PowerShell 7.6 (the `PowerShell` dotnet tool, installed into artifacts/pwsh;
# 7.7.0 does not install from the registry here): a scenario given as one relative file argument,
# from another folder (the call that used to be split into characters), and a start that answers.
# The full `run-sim.ps1 test` is not repeated here (run-sim.sh test already runs the same steps).
# Usage: tests/launchers/check-run-sim-ps1.sh   (from anywhere)
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
pwsh="$repo/artifacts/pwsh/pwsh"
[ -x "$pwsh" ] || dotnet tool install PowerShell --version 7.6.10 --tool-path "$repo/artifacts/pwsh" >/dev/null
work="$(mktemp -d)"; pid=
port=
# PowerShell runs cssmsim as a child that outlives a killed pwsh: stop the server by its own
# command line (its unique port) as well as pwsh.
stop_server() { if [ -n "$port" ]; then pkill -f -- "--urls http://127.0.0.1:$port" 2>/dev/null || true; fi; }
trap 'stop_server; if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi; rm -rf "$work"' EXIT
fail() { echo "check-run-sim-ps1: FAIL: $*" >&2; exit 1; }

cp "$repo/scenarios/trust-happy-path.yaml" "$work/my.yaml"
(cd "$work" && "$pwsh" -NoProfile -File "$repo/run-sim.ps1" scenario my.yaml --junit out.xml > "$work/scenario.log" 2>&1) \
  || { cat "$work/scenario.log" >&2; fail "run-sim.ps1 scenario my.yaml"; }
[ -f "$work/out.xml" ] || fail "--junit out.xml did not land in the caller's folder"
echo "check-run-sim-ps1: run-sim.ps1 scenario FILE ran one file, relative to the caller's folder"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
(cd "$work" && exec "$pwsh" -NoProfile -File "$repo/run-sim.ps1" --store memory --urls "http://127.0.0.1:$port" --log-level Warning > "$work/serve.log" 2>&1) &
pid=$!
for _ in $(seq 1 600); do
  curl -sf "http://127.0.0.1:$port/_sim/health" >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/serve.log" >&2; fail "run-sim.ps1 exited before answering"; }
  sleep 0.1
done
curl -sf "http://127.0.0.1:$port/_sim/health" >/dev/null || { cat "$work/serve.log" >&2; fail "run-sim.ps1 did not answer"; }
grep -q "cssmsim: opening store" "$work/serve.log" || fail "no progress line"
stop_server
echo "check-run-sim-ps1: ok"
