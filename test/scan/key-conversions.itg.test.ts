import { afterAll, describe, expect, test } from "vitest";
import { dockerArchive, tarOf } from "../helpers/archives.js";
import { runCli } from "../helpers/cli.js";
import { KeyLab, jwkOf, keyToolsPresent } from "../helpers/keys.js";

// Private keys given as secrets and converted by the real openssl and ssh-keygen, as a build
// step would: each conversion is found through the real CLI with its path and secret; the
// key's certificate, public key and public JWK, and another key, are clean.
const lab = new KeyLab();
afterAll(() => lab.dispose());

interface Finding {
  readonly secret: string;
  readonly path: string;
  readonly encoding: string;
}

const rsa = ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"];

function makeKeys(): { secrets: Record<string, string>; leaks: Record<string, [string, Buffer]>; clean: Record<string, Buffer> } {
  lab.openssl("genpkey", ...rsa, "-out", "rsa.pem");
  lab.openssl("genpkey", ...rsa, "-out", "rsa1-src.pem");
  lab.openssl("rsa", "-traditional", "-in", "rsa1-src.pem", "-out", "rsa1.pem");
  lab.openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ec.pem");
  lab.openssl("genpkey", "-algorithm", "ed25519", "-out", "ed.pem");
  lab.sshKeygen("-t", "rsa", "-b", "2048", "-N", "", "-C", "ci@build", "-f", "id_rsa");
  lab.sshKeygen("-t", "ed25519", "-N", "", "-C", "ci@build", "-f", "id_ed25519");
  lab.openssl("genpkey", ...rsa, "-out", "other.pem");
  lab.write("rsa-trad.pem", lab.openssl("rsa", "-traditional", "-in", "rsa.pem"));
  lab.write("ec-ssh", lab.read("ec.pem"));
  lab.resave("id_rsa", "id_rsa.pem", "-m", "PEM");
  // the same Ed25519 key re-saved with another comment (and new check words)
  lab.resave("id_ed25519", "id_ed25519-resaved");
  lab.sshKeygen("-c", "-C", "deploy@prod", "-P", "", "-f", "id_ed25519-resaved");

  const secrets = { rsa: "rsa.pem", rsa1: "rsa1.pem", ec: "ec.pem", ed: "ed.pem", sshrsa: "id_rsa", sshed: "id_ed25519" };
  const leaks: Record<string, [string, Buffer]> = {
    "keys/rsa-pkcs1.pem": ["rsa", lab.read("rsa-trad.pem")],
    "keys/rsa.der": ["rsa", lab.openssl("rsa", "-traditional", "-in", "rsa.pem", "-outform", "DER")],
    "keys/rsa.txt": ["rsa", lab.openssl("pkey", "-in", "rsa.pem", "-text", "-noout")],
    "keys/rsa.jwk": ["rsa", Buffer.from(jwkOf(lab.read("rsa.pem")).privateJwk)],
    "keys/rsa_openssh": ["rsa", lab.resave("rsa-trad.pem", "rsa-openssh")],
    "keys/rsa_rfc4716": ["rsa", lab.resave("rsa-trad.pem", "rsa-4716", "-m", "RFC4716")],
    "keys/rsa1-pkcs8.pem": ["rsa1", lab.openssl("pkcs8", "-topk8", "-nocrypt", "-in", "rsa1.pem")],
    "keys/ec-pkcs8.pem": ["ec", lab.openssl("pkcs8", "-topk8", "-nocrypt", "-in", "ec.pem")],
    "keys/ec-pkcs8.der": ["ec", lab.openssl("pkcs8", "-topk8", "-nocrypt", "-in", "ec.pem", "-outform", "DER")],
    "keys/ec.txt": ["ec", lab.openssl("ec", "-in", "ec.pem", "-text", "-noout")],
    "keys/ec_openssh": ["ec", lab.resave("ec-ssh", "ec-openssh")],
    "keys/ed.txt": ["ed", lab.openssl("pkey", "-in", "ed.pem", "-text", "-noout")],
    "keys/ed.jwk": ["ed", Buffer.from(jwkOf(lab.read("ed.pem")).privateJwk)],
    "keys/id_rsa.pem": ["sshrsa", lab.read("id_rsa.pem")],
    "keys/id_rsa.der": ["sshrsa", lab.openssl("rsa", "-traditional", "-in", "id_rsa.pem", "-outform", "DER")],
    "keys/id_rsa.txt": ["sshrsa", lab.openssl("pkey", "-in", "id_rsa.pem", "-text", "-noout")],
    "keys/id_ed25519": ["sshed", lab.read("id_ed25519-resaved")],
  };
  const clean: Record<string, Buffer> = {
    "clean/rsa-cert.pem": lab.openssl("req", "-x509", "-key", "rsa.pem", "-subj", "/CN=sbtest", "-days", "1"),
    "clean/rsa-pub.pem": lab.openssl("pkey", "-in", "rsa.pem", "-pubout"),
    "clean/rsa-pub.der": lab.openssl("pkey", "-in", "rsa.pem", "-pubout", "-outform", "DER"),
    "clean/rsa-pub.txt": lab.openssl("pkey", "-in", "rsa.pem", "-text_pub", "-noout"),
    "clean/rsa-pub.jwk": Buffer.from(jwkOf(lab.read("rsa.pem")).publicJwk),
    "clean/rsa.pub": lab.sshKeygen("-y", "-f", "rsa-trad.pem"),
    "clean/rsa1-cert.pem": lab.openssl("req", "-x509", "-key", "rsa1.pem", "-subj", "/CN=sbtest", "-days", "1"),
    "clean/ec-cert.pem": lab.openssl("req", "-x509", "-key", "ec.pem", "-subj", "/CN=sbtest", "-days", "1"),
    "clean/ec-pub.pem": lab.openssl("ec", "-in", "ec.pem", "-pubout"),
    "clean/ec-pub.jwk": Buffer.from(jwkOf(lab.read("ec.pem")).publicJwk),
    "clean/ed-cert.pem": lab.openssl("req", "-x509", "-key", "ed.pem", "-subj", "/CN=sbtest", "-days", "1"),
    "clean/ed-pub.jwk": Buffer.from(jwkOf(lab.read("ed.pem")).publicJwk),
    "clean/id_rsa.pub": lab.read("id_rsa.pub"),
    "clean/id_ed25519.pub": lab.read("id_ed25519.pub"),
    "clean/other.pem": lab.read("other.pem"),
    "clean/other-pkcs1.pem": lab.openssl("rsa", "-traditional", "-in", "other.pem"),
    "clean/other.txt": lab.openssl("pkey", "-in", "other.pem", "-text", "-noout"),
  };
  return { secrets, leaks, clean };
}

