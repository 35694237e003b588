#!/usr/bin/env bash
# System packages the test suite needs beyond Node and Docker: `pass` (a real password store
# for the cmd: provider tests) and gnupg (its throwaway key); GNU time (peak memory of a scan,
# test/scan/entry-limits.test.ts); util-linux's unshare and nsenter (pid namespaces,
# test/faults/sweep-namespaces.test.ts). Idempotent; safe to run twice.
set -euo pipefail
need=()
command -v pass >/dev/null 2>&1 || need+=(pass)
command -v gpg >/dev/null 2>&1 || need+=(gnupg)
[ -x /usr/bin/time ] || need+=(time)
{ command -v unshare && command -v nsenter; } >/dev/null 2>&1 || need+=(util-linux)
if [ "${#need[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}"
fi
