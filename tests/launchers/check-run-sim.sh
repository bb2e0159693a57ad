#!/usr/bin/env bash
# Scripted check of ./run-sim.sh as a new user meets it (issue 20), run by `./run-sim.sh test`:
#   1. a start prints progress at once (before any build output and before the banner) and answers
#      /_sim/health; when it built, within the time it printed;
#   2. a second start skips the build and answers quickly (the figure is printed; docs/performance.md);
#   3. relative paths are the caller's: `REPO/run-sim.sh scenario my.yaml --junit out.xml` from
#      another folder reads my.yaml and writes out.xml there.
# Usage: tests/launchers/check-run-sim.sh   (from anywhere)
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"; trap 'if [ -n "${pid:-}" ]; then stop; fi; rm -rf "$work"' EXIT
fail() { echo "check-run-sim: FAIL: $*" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo $((20000 + RANDOM % 20000)); }
now_ms() { date +%s%3N; }

# Starts run-sim.sh in $work/user, timestamps each output line (ms since launch) into $1, waits for health.
start() {
  local log="$1" port="$2" limit="$3" t0; t0=$(now_ms)
  ( cd "$work/user" && "$repo/run-sim.sh" --store memory --urls "http://127.0.0.1:$port" --log-level Warning 2>&1 \
      | while IFS= read -r line; do echo "$(( $(now_ms) - t0 )) $line"; done > "$log" ) &
  pid=$!
  while ! curl -sf "http://127.0.0.1:$port/_sim/health" >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; fail "run-sim.sh exited before answering"; }
    [ $(( $(now_ms) - t0 )) -gt $(( limit * 1000 )) ] && { cat "$log" >&2; fail "no answer within ${limit} s"; }
    sleep 0.1
  done
  answered=$(( $(now_ms) - t0 ))
}

stop() { pkill -P "$pid" 2>/dev/null || true; kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=; }

mkdir -p "$work/user"
port=$(free_port)
start "$work/first.log" "$port" 900
first_line_ms=$(head -n1 "$work/first.log" | cut -d' ' -f1)
[ "$first_line_ms" -le 5000 ] || fail "first output after ${first_line_ms} ms (more than 5 s)"
banner=$(grep -n "listening on" "$work/first.log" | head -n1 | cut -d: -f1)
progress=$(grep -n "cssmsim: opening store" "$work/first.log" | head -n1 | cut -d: -f1)
[ -n "$banner" ] && [ -n "$progress" ] && [ "$progress" -lt "$banner" ] || { cat "$work/first.log" >&2; fail "no progress line before the banner"; }
if grep -q "first start: building" "$work/first.log"; then
  [ "$answered" -le 600000 ] || { cat "$work/first.log" >&2; fail "the first start answered after $((answered / 1000)) s; it promised at most 10 minutes"; }
fi
echo "check-run-sim: first start: first line after ${first_line_ms} ms, answered after ${answered} ms"
stop

port=$(free_port)
start "$work/second.log" "$port" 60
grep -q "building" "$work/second.log" && { cat "$work/second.log" >&2; fail "the second start built again"; }
echo "check-run-sim: second start (no build): answered after ${answered} ms"
[ "$answered" -le 15000 ] || fail "the second start took ${answered} ms"
stop

# Relative paths from another folder.
cp "$repo/scenarios/trust-happy-path.yaml" "$work/user/my.yaml"
( cd "$work/user" && "$repo/run-sim.sh" scenario my.yaml --junit reports/out.xml > "$work/scenario.log" 2>&1 ) \
  || { cat "$work/scenario.log" >&2; fail "scenario with a relative path from another folder"; }
[ -f "$work/user/reports/out.xml" ] || fail "--junit reports/out.xml did not land in the caller's folder"
[ ! -e "$repo/reports/out.xml" ] || fail "--junit reports/out.xml landed in the repository"
echo "check-run-sim: relative scenario and --junit paths resolve in the caller's folder"
echo "check-run-sim: ok"
