import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";

/**
 * A stand-in for HashiCorp Vault's HTTP API, written from its documentation (no Vault server
 * is installable here): KV v1 and v2 reads with versions, sys/internal/ui/mounts, AppRole login,
 * the namespace header, and `{"errors": [...]}` bodies. Knobs add 503s, hangs and refusals.
 */
export interface StandInOptions {
  readonly token: string;
  /** When set, every request must carry this X-Vault-Namespace, as if the mounts lived there. */
  readonly namespace?: string;
  /** Mount path (with trailing slash) → KV version. */
  readonly mounts: Readonly<Record<string, 1 | 2>>;
  /** KV v1: full path → fields. */
  readonly v1?: Readonly<Record<string, Record<string, unknown>>>;
  /** KV v2: logical path (`secret/app`) → versions, oldest first; `null` is a deleted version. */
  readonly v2?: Readonly<Record<string, readonly (Record<string, unknown> | null)[]>>;
  readonly approle?: { readonly roleId: string; readonly secretId: string; readonly token: string };
  /** sys/internal/ui/mounts answers 403, as for a token without that capability. */
  readonly forbidMounts?: boolean;
  /** The first N requests for an API path answer 503 (`{"errors":["Vault is sealed"]}`). */
  readonly unavailable?: Readonly<Record<string, number>>;
  /** API paths that never answer. */
  readonly hang?: readonly string[];
  /** API path → a status and an errors body that (deliberately) echoes something sensitive. */
  readonly fail?: Readonly<Record<string, { status: number; errors: string[] }>>;
  readonly tls?: { readonly key: string; readonly cert: string };
  /** The address to listen on; 127.0.0.1 unless a test needs Vault on another interface. */
  readonly host?: string;
}

export interface Seen {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly token: string | undefined;
  readonly namespace: string | undefined;
}

export interface StandIn {
  readonly addr: string;
  readonly seen: Seen[];
  close(): Promise<void>;
}

export async function startVaultStandIn(options: StandInOptions): Promise<StandIn> {
  const seen: Seen[] = [];
  const unavailable = new Map(Object.entries(options.unavailable ?? {}));
  const hanging: ServerResponse[] = [];

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? "/", "http://vault");
    const path = decodeURIComponent(url.pathname.replace(/^\/v1\//, ""));
    const header = (name: string): string | undefined => {
      const v = req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    seen.push({ method: req.method ?? "", path, query: url.search, token: header("x-vault-token"), namespace: header("x-vault-namespace") });
    const reply = (status: number, body: unknown): void => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const denied = (): void => reply(403, { errors: ["permission denied"] });

    if (options.hang?.includes(path)) {
      hanging.push(res);
      return;
    }
    const left = unavailable.get(path) ?? 0;
    if (left > 0) {
      unavailable.set(path, left - 1);
      return reply(503, { errors: ["Vault is sealed"] });
    }
    const failure = options.fail?.[path];
    if (failure !== undefined) return reply(failure.status, { errors: failure.errors });
    if (options.namespace !== undefined && header("x-vault-namespace") !== options.namespace) return denied();

    if (req.method === "POST" && options.approle && path === "auth/approle/login") {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        const creds = JSON.parse(body) as { role_id?: string; secret_id?: string };
        if (creds.role_id !== options.approle?.roleId || creds.secret_id !== options.approle?.secretId) {
          return reply(400, { errors: ["invalid role or secret ID"] });
        }
        reply(200, { auth: { client_token: options.approle?.token, policies: ["default"], lease_duration: 3600, renewable: true } });
      });
      return;
    }
    const token = header("x-vault-token");
    if (token === undefined || (token !== options.token && token !== options.approle?.token)) return denied();
    if (req.method !== "GET") return reply(405, { errors: [] });

    if (path.startsWith("sys/internal/ui/mounts/")) {
      if (options.forbidMounts) return denied();
      const mount = mountOf(path.slice("sys/internal/ui/mounts/".length));
      // Vault answers 403, not 404, for a path under no mount, so mounts cannot be enumerated.
      if (mount === undefined) return denied();
      const version = options.mounts[mount];
      return reply(200, {
        data: { path: mount, type: "kv", description: "", options: version === 2 ? { version: "2" } : null },
      });
    }
    const mount = mountOf(path);
    if (mount === undefined) return reply(404, { errors: [] });
    if (options.mounts[mount] === 2) {
      const rest = path.slice(mount.length);
      if (!rest.startsWith("data/")) return reply(404, { errors: [] });
      const versions = options.v2?.[`${mount}${rest.slice("data/".length)}`];
      if (versions === undefined) return reply(404, { errors: [] });
      const wanted = url.searchParams.has("version") ? Number(url.searchParams.get("version")) : versions.length;
      const data = versions[wanted - 1];
      const metadata = { version: wanted, created_time: "2024-01-01T00:00:00Z", deletion_time: "", destroyed: false, custom_metadata: null };
      if (data === undefined) return reply(404, { errors: [] });
      if (data === null) return reply(404, { data: { data: null, metadata: { ...metadata, deletion_time: "2024-02-01T00:00:00Z" } } });
      return reply(200, { request_id: "x", lease_id: "", renewable: false, lease_duration: 0, data: { data, metadata } });
    }
    const fields = options.v1?.[path];
    if (fields === undefined) return reply(404, { errors: [] });
    reply(200, { request_id: "x", lease_id: "", renewable: false, lease_duration: 2764800, data: fields });
  };

  const mountOf = (path: string): string | undefined =>
    Object.keys(options.mounts)
      .filter((m) => `${path}/`.startsWith(m))
      .sort((a, b) => b.length - a.length)[0];

  const server: Server = options.tls === undefined ? createHttpServer(handler) : createHttpsServer(options.tls, handler);
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    addr: `${options.tls === undefined ? "http" : "https"}://${host}:${port}`,
    seen,
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
