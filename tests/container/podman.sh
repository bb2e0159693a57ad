# Sourced by tests/container/build.sh, tests/container/run.sh and ./run-sim.sh docker: podman with
# runc and the settings in containers.conf (Debian's default runtime crun fails on machines with
# hybrid cgroups), installed from Debian's packages when missing.
export CONTAINERS_CONF="${CONTAINERS_CONF:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/containers.conf}"

# Installs podman, runc, debootstrap and podman-compose when one is missing; returns 1 when they
# cannot be installed (no apt-get, or no root and no sudo).
container_tools_install() {
  local missing=0 cmd
  for cmd in podman runc debootstrap podman-compose; do command -v "$cmd" >/dev/null 2>&1 || missing=1; done
  [ "$missing" = 0 ] && return 0
  command -v apt-get >/dev/null 2>&1 || return 1
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then command -v sudo >/dev/null 2>&1 || return 1; sudo="sudo"; fi
  $sudo apt-get update -qq >/dev/null 2>&1 || true
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc debootstrap podman-compose >/dev/null 2>&1 || return 1
  # runc reads the path from containers.conf's runtime table; Debian installs it in /usr/sbin.
  command -v podman >/dev/null 2>&1 && command -v runc >/dev/null 2>&1
}
