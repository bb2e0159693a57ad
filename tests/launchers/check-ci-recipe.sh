#!/usr/bin/env bash
# Runs every `run:` step of docs/ci/github-actions.yml as written, job by job, in a folder laid out
# like a user's repository: scenarios/ (two of the library's), tests/Sim.Tests (a copy of
# tests/CssmSim.Consumer.Tests), and a NuGet.config that serves cssmsim and the CssmSim.Testing packages from
# this build's packs (artifacts/tool, artifacts/packages; packed here when missing).
# Usage: tests/launchers/check-ci-recipe.sh   (from anywhere)
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
recipe="$repo/docs/ci/github-actions.yml"
work="$(mktemp -d)"
# `|| true`: the recipe's own last step has usually stopped the simulator already, and under set -e a
# failed kill in the trap would turn a passing run into exit 1.
trap 'if [ -f "$work/.cssmsim/pid" ]; then kill "$(cat "$work/.cssmsim/pid")" 2>/dev/null || true; fi; rm -rf "$work"' EXIT
# On a failure the simulator's own log goes with it: what it was asked, and in what order.
fail() {
  echo "check-ci-recipe: FAIL: $*" >&2
  if [ -f "$work/test-results/cssmsim.log" ]; then
    echo "check-ci-recipe: the last 200 lines of the simulator's log:" >&2
    tail -n 200 "$work/test-results/cssmsim.log" >&2
  fi
  exit 1
}

ls "$repo"/artifacts/tool/cssmsim.*.nupkg >/dev/null 2>&1 \
  || dotnet pack "$repo/src/CssmSim.Cli/CssmSim.Cli.csproj" -c Debug -o "$repo/artifacts/tool" --nologo -v q
for package in CssmSim.Testing CssmSim.Testing.Xunit; do
  ls "$repo"/artifacts/packages/$package.[0-9]*.nupkg >/dev/null 2>&1 \
    || dotnet pack "$repo/src/$package/$package.csproj" -c Debug -o "$repo/artifacts/packages" --nologo -v q
done

mkdir -p "$work/scenarios" "$work/tests"
cp "$repo/scenarios/trust-happy-path.yaml" "$repo/scenarios/token-max-uses-bottleneck.yaml" "$work/scenarios/"
cp -r "$repo/tests/CssmSim.Consumer.Tests" "$work/tests/Sim.Tests"
rm -rf "$work/tests/Sim.Tests/bin" "$work/tests/Sim.Tests/obj" "$work/tests/Sim.Tests/NuGet.config"
# What a team would have in its NuGet.config: where cssmsim and CssmSim.Testing come from.
cat > "$work/NuGet.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <config><add key="globalPackagesFolder" value="$work/.packages" /></config>
  <packageSources>
    <add key="cssmsim-tool" value="$repo/artifacts/tool" />
    <add key="cssmsim-packages" value="$repo/artifacts/packages" />
  </packageSources>
  <packageSourceMapping>
    <packageSource key="cssmsim-tool"><package pattern="cssmsim" /></packageSource>
    <packageSource key="cssmsim-packages"><package pattern="CssmSim.*" /></packageSource>
    <packageSource key="nuget.org"><package pattern="*" /></packageSource>
  </packageSourceMapping>
</configuration>
XML

# The `run:` steps of one job, each as a NUL-separated script (block scalars `run: |` and one-liners).
steps_of() {
  python3 - "$recipe" "$1" <<'PY'
import re, sys
lines = open(sys.argv[1]).read().splitlines()
job, in_job, out, i = sys.argv[2], False, [], 0
while i < len(lines):
    line = lines[i]
    m = re.match(r'^  ([A-Za-z0-9_-]+):\s*$', line)
    if m: in_job = m.group(1) == job
    r = re.match(r'^(\s*)run:\s*(.*)$', line)
    if in_job and r:
        indent, rest = len(r.group(1)), r.group(2)
        if rest in ('|', '|-'):
            block = []
            i += 1
            while i < len(lines) and (not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > indent):
                block.append(lines[i]); i += 1
            pad = min(len(b) - len(b.lstrip()) for b in block if b.strip())
            out.append("\n".join(b[pad:] for b in block))
            continue
        out.append(rest)
    i += 1
sys.stdout.write("\0".join(out))
PY
}

for job in scenarios fixture; do
  count=0
  while IFS= read -r -d '' step || [ -n "$step" ]; do
    count=$((count + 1))
    echo "check-ci-recipe: [$job] $step" | head -n1
    # GitHub Actions runs each step with `bash -e {0}`.
    (cd "$work" && bash -e -c "$step") || fail "job $job, step $count failed: $step"
  done < <(steps_of "$job")
  [ "$count" -gt 0 ] || fail "no run: steps in job $job"
done
[ -f "$work/test-results/scenarios.xml" ] || fail "no JUnit report"
[ -f "$work/test-results/fixture.trx" ] || fail "no fixture trx report"
# Any request line (the readiness probe writes none: it is answered right after routing).
grep -qE "RequestLogging\[0\] (GET|POST|PUT|PATCH|DELETE) /" "$work/test-results/cssmsim.log" || fail "the simulator's log has no request lines"
echo "check-ci-recipe: ok"
