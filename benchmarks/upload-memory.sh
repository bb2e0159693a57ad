#!/usr/bin/env bash
# Peak server memory under hostile uploads (issue 14, docs/performance.md "Memory under hostile load").
# Usage: benchmarks/upload-memory.sh [path/to/cssmsim.dll] [uploads] [max-in-flight]
# Starts `cssmsim serve` on a free loopback port with an in-memory store, then for each step resets
# the peak (writes 5 to /proc/PID/clear_refs) and reads VmHWM/VmRSS from /proc/PID/status:
#   1. a failed 2 MiB seed import (699,000 empty items), three times;
#   2. N concurrent 60 MB uploads of random bytes (Uploads:MaxInFlight set to the third argument).
# Also prints what is left in the spool directory (Uploads:TempDirectory) afterwards.
set -euo pipefail
DLL=${1:-src/CssmSim.Cli/bin/Debug/net10.0/cssmsim.dll}
N=${2:-20}
INFLIGHT=${3:-20}
PORT=${PORT:-18191}
WORK=$(mktemp -d /tmp/cssmsim-upload-memory-XXXXXX)
SPOOL=$WORK/spool
trap 'kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; rm -rf "$WORK"' EXIT

CSSMSIM__Uploads__MaxInFlight=$INFLIGHT CSSMSIM__Uploads__TempDirectory=$SPOOL \
  dotnet "$DLL" serve --urls "http://127.0.0.1:$PORT" --store memory > "$WORK/serve.log" 2>&1 &
PID=$!
for _ in $(seq 120); do curl -sf "http://127.0.0.1:$PORT/_sim/health" > /dev/null 2>&1 && break; sleep 0.5; done

mem() { grep -E 'VmHWM|VmRSS' /proc/$PID/status | tr -s ' \t' ' ' | tr '\n' ' '; echo; }
reset_peak() { echo 5 > /proc/$PID/clear_refs; }

python3 -c 'import sys; sys.stdout.write("{\"accounts\":[" + ",".join(["{}"]*699000) + "]}")' > "$WORK/empty-items.json"
head -c 60000000 /dev/urandom > "$WORK/u60.bin"
echo "idle: $(mem)"

for i in 1 2 3; do
  reset_peak
  code=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' -H 'Content-Type: application/json' \
    --data-binary @"$WORK/empty-items.json" "http://127.0.0.1:$PORT/_sim/seed")
  echo "2 MiB failed import #$i: answer $code bytes; $(mem)"
done

reset_peak
before=$(date +%s.%N)
for i in $(seq "$N"); do
  curl -s -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/octet-stream' --data-binary @"$WORK/u60.bin" \
    "http://127.0.0.1:$PORT/_sim/usage-files?fileName=u$i.bin&smartAccount=example.com&virtualAccount=DEFAULT" >> "$WORK/codes" &
done
wait $(jobs -p | grep -v "^$PID$") 2>/dev/null || true
after=$(date +%s.%N)
echo "$N concurrent 60 MB uploads (MaxInFlight $INFLIGHT): answers $(sort "$WORK/codes" | uniq -c | tr -s ' \n' ' '); $(python3 -c "print(f'{$after-$before:.1f}')") s; $(mem)"
echo "spool files left: $(find "$SPOOL" -type f 2>/dev/null | wc -l)"
