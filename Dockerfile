# CssmSim standalone simulator: a self-contained `cssmsim serve` on a .NET runtime-deps base, run
# by a non-root user, state on the /data volume.
#   docker build -t cssmsim .
#   docker run --rm -p 8080:8080 -p 8443:8443 -v cssmsim-data:/data cssmsim
# Every setting is an environment variable CSSMSIM__<key, __ for :> (README, Configuration), e.g.
# -e CSSMSIM__Signing__Algorithm=RSA. Listening on 0.0.0.0 makes the control API key mandatory: the
# first start prints a generated key once and keeps it in /data/control.key (or set
# CSSMSIM__Control__ApiKey). `docker stop` (SIGTERM) shuts it down gracefully.
#
# The base images are build arguments. Where the official images cannot be pulled, build from a
# local runtime-deps equivalent and a publish made on the host (tests/container/run.sh does this):
#   dotnet publish src/CssmSim.Cli -c Release -r linux-x64 --self-contained -o artifacts/container/publish
#   docker build --target prebuilt --build-arg RUNTIME_DEPS_IMAGE=localhost/cssmsim-runtime-deps:bookworm-1 -t cssmsim .
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0
ARG RUNTIME_DEPS_IMAGE=mcr.microsoft.com/dotnet/runtime-deps:10.0

FROM ${SDK_IMAGE} AS build
ARG TARGETARCH
WORKDIR /src
COPY . .
RUN case "${TARGETARCH:-amd64}" in arm64) rid=linux-arm64 ;; *) rid=linux-x64 ;; esac \
 && dotnet publish src/CssmSim.Cli -c Release -r "$rid" --self-contained -o /app --nologo

# What both final stages share: the user, the volume, the settings and the health check.
FROM ${RUNTIME_DEPS_IMAGE} AS base
# A user of our own (not the official images' `app`), so local bases without one work the same.
RUN groupadd --gid 10001 cssmsim \
 && useradd --uid 10001 --gid cssmsim --home-dir /data --no-create-home --shell /usr/sbin/nologin cssmsim \
 && mkdir /data && chown cssmsim:cssmsim /data && chmod 700 /data
COPY certs/ /app/certs/
WORKDIR /app
ENV CSSMSIM__Urls=http://0.0.0.0:8080 \
    CSSMSIM__Https=true \
    CSSMSIM__Store=sqlite:/data/cssmsim.db \
    CSSMSIM__Control__KeyFile=/data/control.key \
    CSSMSIM__Certs__Directory=/app/certs \
    DOTNET_RUNNING_IN_CONTAINER=true
# Declared after the chown: a new named volume starts as a copy of /data, owned by cssmsim.
VOLUME /data
EXPOSE 8080 8443
USER 10001:10001
# The cssmsim binary probes /_sim/ready itself (on the first http address of CSSMSIM__Urls).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["/app/cssmsim", "healthcheck"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/app/cssmsim", "serve"]

# docker build --target prebuilt: the publish folder made on the host.
FROM base AS prebuilt
COPY artifacts/container/publish/ /app/

# The default: published inside the official SDK image.
FROM base AS runtime
COPY --from=build /app/ /app/
