#!/usr/bin/env bash
# Start time of the container image to its first healthy answer (200 from /_sim/ready), for
# docs/performance.md: RUNS times each, a first start on a new volume (migrations, seed, a new
# control key) and a start on that volume after `podman stop`. Polls every 20 ms with curl.
# Usage: tests/container/measure-start.sh [IMAGE] [RUNS]   (default localhost/cssmsim, as build.sh makes it; 5)
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/container/podman.sh
image="${1:-localhost/cssmsim:latest}" runs="${2:-5}" name="cssmsim-start-$$"
trap 'podman rm -f -t 0 "$name" >/dev/null 2>&1; podman volume rm -f "$name" >/dev/null 2>&1' EXIT
now() { date +%s.%N; }
first_ready() { # START_TIME: seconds from START_TIME to the first 200 from /_sim/ready
  local url; url="http://$(podman port "$name" 8080)"
  until curl -fsS -m 1 -o /dev/null "$url/_sim/ready" 2>/dev/null; do sleep 0.02; done
  awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'
}
echo "image $image, $(podman image inspect --format '{{.Size}}' "$image" | awk '{ printf "%.0f MB", $1 / 1e6 }')"
for i in $(seq "$runs"); do
  t=$(now); podman run -d --name "$name" -p 127.0.0.1::8080 -v "$name:/data" "$image" >/dev/null 2>&1
  fresh=$(first_ready "$t")
  podman stop -t 10 "$name" >/dev/null 2>&1
  t=$(now); podman start "$name" >/dev/null 2>&1
  again=$(first_ready "$t")
  echo "run $i: new volume ${fresh} s, restart on it ${again} s (load average $(cut -d' ' -f1 /proc/loadavg))"
  podman rm -f -t 0 "$name" >/dev/null 2>&1; podman volume rm -f "$name" >/dev/null 2>&1
done
