#!/usr/bin/env bash
# Builds the scan fixture images with the real engine and writes them, in every format the
# scanner reads, to test/fixtures/images/. Needs /usr/bin/docker (BuildKit) and local/busybox:1
# (scripts/make-base-image.sh). The secret is a fixed fake token: fixtures are committed.
set -euo pipefail
cd "$(dirname "$0")/.."
DOCKER=/usr/bin/docker
OUT=test/fixtures/images
TOKEN="sbfixture-7c3e91a04d5b26f8-token"
NEAR="sbfixture-7c3e91a04d5b"   # a prefix of TOKEN: must never be reported
TAG=sbtest-scan-fixture
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"; $DOCKER rmi -f $TAG-leaky $TAG-clean >/dev/null 2>&1 || true' EXIT

mkdir -p "$WORK/leaky" "$WORK/clean"
printf '%s\n' "$TOKEN" > "$WORK/leaky/secret.txt"
printf 'kept for a while: %s\n' "$TOKEN" > "$WORK/leaky/deleted.txt"
printf '%s' "$TOKEN" | base64 > "$WORK/leaky/b64.txt"
printf 'api_key=%s' "$TOKEN" > "$WORK/leaky/notrail.txt"
# The token straddles the 64 KiB mark of the file.
node -e 'const t=process.argv[1];const b=Buffer.alloc(65536+64,0x2e);b.write(t,65536-10);process.stdout.write(b)' "$TOKEN" > "$WORK/leaky/straddle.bin"
printf 'inside a gzip file: %s\n' "$TOKEN" | gzip -9n > "$WORK/leaky/nested.gz"
cat > "$WORK/leaky/Dockerfile" <<DOCKERFILE
FROM local/busybox:1
ARG BUILD_TOKEN
ENV APP_TOKEN=$TOKEN
LABEL fixture.token=$TOKEN
COPY secret.txt /app/secret.txt
COPY deleted.txt /app/deleted.txt
RUN rm /app/deleted.txt
RUN echo "build arg used" > /app/arg.txt
COPY b64.txt /app/b64.txt
RUN touch /app/name-$TOKEN
RUN ln -s /opt/$TOKEN /app/link
COPY straddle.bin /app/straddle.bin
COPY notrail.txt /app/notrail.txt
COPY nested.gz /app/nested.gz
DOCKERFILE
printf 'almost: %s\n' "$NEAR" > "$WORK/clean/near.txt"
cat > "$WORK/clean/Dockerfile" <<'DOCKERFILE'
FROM local/busybox:1
COPY near.txt /app/near.txt
RUN echo clean > /app/clean.txt
DOCKERFILE

DOCKER_BUILDKIT=1 $DOCKER build -q --build-arg BUILD_TOKEN="$TOKEN" -t $TAG-leaky "$WORK/leaky" >/dev/null
DOCKER_BUILDKIT=1 $DOCKER build -q -t $TAG-clean "$WORK/clean" >/dev/null

rm -rf "$OUT"
mkdir -p "$OUT"
for name in leaky clean; do
  $DOCKER save $TAG-$name > "$WORK/$name.full.tar"
  # Drop the busybox base layer (about 1 MB) so fixtures stay a few KB; every other layer is the engine's own.
  node scripts/fixtures/convert.mjs "$WORK/$name.full.tar" "$OUT/$name" "$WORK"
done
printf '%s\n' "$TOKEN" > "$OUT/TOKEN"
printf '%s\n' "$NEAR" > "$OUT/NEAR"
du -sh "$OUT"