describe.runIf(keyToolsPresent)("private keys converted by openssl and ssh-keygen", () => {
  test("scan FILE.tar: each conversion found with its path and secret; certificates, public keys and another key clean; no number printed", async () => {
    const { secrets, leaks, clean } = makeKeys();
    const layer = await tarOf([...Object.entries(leaks).map(([name, [, data]]) => ({ name, data })), ...Object.entries(clean).map(([name, data]) => ({ name, data }))]);
    const image = lab.write("image.tar", await dockerArchive([layer]));
    const values = Object.values(secrets).map((f) => lab.read(f));
    const args = ["scan", image, "--no-rules", "--format", "json", ...Object.entries(secrets).flatMap(([id, file]) => ["--secret", `${id}=${lab.path(file)}`])];
    const run = await runCli(args, { secrets: values, cwd: lab.dir });
    expect(run.code, run.stderr.toString()).toBe(1);
    const findings = (JSON.parse(run.stdout.toString()) as { findings: Finding[] }).findings;
    const found = [...new Set(findings.map((f) => `${f.secret} ${f.path}`))].sort();
    expect(found).toEqual(Object.entries(leaks).map(([path, [id]]) => `${id} ${path}`).sort());
    // found through the key's numbers; now and then a converted key shares a body line of the
    // secret at the same base64 alignment (a JWK member, a line of d), or the dump of a SEC1
    // key's DER piece that lies inside its scalar: that form is named instead
    for (const f of findings) expect(f.encoding, `${f.secret} ${f.path}`).toMatch(/^(?:key-material(?:-base64(?:url)?|-hex)?(?:-wrapped|-hex-dump)?|line|hex-dump)$/);
    expect(findings.filter((f) => f.path.endsWith(".txt")).every((f) => f.encoding.endsWith("hex-dump"))).toBe(true);
    expect(findings.filter((f) => f.path.endsWith(".der")).every((f) => f.encoding === "key-material")).toBe(true);
    // the suite's output audit searches every output for every form of these keys; here the first body lines
    for (const value of values) expect(run.output).not.toContain(value.toString().split("\n")[1]);
  }, 120_000);

  test("scan FILE.tar: a PKCS#12 keystore under Java's stock password (changeit) holds the key: found inside it, exit 1; under a password of its own: clean", async () => {
    lab.openssl("genpkey", ...rsa, "-out", "tls.pem");
    lab.openssl("req", "-x509", "-key", "tls.pem", "-subj", "/CN=app", "-days", "1", "-out", "tls.crt");
    const keystore = lab.openssl("pkcs12", "-export", "-inkey", "tls.pem", "-in", "tls.crt", "-passout", "pass:changeit");
    const own = lab.openssl("pkcs12", "-export", "-inkey", "tls.pem", "-in", "tls.crt", "-passout", "pass:Own-Passw0rd-71f2");
    const secretArgs = ["--secret", `tls=${lab.path("tls.pem")}`, "--no-rules", "--format", "json"];
    const leaky = lab.write("p12.tar", await dockerArchive([await tarOf([{ name: "app/config/keystore.p12", data: keystore }])]));
    const run = await runCli(["scan", leaky, ...secretArgs], { secrets: [lab.read("tls.pem")], cwd: lab.dir });
    expect(run.code, run.stderr.toString()).toBe(1);
    const findings = (JSON.parse(run.stdout.toString()) as { findings: Finding[] }).findings;
    expect([...new Set(findings.map((f) => `${f.secret} ${f.path}`))]).toEqual(["tls app/config/keystore.p12!/key-1"]);
    const clean = lab.write("p12-own.tar", await dockerArchive([await tarOf([{ name: "app/config/keystore.p12", data: own }])]));
    const quiet = await runCli(["scan", clean, ...secretArgs], { secrets: [lab.read("tls.pem")], cwd: lab.dir });
    expect(quiet.code, quiet.stderr.toString()).toBe(0);
  }, 60_000);

  test("safebuild check says the private numbers are searched, by name", async () => {
    lab.openssl("genpkey", ...rsa, "-out", "check.pem");
    lab.sshKeygen("-t", "ed25519", "-N", "", "-f", "id_check");
    const run = await runCli(["check", "--secret", `key=${lab.path("check.pem")}`, "--secret", `ssh=${lab.path("id_check")}`], { secrets: [lab.read("check.pem"), lab.read("id_check")], cwd: lab.dir });
    expect(run.code, run.stderr.toString()).toBe(0);
    expect(run.stdout.toString()).toMatch(/ {2}key: pem; searched: whole value, 1 credential \(PRIVATE KEY block lines 2-27\), private numbers of 1 key \(RSA d, p, q, dp, dq, qi lines 1-28\); not searched alone: PRIVATE KEY block lines [0-9-]+ \(public part of the key\)\n/);
    expect(run.stdout.toString()).toContain("  ssh: pem; searched: whole value, 1 credential (OPENSSH PRIVATE KEY block lines 2-6), private numbers of 1 key (OpenSSH Ed25519 seed lines 1-7)");
  }, 60_000);
});
