import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { dockerArchive, tarOf, type TarEntry } from "../helpers/archives.js";
import { runCli } from "../helpers/cli.js";

// Keys that unlock something else, each in the file its tool writes: a Rails app's master key
// (beside the credentials it decrypts), a WireGuard tunnel's private key, an OpenVPN static key.
const work = mkdtempSync(join(tmpdir(), "sbtest-key-files-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const file = (name: string, data: string): TarEntry => ({ name, data: Buffer.from(data) });

describe("key files through the CLI", () => {
  test("each found at its own file as its rule, none printed; the same shapes elsewhere are quiet", async () => {
    const master = randomBytes(16).toString("hex");
    const wireguard = randomBytes(32).toString("base64");
    const staticKey = randomBytes(256).toString("hex");
    const ovpn = `-----BEGIN OpenVPN Static key V1-----\n${staticKey.replace(/.{32}/g, "$&\n")}-----END OpenVPN Static key V1-----\n`;
    const layer = await tarOf([
      file("rails/config/master.key", master),
      file("rails/config/credentials.yml.enc", `${randomBytes(90).toString("base64")}--${randomBytes(12).toString("base64")}`),
      file("etc/wireguard/wg0.conf", `[Interface]\nAddress = 10.8.0.2/24\nPrivateKey = ${wireguard}\n\n[Peer]\nPublicKey = ${randomBytes(32).toString("base64")}\nAllowedIPs = 0.0.0.0/0\n`),
      file("etc/openvpn/client.ovpn", `client\ndev tun\nremote vpn.acme.io 1194\n<tls-crypt>\n${ovpn}</tls-crypt>\n`),
      // quiet: a TLS key's name with a hash in it, a peer's public key in another config, a doc stub
      file("app/certs/cache.key", randomBytes(16).toString("hex")),
      file("etc/nginx/conf.d/app.conf", `# PublicKey = ${randomBytes(32).toString("base64")}\n`),
      file("usr/share/doc/openvpn/static-key.txt", "-----BEGIN OpenVPN Static key V1-----\n...\n-----END OpenVPN Static key V1-----\n"),
    ]);
    const image = join(work, "keys.tar");
    writeFileSync(image, await dockerArchive([layer]));
    const cli = await runCli(["scan", `docker-archive:${image}`, "--format", "json"], { cwd: work, secrets: [master, wireguard, staticKey] });
    expect(cli.code, cli.stderr.toString()).toBe(1);
    const findings = (JSON.parse(cli.stdout.toString()) as { findings: { rule: string | null; path: string }[] }).findings;
    expect(findings.map((f) => `${f.rule} ${f.path}`).sort()).toEqual([
      "openvpn-static-key etc/openvpn/client.ovpn",
      "rails-master-key rails/config/master.key",
      "wireguard-private-key etc/wireguard/wg0.conf",
    ]);
    for (const value of [master, wireguard, staticKey.slice(0, 32)]) expect(cli.output).not.toContain(value);
  });
});
