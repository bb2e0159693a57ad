#!/usr/bin/env bash
# The Docker face, built and run for real: builds the image with podman (tests/container/build.sh:
# a local Debian base and a host-side publish, since registry images cannot be pulled here), then
# checks the running container from outside, and the compose file with podman-compose.
# ./run-sim.sh test calls it. One line per check, "container: PASS <check>" or "container: FAIL
# <check>", then "container: N checks passed, M failed"; exits 1 when a check fails. Skips
# (exit 0, "container: SKIP ...") only where no container runtime can be installed.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/container/podman.sh

# Names of their own per run: worktrees on one machine may run this at the same time.
image="localhost/cssmsim:ci-$$"
name="cssmsim-ci-$$"
volume="cssmsim-ci-$$-data"
project="cssmsimci$$"
work=artifacts/container
passed=0 failed=0 started=$SECONDS

say() { echo "container: $*"; }
# check WHAT FUNCTION: runs a check in this shell (it may set `detail`, shown on its line, and
# update globals); the function's own output is shown only when it fails.
check() {
  local what="$1" out="$work/check.out"; shift
  detail=""
  if "$@" > "$out" 2>&1; then
    passed=$((passed + 1)); say "PASS $what${detail:+ ($detail)}"
  else
    failed=$((failed + 1)); say "FAIL $what${detail:+ ($detail)}"
    tail -15 "$out" | sed 's/^/    /'
  fi
}
finish() {
  say "$passed checks passed, $failed failed ($((SECONDS - started)) s)"
  [ "$failed" -eq 0 ]
  exit
}
cleanup() {
  podman rm -f -t 0 "$name" >/dev/null 2>&1
  podman volume rm -f "$volume" >/dev/null 2>&1
  podman rmi -f "$image" >/dev/null 2>&1
  if [ -n "${compose_up:-}" ]; then
    podman-compose -p "$project" down -v >/dev/null 2>&1
    podman network rm -f "${project}_default" >/dev/null 2>&1
  fi
}
trap cleanup EXIT

if ! container_tools_install; then
  say "SKIP no container runtime here and none could be installed (podman and runc from apt-get); the image was not tested"
  exit 0
fi
command -v curl >/dev/null 2>&1 || { say "FAIL curl is missing"; exit 1; }
mkdir -p "$work"

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# ready_within SECONDS URL: waits for 200 from URL/_sim/ready.
ready_within() {
  local deadline=$((SECONDS + $1))
  until curl -fsS -m 2 -o /dev/null "$2/_sim/ready" 2>/dev/null; do
    [ "$SECONDS" -ge "$deadline" ] && return 1
    sleep 0.05
  done
}
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }'; }
# logs_with CONTAINER PATTERN: the container's log once a line matches PATTERN (grep -E), waiting up
# to 15 s: the start banner is printed a moment after /_sim/ready first answers.
logs_with() {
  local deadline=$((SECONDS + 15)) logs
  until logs=$(podman logs "$1" 2>/dev/null); grep -qE -- "$2" <<<"$logs" || [ "$SECONDS" -ge "$deadline" ]; do
    sleep 0.1
  done
  printf '%s\n' "$logs"
}
# key_from_logs CONTAINER: the generated control key from the banner.
key_from_logs() {
  logs_with "$1" 'control API key \(generated' | sed -n 's/.*control API key (generated; saved to \/data\/control.key): //p'
}
host_url() { echo "http://$(podman port "$name" 8080)"; }

# --- build -------------------------------------------------------------------------------------
t=$SECONDS
if tests/container/build.sh "$image" > "$work/build.log" 2>&1; then
  size=$(podman image inspect --format '{{.Size}}' "$image")
  passed=$((passed + 1)); say "PASS image built: $image, $((size / 1000000)) MB ($((SECONDS - t)) s)"
else
  failed=$((failed + 1)); say "FAIL image build (log: $work/build.log)"
  tail -20 "$work/build.log" | sed 's/^/    /'
  finish
fi

# --- one container, from outside ------------------------------------------------------------------
t0=$(date +%s.%N)
if ! podman run -d --name "$name" -p 127.0.0.1::8080 -v "$volume:/data" \
    -e CSSMSIM__OAuth__TokenLifetimeSeconds=1234 "$image" > "$work/run.log" 2>&1; then
  failed=$((failed + 1)); say "FAIL podman run"; sed 's/^/    /' "$work/run.log"; finish
fi
url=$(host_url)
if ready_within 60 "$url"; then
  say "first ready answer $(elapsed "$t0") s after podman run"
fi

check_health() {
  curl -fsS -m 5 "$url/_sim/health" && curl -fsS -m 5 "$url/_sim/ready" || return 1
  detail="$url"
  curl -fsS -m 5 "$url/_sim/health" | grep -q '"status":"ok"' && curl -fsS -m 5 "$url/_sim/ready" | grep -q '"status":"ready"'
}
check "health and ready answer on the mapped port" check_health

# Docker runs HEALTHCHECK on its own; podman needs systemd timers for that, so run it once here.
check_healthcheck() {
  podman healthcheck run "$name" && [ "$(podman inspect --format '{{.State.Health.Status}}' "$name")" = healthy ]
}
check "HEALTHCHECK (cssmsim healthcheck on /_sim/ready) reports healthy" check_healthcheck

