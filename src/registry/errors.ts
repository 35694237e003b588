import { environmentError, type SafebuildError } from "../errors.js";

const TLS_CODES = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|EPROTO$|HOSTNAME_MISMATCH|ERR_OSSL)/;

const codeOf = (error: unknown): string =>
  error !== null && typeof error === "object" && "code" in error && typeof error.code === "string" ? error.code : "";

/** A TLS handshake that failed (wrong CA, wrong name, not TLS at all). */
export const isTlsFailure = (error: unknown): boolean => TLS_CODES.test(codeOf(error));

/** A plain-HTTP server answering a TLS hello: the one failure after which HTTP is tried. */
export const isNotTls = (error: unknown): boolean => /WRONG_VERSION_NUMBER|EPROTO|ECONNRESET/.test(codeOf(error)) || /wrong version number/i.test(String(error));

/** The one-line exit-4 error for a request that got no HTTP answer, by its cause. */
export function unreachable(host: string, error: unknown, idleMs: number): SafebuildError {
  const code = codeOf(error);
  if (code === "ETIMEDOUT") {
    return environmentError(`registry ${host} did not answer within ${idleMs / 1000} s (SAFEBUILD_REGISTRY_TIMEOUT sets the bound in seconds)`, error);
  }
  if (isTlsFailure(error)) {
    return environmentError(`registry ${host}: TLS failure (${code}): is its CA in /etc/docker/certs.d/${host}/ca.crt (or the system's)?`, error);
  }
  return environmentError(`registry ${host} is unreachable (${code || "connection failed"})`, error);
}
