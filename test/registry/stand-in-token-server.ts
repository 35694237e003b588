import { execFileSync } from "node:child_process";
import { randomBytes, sign, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";

/**
 * A STAND-IN for a registry's token service (docker/distribution's `auth: token` trusts it
 * through `rootcertbundle`): it checks a Basic user:password (GET) or a refresh token (POST),
 * and signs an RS256 JWT granting the scope asked. Not a real token service: just enough of
 * one for the real registry to accept its tokens. It records every credential it receives.
 */
export interface TokenServer {
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  /** the certificate the registry's `rootcertbundle` names */
  readonly certFile: string;
  /** the Authorization header (or refresh token) of every token request */
  readonly received: string[];
  close(): Promise<void>;
}

const b64url = (data: Buffer | string): string => Buffer.from(data).toString("base64url");

export async function startTokenServer(dir: string, accounts: { user: string; password: string; refreshToken: string }): Promise<TokenServer> {
  const keyFile = path.join(dir, "token.key");
  const certFile = path.join(dir, "token.crt");
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=sbtest token issuer", "-keyout", keyFile, "-out", certFile], { stdio: "pipe" });
  const key = readFileSync(keyFile);
  const der = new X509Certificate(readFileSync(certFile)).raw;
  const service = "sbtest-registry";
  const issuer = "sbtest-issuer";
  const received: string[] = [];

  const token = (scope: string): string => {
    const now = Math.floor(Date.now() / 1000);
    const access = scope
      .split(" ")
      .filter((s) => s !== "")
      .map((s) => {
        const [type, name, actions] = s.split(":");
        return { type, name, actions: (actions ?? "").split(",") };
      });
    const header = b64url(JSON.stringify({ alg: "RS256", typ: "JWT", x5c: [der.toString("base64")] }));
    const claims = b64url(JSON.stringify({ iss: issuer, sub: accounts.user, aud: service, exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString("hex"), access }));
    return `${header}.${claims}.${b64url(sign("sha256", Buffer.from(`${header}.${claims}`), key))}`;
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://x");
      let allowed = false;
      let scope = url.searchParams.get("scope") ?? "";
      if (req.method === "POST") {
        const form = new URLSearchParams(Buffer.concat(chunks).toString());
        received.push(`refresh_token=${form.get("refresh_token") ?? ""}`);
        scope = form.get("scope") ?? "";
        allowed = form.get("grant_type") === "refresh_token" && form.get("refresh_token") === accounts.refreshToken;
      } else {
        received.push(req.headers.authorization ?? "");
        allowed = req.headers.authorization === `Basic ${Buffer.from(`${accounts.user}:${accounts.password}`).toString("base64")}`;
      }
      if (!allowed) return void res.writeHead(401).end('{"details":"bad credentials"}');
      const issued = token(scope);
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(req.method === "POST" ? { access_token: issued } : { token: issued }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    certFile,
    received,
    close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}