check_user() {
  local user uid owner
  user=$(podman top "$name" user | tail -1); uid=$(podman exec "$name" id -u); owner=$(podman exec "$name" stat -c %U /data)
  detail="process user $user, uid $uid, /data owned by $owner"
  [ "$user" = cssmsim ] && [ "$uid" != 0 ] && [ "$owner" = cssmsim ]
}
check "runs as the non-root user cssmsim, which owns /data" check_user

check_settings() {
  local lifetime
  lifetime=$(curl -fsS -m 5 -X POST "$url/as/token.oauth2?grant_type=client_credentials&client_id=cssmsim&client_secret=cssmsim" \
    | sed -n 's/.*"expires_in":\([0-9]*\).*/\1/p')
  detail="expires_in ${lifetime:-none}"
  [ "$lifetime" = 1234 ] && podman exec "$name" test -s /data/cssmsim.db
}
check "CSSMSIM__ settings take effect (OAuth lifetime from -e, store on /data from the image)" check_settings

key=$(key_from_logs "$name")
check_key() {
  [ -n "$key" ] || { echo "no generated key in the log"; return 1; }
  local without with
  without=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$url/_sim/journal")
  with=$(curl -s -m 5 -o /dev/null -w '%{http_code}' -H "X-CssmSim-Key: $key" "$url/_sim/journal")
  detail="$without without the key, $with with it"
  [ "$without" = 401 ] && [ "$with" = 200 ]
}
check "the control API key is required on 0.0.0.0" check_key

tokens="/_sim/accounts/example.com/virtual-accounts/DEFAULT/tokens"
token_id=$(curl -fsS -m 5 -H "X-CssmSim-Key: $key" -H 'Content-Type: application/json' \
  -d '{"description":"container restart","expiresAfterDays":30,"maxUsesAllowed":3}' "$url$tokens" \
  | sed -n 's/.*"tokenId":"\([^"]*\)".*/\1/p')
check_restart() {
  [ -n "$token_id" ] || { echo "no token was created"; return 1; }
  local t1; t1=$(date +%s.%N)
  podman restart -t 10 "$name" >/dev/null 2>&1 || return 1
  url=$(host_url)
  ready_within 60 "$url" || { echo "not ready after the restart"; return 1; }
  detail="ready again $(elapsed "$t1") s after podman restart"
  curl -fsS -m 5 -H "X-CssmSim-Key: $key" "$url$tokens" | grep -q "\"tokenId\":\"$token_id\""
}
check "a token created survives podman restart (the /data volume)" check_restart

check_key_once() {
  local logs; logs=$(logs_with "$name" 'control API key: loaded from /data/control.key')
  detail="$(grep -c -- "$key" <<<"$logs") log line with the key over two starts"
  [ "$(grep -c -- "$key" <<<"$logs")" = 1 ] && grep -q 'control API key: loaded from /data/control.key' <<<"$logs"
}
check "the generated key is printed once (the restart loads it from /data/control.key)" check_key_once

check_scenario() {
  artifacts/container/publish/cssmsim scenario run scenarios/trust-happy-path.yaml scenarios/usage-report-ack-with-policy.yaml \
    --target "$url" --key "$key"
}
check "scenarios run with --target against the container pass" check_scenario

check_sigterm() {
  local t1 code
  t1=$(date +%s.%N)
  podman kill --signal TERM "$name" >/dev/null || return 1
  timeout 10 podman wait "$name" >/dev/null || { echo "still running 10 s after SIGTERM"; return 1; }
  code=$(podman inspect --format '{{.State.ExitCode}}' "$name")
  detail="exit code $code after $(elapsed "$t1") s"
  [ "$code" = 0 ]
}
check "SIGTERM stops it gracefully (exit code 0) within 10 s" check_sigterm

# --- docker-compose.yml with podman-compose --------------------------------------------------------
check_compose() {
  compose_up=1
  local port base key without with
  port=$(free_port); base="http://127.0.0.1:$port"
  CSSMSIM_IMAGE="$image" CSSMSIM_BIND=127.0.0.1 CSSMSIM_HTTP_PORT="$port" CSSMSIM_HTTPS_PORT="$(free_port)" \
    podman-compose -p "$project" up -d > "$work/compose.log" 2>&1 || { tail -5 "$work/compose.log"; return 1; }
  ready_within 60 "$base" || { echo "not ready"; return 1; }
  podman volume exists "${project}_cssmsim-data" || { echo "no volume ${project}_cssmsim-data"; return 1; }
  key=$(key_from_logs "${project}_cssmsim_1")
  without=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$base/_sim/journal")
  with=$(curl -s -m 5 -o /dev/null -w '%{http_code}' -H "X-CssmSim-Key: $key" "$base/_sim/journal")
  detail="$without without the key, $with with the printed one"
  [ -n "$key" ] || detail="no generated key in the log; $detail"
  [ -n "$key" ] && [ "$without" = 401 ] && [ "$with" = 200 ]
}
check "docker-compose.yml with podman-compose: ready, its volume, the control key" check_compose

finish
