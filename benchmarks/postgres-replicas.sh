#!/usr/bin/env bash
# Issue 19 figures (docs/performance.md "PostgreSQL and replicas"): the same load driver against a
# SQLite file, PostgreSQL with one replica and PostgreSQL with three replicas, in alternation.
# Usage: benchmarks/postgres-replicas.sh [modes...]      modes: trust report report100 memory (default: trust report)
# Needs a Release build of the driver (dotnet build -c Release benchmarks/CssmSim.Load) and PostgreSQL's
# initdb/pg_ctl (Debian: postgresql-15). Starts a throwaway cluster on a free loopback port
# (synchronous_commit=off: like SQLite's WAL with synchronous=NORMAL, a commit survives a crash of
# any process and the last ones may be lost on power loss), a fresh database per run, and removes it all.
# DURATION, WARMUP, CLIENTS, INSTANCES and REPORTS (memory) override the defaults below.
set -euo pipefail
BIN=$(cd "$(dirname "$0")/CssmSim.Load/bin/Release/net10.0" && pwd)
DURATION=${DURATION:-15}; WARMUP=${WARMUP:-5}; CLIENTS=${CLIENTS:-16}
INSTANCES=${INSTANCES:-100000}; REPORTS=${REPORTS:-1000000}
PORTS=(18383 18384 18385); DRIVER_PORT=18382
[ $# -gt 0 ] || set -- trust report

pgbin=$(dirname "$(command -v initdb 2>/dev/null || ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
WORK=$(mktemp -d /tmp/cssmsim-pg-bench-XXXXXX)
pg=("$pgbin/pg_ctl"); initdb=("$pgbin/initdb")
# PostgreSQL refuses to run as root: as root the cluster belongs to the postgres user.
if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$WORK"; pg=(runuser -u postgres -- "${pg[@]}"); initdb=(runuser -u postgres -- "${initdb[@]}"); fi
while :; do PGPORT=$((20000 + RANDOM % 40000)); (exec 3<>"/dev/tcp/127.0.0.1/$PGPORT") 2>/dev/null || break; done
"${initdb[@]}" -D "$WORK/data" -U postgres --auth=trust -E UTF8 --no-locale -N > /dev/null
"${pg[@]}" -D "$WORK/data" -l "$WORK/log" -w -o "-p $PGPORT -k $WORK -c listen_addresses=127.0.0.1 -c max_connections=200 -c synchronous_commit=off" start > /dev/null
PG="Host=127.0.0.1;Port=$PGPORT;Username=postgres"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; "${pg[@]}" -D "$WORK/data" -m fast -w stop > /dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT
echo "# PostgreSQL $(psql -h 127.0.0.1 -p "$PGPORT" -U postgres -tAc 'SHOW server_version') on 127.0.0.1:$PGPORT; $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"

newdb() { local db; db="b$(date +%s%N)"; psql -h 127.0.0.1 -p "$PGPORT" -U postgres -qc "CREATE DATABASE $db" > /dev/null; echo "$db"; }
rss() { awk '/^VmRSS:/{printf "%.0f MB ", $2/1024}' "/proc/$1/status"; }
# PostgreSQL's memory: PSS counts shared buffers once across its processes; the RSS sum counts them in each.
pgmem() {
  local pm; pm=$(head -1 "$WORK/data/postmaster.pid"); local all="$pm $(pgrep -P "$pm" | tr '\n' ' ')" pss=0 r=0 v
  for p in $all; do
    v=$(awk '/^Pss:/{print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || true); pss=$((pss + ${v:-0}))
    v=$(awk '/^VmRSS:/{print $2}' "/proc/$p/status" 2>/dev/null || true); r=$((r + ${v:-0}))
  done
  echo "PostgreSQL: $(echo "$all" | wc -w) processes, PSS $((pss / 1024)) MB (RSS sum $((r / 1024)) MB)"
}
# Three `cssmsim serve` on one database, started one after the other (the first migrates and seeds).
replicas() {
  pids=()
  for port in "${PORTS[@]}"; do
    local d; d=$(mktemp -d "$WORK/replica-XXXX")
    (cd "$d" && exec dotnet "$BIN/cssmsim.dll" serve --urls "http://127.0.0.1:$port" --store "postgres:$PG;Database=$1" --log-level Warning > "$d/out.log" 2>&1) &
    pids+=($!)
    for _ in $(seq 240); do curl -sf "http://127.0.0.1:$port/_sim/health" > /dev/null && break; sleep 0.5; done
  done
}
stop_replicas() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait "${pids[@]}" 2>/dev/null || true; pids=(); }
urls() { local IFS=,; echo "${PORTS[*]/#/http:\/\/127.0.0.1:}"; }

cd "$BIN"
for mode in "$@"; do
  case $mode in
    trust) args=(trust --clients "$CLIENTS" --duration "$DURATION" --warmup "$WARMUP") ;;
    report) args=(report --per-request 1 --clients "$CLIENTS" --duration "$DURATION" --warmup "$WARMUP") ;;
    report100) args=(report --per-request 100 --clients "$CLIENTS" --duration "$DURATION" --warmup "$WARMUP") ;;
    memory)
      echo "=== memory: $INSTANCES instances, $REPORTS reports"
      mkdir -p "$WORK/sqlite"
      dotnet cssmsim.dll bench populate --instances "$INSTANCES" --reports "$REPORTS" --store "sqlite:$WORK/sqlite/bench.db" | tail -n 1
      db=$(newdb)
      dotnet cssmsim.dll bench populate --instances "$INSTANCES" --reports "$REPORTS" --store "postgres:$PG;Database=$db" | tail -n 1
      dotnet cssmsim-load.dll memory --port $DRIVER_PORT --duration "$DURATION" --store "sqlite:$WORK/sqlite/bench.db" | grep -E 'RSS|GET'
      # PostgreSQL's memory sampled every 2 s while that server runs; the largest PSS is printed.
      dotnet cssmsim-load.dll memory --port $DRIVER_PORT --duration "$DURATION" --store "postgres:$PG;Database=$db" > "$WORK/memory.log" &
      driver=$!
      while kill -0 "$driver" 2>/dev/null; do pgmem >> "$WORK/pgmem.log"; sleep 2; done
      grep -E 'RSS|GET' "$WORK/memory.log"
      echo "while it ran, at most: $(sort -t' ' -k5 -n "$WORK/pgmem.log" | tail -n 1)"
      replicas "$db"
      echo "3 replicas after start: $(for p in "${pids[@]}"; do rss "$p"; done); $(pgmem)"
      for port in "${PORTS[@]}"; do
        curl -sf -o /dev/null "http://127.0.0.1:$port/_sim/accounts/example.com/virtual-accounts/DEFAULT/licenses"
        for _ in $(seq 200); do curl -sf -o /dev/null "http://127.0.0.1:$port/_sim/health"; done
      done
      sleep "$DURATION"
      echo "after licenses and 200 health calls each, $DURATION s: $(for p in "${pids[@]}"; do rss "$p"; done); $(pgmem)"
      for port in "${PORTS[@]}"; do curl -sf -o /dev/null "http://127.0.0.1:$port/_sim/accounts/example.com/virtual-accounts/DEFAULT/product-instances"; done
      echo "after each listed every instance: $(for p in "${pids[@]}"; do rss "$p"; done); $(pgmem)"
      stop_replicas
      continue ;;
    *) echo "unknown mode $mode" >&2; exit 2 ;;
  esac
  echo "=== $mode, SQLite file, $(date -u +%T), load average $(cut -d' ' -f1-3 /proc/loadavg)"
  dotnet cssmsim-load.dll "${args[@]}" --port $DRIVER_PORT | grep -E '^(trust|usage|reports)|server CPU'
  echo "=== $mode, PostgreSQL, 1 replica, $(date -u +%T), load average $(cut -d' ' -f1-3 /proc/loadavg)"
  dotnet cssmsim-load.dll "${args[@]}" --port $DRIVER_PORT --store "postgres:$PG;Database=$(newdb)" | grep -E '^(trust|usage|reports)|server CPU'
  echo "=== $mode, PostgreSQL, 3 replicas, $(date -u +%T), load average $(cut -d' ' -f1-3 /proc/loadavg)"
  replicas "$(newdb)"
  dotnet cssmsim-load.dll "${args[@]}" --target "$(urls)" | grep -E '^(trust|usage|reports)'
  echo "replicas after the run: $(for p in "${pids[@]}"; do rss "$p"; done); $(pgmem)"
  stop_replicas
done
