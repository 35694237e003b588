#!/usr/bin/env bash
# System packages the test suite needs beyond Node and Docker: `pass` (a real password store
# for the cmd: provider tests), gnupg (its throwaway key), socat and openssl (a TLS engine
# endpoint with client certificates); bzip2, xz and zstd make the content-stage test archives
# and lzip, cpio, lz4, 7z (p7zip-full), mksquashfs (squashfs-tools) and rpmbuild (rpm) the
# formats read or reported as not decoded, the JDK's jar, javac and jmod (a fat jar read as
# it streams, a module file), unzipsfx and zip (a self-extracting zip)
# (test/helpers/content-archives.ts); GNU time (peak memory of a scan,
# test/scan/entry-limits.test.ts); util-linux's unshare and nsenter (pid namespaces,
# test/faults/sweep-namespaces.test.ts); docker-registry (the real distribution registry 2.8),
# skopeo and htpasswd (registry sources, test/helpers/registry.ts); xxd and hexdump (dumps of a
# value, test/match/hex-dump.test.ts); ssh-keygen (OpenSSH keys converted, test/helpers/keys.ts);
# podman (images in podman's storage, `scan podman:…`, test/scan/podman-source.itg.test.ts);
# mbedTLS 2.28's libmbedx509 (its published test keys, test/rules/public-test-keys.test.ts).
# Idempotent; safe to run twice.
set -euo pipefail
need=()
command -v pass >/dev/null 2>&1 || need+=(pass)
command -v gpg >/dev/null 2>&1 || need+=(gnupg)
command -v socat >/dev/null 2>&1 || need+=(socat)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v bzip2 >/dev/null 2>&1 || need+=(bzip2)
command -v xz >/dev/null 2>&1 || need+=(xz-utils)
command -v zstd >/dev/null 2>&1 || need+=(zstd)
command -v lzip >/dev/null 2>&1 || need+=(lzip)
command -v cpio >/dev/null 2>&1 || need+=(cpio)
command -v lz4 >/dev/null 2>&1 || need+=(lz4)
command -v 7z >/dev/null 2>&1 || need+=(p7zip-full)
command -v mksquashfs >/dev/null 2>&1 || need+=(squashfs-tools)
command -v rpmbuild >/dev/null 2>&1 || need+=(rpm)
command -v makeself >/dev/null 2>&1 || need+=(makeself)
command -v unzipsfx >/dev/null 2>&1 || need+=(unzip)
command -v zip >/dev/null 2>&1 || need+=(zip)
command -v git >/dev/null 2>&1 || need+=(git)
command -v jar >/dev/null 2>&1 || need+=(default-jdk-headless)
[ -x /usr/bin/time ] || need+=(time)
command -v docker-registry >/dev/null 2>&1 || need+=(docker-registry)
command -v skopeo >/dev/null 2>&1 || need+=(skopeo)
command -v htpasswd >/dev/null 2>&1 || need+=(apache2-utils)
command -v xxd >/dev/null 2>&1 || need+=(xxd)
command -v hexdump >/dev/null 2>&1 || need+=(bsdextrautils)
command -v podman >/dev/null 2>&1 || need+=(podman)
command -v ssh-keygen >/dev/null 2>&1 || need+=(openssh-client)
{ command -v unshare && command -v nsenter; } >/dev/null 2>&1 || need+=(util-linux)
ldconfig -p 2>/dev/null | grep -q 'libmbedx509\.so\.1 ' || need+=(libmbedx509-1)
if [ "${#need[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}"
fi
# crun (podman's default runtime here) refuses to run a container when cgroup v2 is mounted
# beside v1 with controllers of its own ("cgroups in hybrid mode not supported", seen on a
# machine of this kind on 2026-12-03); runc, which docker.io brings, runs it.
# (podman 4.3 reads no containers.conf.d: the machine's own file, made only when there is none)
if grep -qs . /sys/fs/cgroup/unified/cgroup.controllers && command -v runc >/dev/null 2>&1 && [ ! -e /etc/containers/containers.conf ]; then
  mkdir -p /etc/containers
  printf '[engine]\nruntime = "runc"\n' > /etc/containers/containers.conf
fi
