import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, test } from "vitest";
import { dockerArchive, tarOf } from "../helpers/archives.js";
import { runCli } from "../helpers/cli.js";
import { KeyLab, keyToolsPresent } from "../helpers/keys.js";

// Private keys as binary DER, made by the real openssl as a Dockerfile's RUN would, in an image
// nobody gave values for: the rule finds each key file (also inside a .tar.gz, and a keystore
// under Java's stock password), and the certificates, public keys and a keystore under its own
// password beside them are clean.
const lab = new KeyLab();
afterAll(() => lab.dispose());

interface Finding {
  readonly rule: string | null;
  readonly path: string;
  readonly preview?: string;
}

describe.runIf(keyToolsPresent)("private-key-der through the CLI", () => {
  test("each DER key is one finding at its file; certificates, public keys and an own-password keystore are not", async () => {
    lab.openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "rsa.pem");
    lab.openssl("ecparam", "-name", "secp384r1", "-genkey", "-noout", "-out", "ec.pem");
    lab.openssl("genpkey", "-algorithm", "ed25519", "-out", "ed.pem");
    lab.openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:brainpoolP256r1", "-out", "bp.pem");
    lab.openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-pkeyopt", "rsa_keygen_primes:3", "-out", "rsa3.pem");
    lab.openssl("req", "-x509", "-key", "rsa.pem", "-subj", "/CN=sbtest", "-days", "1", "-out", "rsa.crt");
    lab.openssl("req", "-x509", "-key", "ec.pem", "-subj", "/CN=sbtest", "-days", "1", "-out", "ec.crt");
    const keys = {
      rsaPkcs1: lab.openssl("rsa", "-traditional", "-in", "rsa.pem", "-outform", "DER"),
      rsaPkcs8: lab.openssl("pkcs8", "-topk8", "-nocrypt", "-in", "rsa.pem", "-outform", "DER"),
      ecSec1: lab.openssl("ec", "-in", "ec.pem", "-outform", "DER"),
      ed: lab.openssl("pkey", "-in", "ed.pem", "-outform", "DER"),
      brainpool: lab.openssl("ec", "-in", "bp.pem", "-outform", "DER"),
      explicit: lab.openssl("ec", "-in", "ec.pem", "-param_enc", "explicit", "-outform", "DER"),
      threePrimes: lab.openssl("rsa", "-traditional", "-in", "rsa3.pem", "-outform", "DER"),
      inJson: lab.openssl("pkcs8", "-topk8", "-nocrypt", "-in", "ec.pem", "-outform", "DER"),
      inYaml: lab.openssl("pkcs8", "-topk8", "-nocrypt", "-in", "rsa3.pem", "-outform", "DER"),
    };
    const layer = await tarOf([
      { name: "app/certs/server.key.der", data: keys.rsaPkcs1 },
      { name: "app/certs/server.pk8", data: keys.rsaPkcs8 },
      { name: "etc/ssl/private/ec.der", data: keys.ecSec1 },
      { name: "srv/backup/keys.tar.gz", data: gzipSync(await tarOf([{ name: "ed25519.der", data: keys.ed }])) },
      { name: "app/keys/brainpool.der", data: keys.brainpool },
      { name: "app/keys/explicit-params.der", data: keys.explicit },
      { name: "app/keys/three-primes.der", data: keys.threePrimes },
      // a key's DER in base64 without armour, as an app's config holds it
      { name: "app/config/signing.json", data: Buffer.from(JSON.stringify({ signing: { privateKey: keys.inJson.toString("base64") } })) },
      { name: "app/config/application.yml", data: Buffer.from(`jwt:\n  private-key: ${keys.inYaml.toString("base64")}\n`) },
      { name: "app/config/keystore.p12", data: lab.openssl("pkcs12", "-export", "-inkey", "ec.pem", "-in", "ec.crt", "-passout", "pass:changeit") },
      // clean: certificates and public keys as DER, a keystore under a password of its own
      { name: "app/certs/server.crt.der", data: lab.openssl("x509", "-in", "rsa.crt", "-outform", "DER") },
      { name: "app/certs/ec.crt.der", data: lab.openssl("x509", "-in", "ec.crt", "-outform", "DER") },
      { name: "app/certs/server.pub.der", data: lab.openssl("pkey", "-in", "rsa.pem", "-pubout", "-outform", "DER") },
      { name: "app/certs/ec.pub.der", data: lab.openssl("pkey", "-in", "ec.pem", "-pubout", "-outform", "DER") },
      { name: "app/config/own.p12", data: lab.openssl("pkcs12", "-export", "-inkey", "rsa.pem", "-in", "rsa.crt", "-passout", "pass:Own-Passw0rd-71f2") },
    ]);
    const image = lab.write("image.tar", await dockerArchive([layer]));
    const cli = await runCli(["scan", `docker-archive:${image}`, "--format", "json"], { cwd: lab.dir });
    expect(cli.code, cli.stderr.toString()).toBe(1);
    const findings = (JSON.parse(cli.stdout.toString()) as { findings: Finding[] }).findings;
    expect(findings.map((f) => `${f.rule} ${f.path}`).sort()).toEqual([
      "private-key-der app/certs/server.key.der",
      "private-key-der app/certs/server.pk8",
      "private-key-der app/config/application.yml",
      "private-key-der app/config/keystore.p12!/key-1",
      "private-key-der app/config/signing.json",
      "private-key-der app/keys/brainpool.der",
      "private-key-der app/keys/explicit-params.der",
      "private-key-der app/keys/three-primes.der",
      "private-key-der etc/ssl/private/ec.der",
      "private-key-der srv/backup/keys.tar.gz!/ed25519.der",
    ]);
    // the keys' bytes appear in no output channel, in hex or base64 either
    for (const key of Object.values(keys)) {
      const body = key.subarray(8, 40);
      for (const form of [body.toString("hex"), body.toString("base64").slice(0, 24), body.toString("latin1")]) expect(cli.output).not.toContain(form);
    }
  });
});
