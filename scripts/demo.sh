#!/usr/bin/env bash
# The main job on the bundled examples, on any machine with (or without) a Docker engine:
#   1. build examples/private-npm with an .npmrc secret: exit 0, the token never shown;
#   2. build examples/leaky without the audit, then `safebuild scan` it: the leak is caught.
# It uses a throwaway .npmrc with a random token (never your own ~/.npmrc), and --no-cache:
# BuildKit does not key its cache on secret values, so a cached RUN would hold an older token.
# Run through `npm run demo` (which builds dist/ first).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SAFEBUILD=(node dist/bin/safebuild.cjs)
BASE_IMAGE="${SAFEBUILD_BASE_IMAGE:-local/busybox:1}"

bold() { if [ -t 1 ]; then printf '\n\033[1m== %s\033[0m\n' "$*"; else printf '\n== %s\n' "$*"; fi; }
show() { printf '$ %s\n' "$*"; }

work="$(mktemp -d "${TMPDIR:-/tmp}/safebuild-demo.XXXXXX")"
log="$work/output.log"
trap 'rm -rf "$work"' EXIT
token="demo-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
npmrc="$work/npmrc"
umask 077
printf '@acme:registry=https://npm.acme.example/\n//npm.acme.example/:_authToken=%s\n' "$token" > "$npmrc"

# Everything safebuild prints goes through tee into $log, checked for the token at the end.
sb() { show "safebuild $*"; "${SAFEBUILD[@]}" "$@" 2>&1 | tee -a "$log"; return "${PIPESTATUS[0]}"; }

# Which docker CLI: $SAFEBUILD_DOCKER; else `docker` when it has buildx; else a pre-23 CLI
# with BuildKit built in (/usr/bin/docker from the distro's docker.io).
if [ -n "${SAFEBUILD_DOCKER:-}" ]; then docker_cli="$SAFEBUILD_DOCKER"
elif command -v docker >/dev/null 2>&1 && docker buildx version >/dev/null 2>&1; then docker_cli="$(command -v docker)"
elif [ -x /usr/bin/docker ]; then docker_cli=/usr/bin/docker
else docker_cli="$(command -v docker || echo docker)"
fi
export SAFEBUILD_DOCKER="$docker_cli"

# On a fresh machine of the kind CI uses (root, apt), get an engine rather than give up.
if ! "$docker_cli" version >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && [ -z "${SAFEBUILD_DEMO_NO_SETUP:-}" ]; then
  bold "No Docker engine answers: setting one up (scripts/ci-docker.sh; SAFEBUILD_DEMO_NO_SETUP=1 to skip)"
  bash scripts/ci-docker.sh && docker_cli=/usr/bin/docker && export SAFEBUILD_DOCKER="$docker_cli"
fi

if ! "$docker_cli" version >/dev/null 2>&1; then
  bold "No Docker engine answers ($docker_cli)"
  cat <<MSG
safebuild builds through a Docker engine with BuildKit. To get one on a Debian/Ubuntu machine
(as root; installs docker.io and busybox-static, starts dockerd, makes $BASE_IMAGE):

    bash scripts/ci-docker.sh && npm run demo

Elsewhere: install Docker (with the buildx plugin for Docker 23+), start it, then
\`DOCKER=$docker_cli bash scripts/make-base-image.sh\` and \`npm run demo\`.

Meanwhile, what safebuild does before any build, without an engine:
MSG
  bold "Secret resolution and the Dockerfile cross-check"
  sb check --secret "npmrc=$npmrc" examples/private-npm
  bold "The build stops before starting anything, with exit 4 and how to fix it"
  sb build --secret "npmrc=$npmrc" --build-arg "BASE=$BASE_IMAGE" --no-scan examples/private-npm
  code=$?
  grep -qF "$token" "$log" && { echo "demo: the token appeared in the output!" >&2; exit 1; }
  echo
  echo "demo: the token never appeared in any output. Exit $code: no engine."
  exit "$code"
fi

bold "Base image $BASE_IMAGE (made locally with docker import: no registry needed)"
DOCKER="$docker_cli" bash scripts/make-base-image.sh || exit 4

bold "1. Build examples/private-npm: the .npmrc reaches RUN as a secret mount, then the image is audited"
sb --secret "npmrc=$npmrc" --build-arg "BASE=$BASE_IMAGE" -t safebuild-demo/private-npm --no-cache examples/private-npm
built=$?

bold "2. Build examples/leaky (it copies the secret into the image), skipping the audit"
sb build --secret "npmrc=$npmrc" --build-arg "BASE=$BASE_IMAGE" -t safebuild-demo/leaky --no-scan --no-cache examples/leaky
leaky_built=$?

bold "3. Audit it: safebuild scan finds the token, names the layer and the file"
sb scan safebuild-demo/leaky --secret "npmrc=$npmrc"
scanned=$?

"$docker_cli" rmi -f safebuild-demo/private-npm safebuild-demo/leaky >/dev/null 2>&1

bold "Result"
ok=1
if [ "$built" = 0 ]; then echo "private-npm: built and clean (exit 0)"; else echo "private-npm: exit $built (expected 0)"; ok=0; fi
if [ "$leaky_built" = 0 ] && [ "$scanned" = 1 ]; then echo "leaky: the leak was caught (exit 1)"; else echo "leaky: build exit $leaky_built, scan exit $scanned (expected 0, then 1)"; ok=0; fi
if grep -qF "$token" "$log"; then echo "the token appeared in the output!"; ok=0; else echo "the token never appeared in any output (checked)"; fi
[ "$ok" = 1 ]
