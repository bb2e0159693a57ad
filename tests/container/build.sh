#!/usr/bin/env bash
# Builds the CssmSim image with podman without pulling anything from a container registry:
#   1. a runtime-deps equivalent base (Debian bookworm minbase plus ca-certificates, libicu, libssl,
#      zlib, tzdata, libstdc++, as in mcr.microsoft.com/dotnet/runtime-deps) made with debootstrap
#      from Debian's package mirror, imported once as $CSSMSIM_BASE_IMAGE and kept in podman's
#      image store for later runs;
#   2. a self-contained publish of src/CssmSim.Cli on the host, in artifacts/container/publish;
#   3. `podman build --target prebuilt` of the repository's Dockerfile on that base.
# Usage: tests/container/build.sh [IMAGE]     (default localhost/cssmsim:latest)
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/container/podman.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

image="${1:-localhost/cssmsim:latest}"
# Bump the suffix when the package list changes, so every machine rebuilds its cached base.
base="${CSSMSIM_BASE_IMAGE:-localhost/cssmsim-runtime-deps:bookworm-1}"
packages="ca-certificates,libicu72,libssl3,zlib1g,tzdata,libstdc++6"
mkdir -p artifacts/container

if ! podman image exists "$base"; then
  echo "build.sh: making the base image $base with debootstrap (a few minutes, once per machine)"
  rootfs="$(mktemp -d /var/tmp/cssmsim-rootfs.XXXXXX)"
  trap 'rm -rf "$rootfs"' EXIT
  if ! debootstrap --variant=minbase --include="$packages" bookworm "$rootfs" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" \
      > artifacts/container/debootstrap.log 2>&1; then
    tail -20 artifacts/container/debootstrap.log >&2
    echo "build.sh: debootstrap failed (log: artifacts/container/debootstrap.log)" >&2
    exit 1
  fi
  # Package caches, lists and documentation are not needed at run time (about 140 MB).
  rm -rf "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/* \
         "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/*
  tar -C "$rootfs" -c . | podman import --change 'CMD ["/bin/bash"]' - "$base" >/dev/null
  rm -rf "$rootfs"
  trap - EXIT
fi

case "$(uname -m)" in aarch64|arm64) arch=arm64 rid=linux-arm64 ;; *) arch=amd64 rid=linux-x64 ;; esac
rm -rf artifacts/container/publish
dotnet publish src/CssmSim.Cli -c Release -r "$rid" --self-contained -o artifacts/container/publish --nologo -v q

# --format docker: the OCI format has no HEALTHCHECK. TARGETARCH only quiets a warning about the
# SDK stage, which --target prebuilt skips. No intermediate layers are kept: the stage is seconds.
podman build --quiet --layers=false --format docker --target prebuilt --build-arg RUNTIME_DEPS_IMAGE="$base" \
  --build-arg TARGETARCH="$arch" -t "$image" . >/dev/null
echo "build.sh: built $image on $base"
