import { afterAll, describe, expect, test } from "vitest";
import { createMasker } from "../../src/redact/masker.js";
import { SecretValue } from "../../src/secrets/secret-value.js";
import { KeyLab, jwkOf, keyToolsPresent } from "../helpers/keys.js";

// A secret key converted (the PKCS#1 or OpenSSH file, a JWK) and printed: the build log
// (pieces within a line) and report fields (whole forms: a history line, a path) show none of
// its private numbers, in any base64 alignment or alphabet.
const lab = new KeyLab();
afterAll(() => lab.dispose());

/** 16-character runs of the private numbers' base64 (each alignment, both alphabets) left in `text`; the numbers from node's JWK. */
function numberRunsIn(secret: Buffer, text: string): number {
  const jwk = JSON.parse(jwkOf(secret).privateJwk) as Record<string, string>;
  const flat = text.replace(/\s+/g, "");
  let runs = 0;
  for (const name of ["d", "p", "q", "dp", "dq", "qi"]) {
    const bytes = Buffer.from(jwk[name] ?? "", "base64url");
    for (let at = 0; at < 3; at++) {
      for (const alphabet of ["base64", "base64url"] as const) {
        const b64 = bytes.subarray(at).toString(alphabet).replace(/=+$/, "").slice(1, -2);
        for (let i = 0; i + 16 <= b64.length; i += 4) if (flat.includes(b64.slice(i, i + 16))) runs++;
      }
    }
  }
  return runs;
}

describe.runIf(keyToolsPresent)("a secret key printed converted", () => {
  lab.openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "rsa.pem");
  const secret = lab.read("rsa.pem");
  lab.write("rsa-trad.pem", lab.openssl("rsa", "-traditional", "-in", "rsa.pem"));
  const m = createMasker({ env: {} });
  m.add("key", SecretValue.copyOf(secret));

  test("a report field (a history line writing the JWK's members, a path named after one): masked whole", () => {
    const jwk = JSON.parse(jwkOf(secret).privateJwk) as Record<string, string>;
    const history = `/bin/sh -c printf '{"kty":"RSA","d":"%s","p":"%s","q":"%s"}' ${jwk["d"]} ${jwk["p"]} ${jwk["q"]} > /app/key.jwk`;
    expect(numberRunsIn(secret, history)).toBeGreaterThan(10);
    expect(numberRunsIn(secret, m.maskString(history))).toBe(0);
    expect(numberRunsIn(secret, m.maskString(`keys/${jwk["dp"]}.bin`))).toBe(0);
  });

  test("the build log: PKCS#1 PEM, OpenSSH and JWK forms of a PKCS#8 secret, each line prefixed by BuildKit", () => {
    const printed = [lab.read("rsa-trad.pem").toString(), lab.resave("rsa-trad.pem", "rsa-openssh").toString(), jwkOf(secret).privateJwk];
    for (const text of printed) {
      expect(numberRunsIn(secret, text), "the test sees the numbers in the unmasked text").toBeGreaterThan(10);
      const log = text
        .split("\n")
        .map((l, i) => `#7 0.${100 + i} ${l}`)
        .join("\n");
      // maskBuffer: the build log stream's one-shot equivalent (pieces within a line are masked too)
      expect(numberRunsIn(secret, m.maskBuffer(Buffer.from(log)).toString().replace(/#7 0\.\d+ /g, ""))).toBe(0);
    }
  });
});
