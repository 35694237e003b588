import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { rootCertificates } from "node:tls";
import { describeFsError, environmentError } from "../errors.js";

/** What `https.Agent` needs to reach one registry as docker would. */
export interface TlsFiles {
  readonly ca: readonly (string | Buffer)[];
  readonly cert: Buffer | undefined;
  readonly key: Buffer | undefined;
}

const DEFAULT_CERTS_D = "/etc/docker/certs.d";
/** Debian's and Alpine's bundle, then RHEL's: docker trusts the system's CAs, node only its own copy. */
const SYSTEM_BUNDLES = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"];

let systemCas: readonly (string | Buffer)[] | undefined;

function systemCa(): readonly (string | Buffer)[] {
  if (systemCas !== undefined) return systemCas;
  const found: (string | Buffer)[] = [...rootCertificates];
  for (const bundle of SYSTEM_BUNDLES) {
    try {
      found.push(readFileSync(bundle));
      break;
    } catch {
      // not this distribution's path
    }
  }
  return (systemCas = found);
}

/**
 * docker's per-registry folder `CERTS_D/HOST[:PORT]/`: every `*.crt` is a CA added to the
 * system's, `NAME.cert` with `NAME.key` a client certificate. `SAFEBUILD_CERTS_D` moves the root
 * (tests; docker's is /etc/docker/certs.d).
 */
export function tlsFilesFor(registry: string, env: NodeJS.ProcessEnv): TlsFiles {
  const dir = join(env["SAFEBUILD_CERTS_D"] || DEFAULT_CERTS_D, registry.replace(/^\[|\]/g, ""));
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return { ca: systemCa(), cert: undefined, key: undefined };
  }
  const read = (name: string): Buffer => {
    try {
      return readFileSync(join(dir, name));
    } catch (error) {
      throw environmentError(`registry ${registry}: cannot read ${join(dir, name)}: ${describeFsError(error)}`, error);
    }
  };
  const ca = [...systemCa(), ...names.filter((n) => n.endsWith(".crt")).map(read)];
  const certName = names.find((n) => n.endsWith(".cert"));
  if (certName === undefined) return { ca, cert: undefined, key: undefined };
  const keyName = `${certName.slice(0, -".cert".length)}.key`;
  if (!names.includes(keyName)) throw environmentError(`registry ${registry}: ${join(dir, certName)} has no ${keyName} beside it`);
  return { ca, cert: read(certName), key: read(keyName) };
}

/** `localhost`, 127.0.0.0/8 and ::1, with or without a port: docker lets these speak plain HTTP. */
export function isLoopbackHost(hostPort: string): boolean {
  const host = hostPort.startsWith("[") ? hostPort.slice(1, hostPort.indexOf("]")) : hostPort.split(":")[0]!;
  return host === "localhost" || /^127\.\d+\.\d+\.\d+$/.test(host) || host === "::1";
}
