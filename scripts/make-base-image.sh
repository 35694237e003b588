#!/usr/bin/env bash
# Makes the local base image the examples and tests build FROM (no registry is reachable):
# busybox-static with one symlink per applet. Idempotent; prints the image name.
set -euo pipefail
IMAGE="${SAFEBUILD_BASE_IMAGE:-local/busybox:1}"
DOCKER="${DOCKER:-docker}"
if "$DOCKER" image inspect "$IMAGE" >/dev/null 2>&1; then echo "$IMAGE"; exit 0; fi
BUSYBOX="$(command -v busybox || true)"
[ -x /bin/busybox ] && BUSYBOX=/bin/busybox
if [ -z "$BUSYBOX" ] || ! file_out="$("$BUSYBOX" --list 2>/dev/null)"; then
  echo "make-base-image: busybox not found (apt-get install -y busybox-static)" >&2; exit 4
fi
root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/root"
chmod 1777 "$root/tmp"
cp "$BUSYBOX" "$root/bin/busybox"
for applet in $file_out; do [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"; done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
tar -C "$root" -cf - . | "$DOCKER" import -c 'ENV PATH=/bin' -c 'CMD ["/bin/sh"]' - "$IMAGE" >/dev/null
echo "$IMAGE"
