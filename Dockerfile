# oom_exporter container image: built on Debian 12 (bookworm) from Debian's
# packages only; the runtime stage holds the binary and its shared libraries.
#   docker build --build-arg REVISION=$(git rev-parse --short=12 HEAD) -t oom_exporter .
# It needs the host's /proc, /sys and /dev/kmsg: see deploy/ for the
# Kubernetes DaemonSet and the systemd unit.

FROM debian:bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      g++ cmake make libabsl-dev libcivetweb-dev prometheus-cpp-dev zlib1g-dev \
      libssl-dev libyaml-dev libcrypt-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY collectors/ collectors/
COPY exporter/ exporter/
# The layering check that configure runs (CMakeLists.txt).
COPY tests/layers/ tests/layers/
ARG REVISION=unknown
RUN OOM_REVISION=${REVISION} cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DOOM_BUILD_TESTS=OFF \
 && cmake --build build --target oom_exporter -j "$(nproc)" \
 && strip build/oom_exporter

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libabsl20220623 libcivetweb1 libprometheus-cpp-core1.0 libprometheus-cpp-pull1.0 zlib1g \
      libssl3 libyaml-0-2 libcrypt1 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/oom_exporter /usr/bin/oom_exporter
# The kmsg collector's state file (--collector.kmsg.state-file): mount a host
# directory here so that kill counts survive the container too.
RUN install -d -o 65534 -g 65534 /var/lib/oom_exporter
# nobody: /proc and cgroupfs need no privilege; reading /dev/kmsg where
# kernel.dmesg_restrict=1 needs CAP_SYSLOG granted by the runtime.
USER 65534:65534
EXPOSE 9968
ENTRYPOINT ["/usr/bin/oom_exporter"]
