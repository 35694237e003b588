#!/usr/bin/env bash
# Makes sure a Docker engine with BuildKit answers, on a fresh Debian/Ubuntu machine of the
# kind safebuild's CI runs on (root, no systemd, no registry): installs docker.io and
# busybox-static if missing, starts dockerd if nothing answers, then makes the local base
# image the examples build FROM. Idempotent: a second run does nothing but check.
set -euo pipefail
DOCKER="${SAFEBUILD_DOCKER:-/usr/bin/docker}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

say() { echo "ci-docker: $*" >&2; }
sudo_if_needed() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! "$DOCKER" version >/dev/null 2>&1; then
  missing=()
  [ -x /usr/bin/docker ] && command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  command -v busybox >/dev/null 2>&1 || [ -x /bin/busybox ] || missing+=(busybox-static)
  if [ "${#missing[@]}" -gt 0 ]; then
    say "installing ${missing[*]}"
    sudo_if_needed apt-get update -qq
    sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  if ! "$DOCKER" version >/dev/null 2>&1; then
    # A dockerd killed with its session leaves pid files behind; dockerd refuses to start while
    # the pid they name exists, even as a zombie or a reused pid. Remove them when the process
    # they name is not a live dockerd/containerd.
    for pidfile in /var/run/docker.pid /var/run/docker/containerd/containerd.pid; do
      [ -f "$pidfile" ] || continue
      pid="$(cat "$pidfile" 2>/dev/null || true)"
      state="$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)"
      comm="$(cat "/proc/$pid/comm" 2>/dev/null || true)"
      if [ -z "$pid" ] || [ -z "$state" ] || [ "$state" = Z ] || { [ "$comm" != dockerd ] && [ "$comm" != containerd ]; }; then
        say "removing stale $pidfile"
        sudo_if_needed rm -f "$pidfile"
      fi
    done
    say "starting dockerd (log: /var/log/dockerd.log)"
    sudo_if_needed sh -c 'nohup dockerd >/var/log/dockerd.log 2>&1 &'
    for _ in $(seq 1 120); do
      "$DOCKER" version >/dev/null 2>&1 && break
      sleep 0.5
    done
  fi
  if ! "$DOCKER" version >/dev/null 2>&1; then
    say "the Docker engine did not answer within 60 s; last lines of /var/log/dockerd.log:"
    tail -n 20 /var/log/dockerd.log >&2 || true
    exit 4
  fi
fi
command -v busybox >/dev/null 2>&1 || [ -x /bin/busybox ] || {
  say "installing busybox-static"
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox-static >/dev/null
}
say "engine answers: $("$DOCKER" version --format '{{.Server.Version}}')"
DOCKER="$DOCKER" bash "$here/make-base-image.sh" >/dev/null
say "base image ready: ${SAFEBUILD_BASE_IMAGE:-local/busybox:1}"
