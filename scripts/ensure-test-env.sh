#!/usr/bin/env bash
# Run by `npm test` before the suite. On a machine of the kind CI uses (root, apt, no engine
# running) it sets up what the integration tests need: a Docker engine with BuildKit, the
# local base image, and pass/gnupg (ci-docker.sh and ci-deps.sh, both idempotent and quick
# when all is there). Elsewhere (not root, no apt) it only says what is missing: the
# integration tests then fail under CI=true and are skipped otherwise, and say so.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  bash "$here/ci-docker.sh"
  bash "$here/ci-deps.sh"
elif ! "${SAFEBUILD_DOCKER:-/usr/bin/docker}" version >/dev/null 2>&1; then
  echo "ensure-test-env: no Docker engine answers; the integration tests need one (bash scripts/ci-docker.sh as root)" >&2
fi
