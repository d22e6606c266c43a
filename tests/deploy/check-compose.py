#!/usr/bin/env python3
"""Checks a compose file without a Docker engine:
    python3 tests/deploy/check-compose.py deploy/compose/compose.yaml

- every bind mount's and device's host path exists (relative paths are
  relative to the compose file, as compose resolves them), and every build
  context holds its Dockerfile;
- every named volume is declared under `volumes:`;
- the paths the mounted configuration names inside the containers lead back
  to mounted files: Prometheus's rule_files match at least one rule file,
  and each Grafana dashboard provider's path is a mounted directory.
Prints one line per check; exits 1 when one fails.
"""

import glob
import os
import sys

import yaml

failures = 0


def check(ok, message):
    global failures
    if ok:
        print(f"ok: {message}")
    else:
        failures += 1
        print(f"FAIL: {message}")


def bind_mounts(service, base):
    """(host path, container path) of each bind mount of a service."""
    mounts = []
    for volume in service.get("volumes", []):
        if isinstance(volume, str):
            parts = volume.split(":")
            source, target = parts[0], parts[1] if len(parts) > 1 else None
        else:
            source, target = volume.get("source") or "", volume.get("target")
        if target is None:
            continue
        if source.startswith(("/", ".", "~")):
            mounts.append((os.path.normpath(os.path.join(base, source)), target))
    return mounts


def named_volumes(service):
    names = []
    for volume in service.get("volumes", []):
        source = volume.split(":")[0] if isinstance(volume, str) else volume.get("source", "")
        if source and not source.startswith(("/", ".", "~")):
            names.append(source)
    return names


def show(path):
    """A path relative to the working directory when it is below it."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def to_host(path, mounts):
    """The host path behind a container path, by the deepest mount above it."""
    best = None
    for host, target in mounts:
        target = target.rstrip("/")
        if path == target or path.startswith(target + "/"):
            if best is None or len(target) > len(best[1]):
                best = (host, target)
    return None if best is None else best[0] + path[len(best[1]):]


def main(compose_file):
    base = os.path.dirname(os.path.abspath(compose_file))
    with open(compose_file) as f:
        compose = yaml.safe_load(f)
    declared = set((compose.get("volumes") or {}).keys())
    services = compose.get("services") or {}
    check(len(services) > 0, f"{compose_file} has services")
    for name, service in services.items():
        build = service.get("build")
        if build is not None:
            context = build if isinstance(build, str) else build.get("context", ".")
            dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
            path = os.path.join(base, context, dockerfile)
            check(os.path.isfile(path), f"{name}: build {show(path)} exists")
        for host, target in bind_mounts(service, base):
            check(os.path.exists(host), f"{name}: mount {show(host)} -> {target} exists")
        for device in service.get("devices", []):
            host = device.split(":")[0] if isinstance(device, str) else device.get("source")
            check(os.path.exists(host), f"{name}: device {host} exists")
        for volume in named_volumes(service):
            check(volume in declared, f"{name}: volume {volume} is declared")

        mounts = bind_mounts(service, base)
        # Prometheus: the configuration file and the rule files it names.
        command = " ".join(service.get("command", []) if isinstance(service.get("command"), list) else [])
        if "--config.file=" in command:
            config_path = command.split("--config.file=")[1].split()[0]
            host_config = to_host(config_path, mounts)
            check(host_config is not None and os.path.isfile(host_config),
                  f"{name}: --config.file {config_path} is a mounted file")
            if host_config and os.path.isfile(host_config):
                with open(host_config) as f:
                    config = yaml.safe_load(f)
                for pattern in config.get("rule_files", []):
                    host = to_host(pattern, mounts)
                    found = glob.glob(host) if host else []
                    check(len(found) > 0, f"{name}: rule_files {pattern} matches mounted files "
                          f"({', '.join(show(p) for p in found) or 'none'})")
        # Grafana: each dashboard provider's path.
        for host, target in mounts:
            if target.rstrip("/") != "/etc/grafana/provisioning":
                continue
            for provider_file in sorted(glob.glob(os.path.join(host, "dashboards", "*.y*ml"))):
                with open(provider_file) as f:
                    providers = (yaml.safe_load(f) or {}).get("providers", [])
                for provider in providers:
                    path = (provider.get("options") or {}).get("path", "")
                    host_dir = to_host(path, mounts)
                    check(host_dir is not None and os.path.isdir(host_dir),
                          f"{name}: dashboard provider {provider.get('name')} path {path} is a mounted directory")
    if failures:
        print(f"check-compose: {failures} failed")
        return 1
    print("check-compose: all passed")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: check-compose.py COMPOSE_FILE", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
