# oom_exporter's container image, from Debian 12 (bookworm) packages only.
# With a Docker engine (BuildKit):
#   docker build --build-arg REVISION=$(git rev-parse --short=12 HEAD) -t oom_exporter .
#   docker buildx build --platform linux/arm64 -t oom_exporter:arm64 .
# Without one, with buildah: deploy/image/build.sh [--arch arm64].
# The build stage runs on the building machine's own architecture and
# cross-compiles for the target's (TARGETARCH), so no emulator runs the
# compiler. The runtime stage holds the binary, the shared libraries it
# loads and their copyright files, and nothing else (deploy/image/rootfs.sh):
# no shell, no package manager. It needs the host's /proc, /sys and
# /dev/kmsg: see deploy/ for the Kubernetes DaemonSet and the systemd unit.

FROM --platform=$BUILDPLATFORM debian:bookworm AS build
ARG TARGETARCH
# The target's Debian architecture (amd64, arm64) and GNU triplet; a target
# other than the building machine's takes Debian's cross compiler and the
# target's -dev packages (multiarch).
RUN set -eu; \
    case "$TARGETARCH" in \
      amd64) triplet=x86_64-linux-gnu ;; \
      arm64) triplet=aarch64-linux-gnu ;; \
      *) echo "TARGETARCH=$TARGETARCH: only amd64 and arm64 are built" >&2; exit 1 ;; \
    esac; \
    if [ "$TARGETARCH" = "$(dpkg --print-architecture)" ]; then \
      compiler=g++; \
    else \
      dpkg --add-architecture "$TARGETARCH"; \
      compiler="g++-$(echo "$triplet" | tr _ -)"; \
    fi; \
    echo "$triplet" >/triplet; \
    apt-get update; \
    apt-get install -y --no-install-recommends "$compiler" cmake make binutils \
      "libabsl-dev:$TARGETARCH" "libcivetweb-dev:$TARGETARCH" \
      "prometheus-cpp-dev:$TARGETARCH" "zlib1g-dev:$TARGETARCH" \
      "libssl-dev:$TARGETARCH" "libyaml-dev:$TARGETARCH" "libcrypt-dev:$TARGETARCH"; \
    rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY collectors/ collectors/
COPY exporter/ exporter/
# The layering check that configure runs (CMakeLists.txt).
COPY tests/layers/ tests/layers/
COPY deploy/image/rootfs.sh deploy/image/
ARG REVISION=unknown
RUN set -eu; \
    triplet=$(cat /triplet); \
    cross=""; \
    if [ "$TARGETARCH" != "$(dpkg --print-architecture)" ]; then \
      cross="-DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR=${triplet%%-*} \
             -DCMAKE_C_COMPILER=$triplet-gcc -DCMAKE_CXX_COMPILER=$triplet-g++"; \
    fi; \
    OOM_REVISION=$REVISION cmake -S . -B build -DCMAKE_BUILD_TYPE=Release \
      -DOOM_BUILD_TESTS=OFF $cross; \
    cmake --build build --target oom_exporter -j "$(nproc)"; \
    "$triplet-strip" build/oom_exporter; \
    deploy/image/rootfs.sh build/oom_exporter "$triplet" /rootfs

FROM scratch
COPY --from=build /rootfs/ /
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG SOURCE=
LABEL org.opencontainers.image.title="oom_exporter" \
      org.opencontainers.image.description="Prometheus exporter of Linux OOM kills, oom_score and memory cgroups" \
      org.opencontainers.image.version="$VERSION" \
      org.opencontainers.image.revision="$REVISION" \
      org.opencontainers.image.source="$SOURCE" \
      org.opencontainers.image.licenses="Apache-2.0"
# nobody: /proc and cgroupfs need no privilege; reading /dev/kmsg where
# kernel.dmesg_restrict=1 needs CAP_SYSLOG, which a non-root user loses
# when the container starts, so the DaemonSet runs it as uid 0 with
# CAP_SYSLOG alone (deploy/kubernetes/daemonset.yaml).
USER 65534:65534
EXPOSE 9968
# Only the Docker image format has a health check; Kubernetes ignores it and
# probes /healthz itself (the DaemonSet). Give the same
# --web.listen-address here when the exporter listens elsewhere.
HEALTHCHECK --interval=30s --timeout=10s --start-period=10s --retries=3 \
  CMD ["/usr/bin/oom_exporter", "--healthcheck"]
ENTRYPOINT ["/usr/bin/oom_exporter"]
