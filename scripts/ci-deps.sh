#!/usr/bin/env bash
# System packages the test suite needs beyond Node and Docker: `pass` (a real password store
# for the cmd: provider tests), gnupg (its throwaway key), socat and openssl (a TLS engine
# endpoint with client certificates); bzip2, xz and zstd make the content-stage test archives
# (test/helpers/content-archives.ts). Idempotent; safe to run twice.
set -euo pipefail
need=()
for bin in pass gpg socat openssl bzip2 xz zstd; do
  command -v "$bin" >/dev/null 2>&1 || need+=("$bin")
done
if [ "${#need[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq pass gnupg socat openssl bzip2 xz-utils zstd
fi
