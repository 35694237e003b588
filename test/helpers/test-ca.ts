import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";

export interface TestCa {
  /** the CA's certificate (PEM file path) */
  readonly caCert: string;
  /** a server certificate and key for 127.0.0.1 and localhost, signed by the CA */
  readonly serverCert: string;
  readonly serverKey: string;
}

/** A private CA and a loopback server certificate made with openssl, in `dir`. */
export function makeTestCa(dir: string): TestCa {
  const file = (name: string): string => path.join(dir, name);
  const openssl = (args: readonly string[]): void => void execFileSync("openssl", args, { stdio: "pipe" });
  openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=sbtest CA", "-keyout", file("ca.key"), "-out", file("ca.crt")]);
  openssl(["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", file("server.key"), "-out", file("server.csr")]);
  writeFileSync(file("san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n");
  openssl(["x509", "-req", "-in", file("server.csr"), "-CA", file("ca.crt"), "-CAkey", file("ca.key"), "-CAcreateserial", "-days", "2", "-extfile", file("san.ext"), "-out", file("server.crt")]);
  return { caCert: file("ca.crt"), serverCert: file("server.crt"), serverKey: file("server.key") };
}
