#!/usr/bin/env bash
# System packages the test suite needs beyond Node and Docker: `pass` (a real password store
# for the cmd: provider tests), gnupg (its throwaway key), socat and openssl (a TLS engine
# endpoint with client certificates). Idempotent; safe to run twice.
set -euo pipefail
need=()
for bin in pass gpg socat openssl; do
  command -v "$bin" >/dev/null 2>&1 || need+=("$bin")
done
if [ "${#need[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq pass gnupg socat openssl
fi
