#!/usr/bin/env bash
# Builds the scan benchmark image: about SIZE_MB of real ELF binaries, real text,
# random bytes and archives (jars, wheels) in seven COPY layers on top of local/busybox:1, with one known
# secret planted in the middle of a random file in layer 4 (so a scanner has to
# read almost the whole image before it meets it, at an offset aligned to nothing).
#
# usage: make-bench-image.sh SIZE_MB TAG WORKDIR PLANTED_SECRET_FILE BENCH_ID
# env:   SAFEBUILD_DOCKER (default /usr/bin/docker: the 20.10 CLI with BuildKit built in)
set -euo pipefail

size_mb=$1 tag=$2 work=$3 planted=$4 bench_id=$5
docker=${SAFEBUILD_DOCKER:-/usr/bin/docker}
ctx=$work/ctx
mib=$((1024 * 1024))
budget() { echo $((size_mb * mib * $1 / 100)); }

rm -rf "$ctx"
mkdir -p "$ctx"/l1 "$ctx"/l2 "$ctx"/l3 "$ctx"/l4 "$ctx"/l5 "$ctx"/l6 "$ctx"/l7

# Copies regular files (and the symlinks among them) from the given roots into DEST,
# in a stable order, until BYTES are used, so the same machine always yields the same layer.
copy_budget() {
  local dest=$1 bytes=$2; shift 2
  # hard links (e.g. the mesa drivers) count once, as tar stores them once
  find "$@" \( -type f -size +0 -o -type l \) -printf '%s\t%D:%i\t%p\n' 2>/dev/null \
    | sort -t$'\t' -k3 \
    | awk -F'\t' -v b="$bytes" '!full && !seen[$2]++ { s += $1; if (s > b) full = 1; else print $3 }' \
    > "$dest.list"
  tar -cf - --no-recursion -T "$dest.list" 2>/dev/null | tar -xf - -C "$dest"
  rm -f "$dest.list"
}

# Writes BYTES of /dev/urandom as files of at most 32 MiB named PREFIX-NN.bin.
random_files() {
  local dest=$1 bytes=$2 prefix=$3 n=0 chunk=$((32 * mib))
  while [ "$bytes" -gt 0 ]; do
    local this=$(( bytes < chunk ? bytes : chunk ))
    head -c "$this" /dev/urandom > "$dest/$prefix-$(printf %02d $n).bin"
    bytes=$((bytes - this)); n=$((n + 1))
  done
}

echo "bench image: $size_mb MB -> $tag (context in $ctx)" >&2

# layer 1: executables, node's own binary first (the biggest real ELF here) when it fits
l1=$(budget 25)
node_size=0
if [ "$(stat -L -c %s "$(command -v node)")" -le "$l1" ]; then
  mkdir -p "$ctx/l1/node"
  cp -L "$(command -v node)" "$ctx/l1/node/node"
  node_size=$(stat -c %s "$ctx/l1/node/node")
fi
copy_budget "$ctx/l1" $(( l1 > node_size ? l1 - node_size : 0 )) /usr/bin /usr/sbin
# layer 2: shared libraries
copy_budget "$ctx/l2" "$(budget 20)" /usr/lib/x86_64-linux-gnu
# layer 3: real text (docs, copyright files, gzipped man pages)
copy_budget "$ctx/l3" "$(budget 10)" /usr/share/doc /usr/share/man /usr/share/common-licenses
# layer 4: random bytes, the secret planted in the middle of the middle file
l4=$(budget 20)
random_files "$ctx/l4" "$l4" blob
files=("$ctx"/l4/*.bin)
target=${files[$(( ${#files[@]} / 2 ))]}
tsize=$(stat -c %s "$target")
offset=$(( tsize / 2 + 12345 ))
{ head -c "$offset" "$target"; cat "$planted"; tail -c +"$((offset + 1))" "$target"; } > "$target.tmp"
mv "$target.tmp" "$target"
echo "planted at byte $offset of ${target#"$ctx"/l4/}" >&2
echo "bench/blobs/${target#"$ctx"/l4/}" > "$work/planted-path"
# layer 5: generated log-like text
awk -v n="$(( $(budget 10) / 78 ))" 'BEGIN {
  srand(1)
  for (i = 0; i < n; i++)
    printf "2024-05-%02d %08x INFO GET /api/v1/items/%07d status=%d bytes=%06d\n", 1 + i % 28, int(rand() * 4294967295), i, (rand() < 0.9 ? 200 : 404), int(rand() * 999999)
}' > "$ctx/l5/app.log"
# layer 6: more random bytes
random_files "$ctx/l6" "$(budget 10)" data
# layer 7: archives the scan opens: Debian's own wheels (python3-pip-whl) and jars deflated from
# real files (class-like binaries and text, as jars hold), about 5 % of the image
cp /usr/share/python-wheels/*.whl "$ctx/l7/" 2>/dev/null || true
python3 - "$ctx/l7" "$(budget 5)" <<'PY'
import os, sys, zipfile
dest, budget = sys.argv[1], int(sys.argv[2])
files = []
# libraries (binary members) and copyright texts: no example keys or test tokens, which the rules
# would rightly report (the bench counts every rule finding as a false positive)
for root in ("/usr/lib/x86_64-linux-gnu", "/usr/share/doc"):
    for d, _, names in sorted(os.walk(root)):
        for n in sorted(names):
            p = os.path.join(d, n)
            if (root != "/usr/share/doc" or n == "copyright") and os.path.isfile(p) and not os.path.islink(p) and 0 < os.path.getsize(p) < 2 << 20:
                files.append(p)
used, k, i = sum(os.path.getsize(os.path.join(dest, f)) for f in os.listdir(dest)), 0, 0
while used < budget and i < len(files):
    path = os.path.join(dest, "app-%03d.jar" % k)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as jar:
        jar.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\nCreated-By: safebuild bench\n")
        for f in files[i:i + 40]:
            jar.write(f, "com/example/%03d/%s" % (k, os.path.basename(f)))
    i += 40; k += 1; used += os.path.getsize(path)
PY

cat > "$ctx/Dockerfile" <<DOCKERFILE
FROM local/busybox:1
LABEL safebuild.bench.id="$bench_id"
COPY l1/ /bench/bin/
COPY l2/ /bench/lib/
COPY l3/ /bench/share/
COPY l4/ /bench/blobs/
COPY l5/ /bench/logs/
COPY l6/ /bench/random/
COPY l7/ /bench/archives/
DOCKERFILE

du -sh "$ctx" >&2
DOCKER_BUILDKIT=1 "$docker" build --progress=plain -t "$tag" "$ctx" >&2
# the context is only needed to build; the image now holds every byte
rm -rf "$ctx"
