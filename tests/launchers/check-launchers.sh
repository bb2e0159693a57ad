#!/usr/bin/env bash
# The launchers as users call them, run by `./run-sim.sh test` (one line there): run-sim.sh, then
# run-sim.ps1 under PowerShell 7.6, then every `run:` step of the CI recipe in docs/ci.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
rc=0
for check in check-run-sim.sh check-run-sim-ps1.sh check-ci-recipe.sh; do
  [ -f "$here/$check" ] || continue
  echo "== tests/launchers/$check"
  "$here/$check" || { echo "tests/launchers/$check failed" >&2; rc=1; }
done
exit $rc
