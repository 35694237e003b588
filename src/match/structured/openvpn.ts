import { hasTokenPrefix, looksGenerated, printableKey } from "./field.js";
import { addPrivateBlock, CERTIFICATE_REASON, pemBlocks } from "./pem.js";
import type { PlanBuilder, StructuredPlan } from "./plan.js";

/** Inline files anyone may see: the CA, the client's certificate, DH parameters, a CRL, fingerprints. */
const PUBLIC_BLOCKS = new Set(["ca", "cert", "extra-certs", "dh", "crl-verify", "peer-fingerprint"]);
/** Inline files of user name and password, one per line. */
const USER_PASS_BLOCKS = new Set(["auth-user-pass", "http-proxy-user-pass"]);
/** Directives only an OpenVPN config has; two of them (one of `client`, `remote`, `dev`) tell it from a list of words. */
const DIRECTIVES = new Set([
  "client",
  "dev",
  "proto",
  "remote",
  "resolv-retry",
  "nobind",
  "persist-key",
  "persist-tun",
  "remote-cert-tls",
  "cipher",
  "data-ciphers",
  "auth",
  "verb",
  "key-direction",
  "tls-client",
  "tls-server",
  "server",
  "port",
  "ifconfig",
  "comp-lzo",
  "redirect-gateway",
  "auth-user-pass",
  "pull",
  "route",
  "dhcp-option",
  "topology",
  "keepalive",
  "explicit-exit-notify",
  "mute-replay-warnings",
  "auth-nocache",
  "tls-version-min",
  "verify-x509-name",
]);
const ANCHORS = ["client", "remote", "dev"];

const DIRECTIVE = /^[a-z][a-z0-9-]{0,63}(?:[ \t]+\S.{0,4095})?$/;
const OPEN = /^<([a-z][a-z0-9-]{0,63})>$/;
const COMMENT = /^[#;]/;
const ARMOUR = /^-----(?:BEGIN|END) [^\r\n]{1,64}?-----$/;

interface Block {
  readonly name: string;
  /** Lines of the content, between the open and close tags (1-based). */
  readonly lines: readonly number[];
  readonly tags: readonly number[];
}

/** The content of a secret inline file that is no PEM block (a static key, tls-crypt-v2 key, PKCS#12 in base64): each body line, the body joined and its bytes. */
function addArmoured(plan: PlanBuilder, label: string, lines: readonly number[]): void {
  const index = plan.index;
  const body = lines.filter((n) => {
    const text = index.text(n).trim();
    return text.length > 0 && !COMMENT.test(text) && !ARMOUR.test(text);
  });
  const joined = body.map((n) => index.text(n).trim()).join("");
  plan.credential(label, body.length > 1 ? [{ text: joined, encoding: "latin1" }] : [], body);
  if (/^(?:[0-9a-f]{2})+$/i.test(joined)) plan.derived({ encoding: "pem", bytes: Buffer.from(joined, "hex") });
  else if (/^[A-Za-z0-9+/]+=*$/.test(joined)) plan.derived({ encoding: "pem", bytes: Buffer.from(joined, "base64") });
  const structure = lines.filter((n) => !body.includes(n) && index.text(n).trim().length > 0);
  if (structure.length > 0) plan.exclude(`${label} armour and comments`, "structure", structure);
}

function addSecretBlock(plan: PlanBuilder, block: Block, text: string): void {
  const index = plan.index;
  const label = printableKey(block.name);
  if (USER_PASS_BLOCKS.has(block.name)) {
    const [user, pass] = block.lines.filter((n) => index.text(n).trim().length > 0);
    const userText = user === undefined ? "" : index.text(user).trim();
    if (user !== undefined && (looksGenerated(userText) || pass === undefined)) plan.credential(`${label} user`, [{ text: userText, encoding: "latin1" }], [user]);
    else if (user !== undefined) plan.exclude(`${label} user`, "user name, an identifier", [user]);
    if (pass !== undefined) plan.credential(`${label} password`, [{ text: index.text(pass).trim(), encoding: "latin1" }], [pass]);
    return;
  }
  if (block.name === "askpass") {
    // the private key's passphrase, one line
    for (const n of block.lines.filter((l) => index.text(l).trim().length > 0)) plan.credential(label, [{ text: index.text(n).trim(), encoding: "latin1" }], [n]);
    return;
  }
  const first = block.lines[0];
  const last = block.lines[block.lines.length - 1];
  if (first === undefined || last === undefined) return;
  const start = index.lines[first - 1]?.start ?? 0;
  const end = index.lines[last - 1]?.end ?? 0;
  const pems = pemBlocks(text.slice(start, end));
  if (pems.length === 0) return addArmoured(plan, label, block.lines);
  for (const pem of pems) {
    const from = index.lineOf(start + pem.start);
    const to = index.lineOf(start + pem.end - 1);
    const range = Array.from({ length: to - from + 1 }, (_, i) => from + i);
    if (pem.isPublic) {
      plan.exclude(`${label} ${pem.type}`, CERTIFICATE_REASON, range);
      continue;
    }
    // As a PEM secret: the body lines are the key, the armour is the same in every key file.
    plan.credential(`${label} ${pem.type} block`, [], range.slice(1, -1).filter((n) => !index.text(n).includes(":")));
    addPrivateBlock(plan, pem, range);
  }
}

/**
 * An OpenVPN config (`.ovpn`): directives one per line, inline files `<ca>…</ca>`. The private
 * key, static keys (`<tls-auth>`, `<tls-crypt>`, `<tls-crypt-v2>`, `<secret>`), `<pkcs12>` and
 * `<auth-user-pass>` are credentials; directives, `<ca>` and `<cert>` are public (the project's
 * sample client.conf holds the same lines). A directive with a token-like argument is searched.
 */
export function openvpn(text: string, plan: PlanBuilder): StructuredPlan | undefined {
  const index = plan.index;
  const directives: number[] = [];
  const names = new Set<string>();
  const blocks: Block[] = [];
  const comments: number[] = [];
  for (let n = 1; n <= index.lines.length; n++) {
    const line = index.text(n).trim();
    if (line.length === 0) continue;
    if (COMMENT.test(line)) {
      comments.push(n);
      continue;
    }
    const open = OPEN.exec(line);
    if (open !== null) {
      const name = open[1] ?? "";
      const content: number[] = [];
      let close = n + 1;
      while (close <= index.lines.length && index.text(close).trim() !== `</${name}>`) content.push(close++);
      if (close > index.lines.length) return undefined;
      blocks.push({ name, lines: content, tags: [n, close] });
      names.add(name);
      n = close;
      continue;
    }
    if (!DIRECTIVE.test(line)) return undefined;
    directives.push(n);
    names.add(line.split(/[ \t]/)[0] ?? "");
  }
  const known = [...names].filter((d) => DIRECTIVES.has(d));
  if (known.length < 2 || !ANCHORS.some((a) => names.has(a))) return undefined;
  const publicDirectives: number[] = [];
  for (const n of directives) {
    const [name = "", ...args] = index.text(n).trim().split(/[ \t]+/);
    const token = args.find((a) => hasTokenPrefix(a) || looksGenerated(a));
    if (token === undefined) publicDirectives.push(n);
    else plan.credential(printableKey(name), [{ text: token, encoding: "latin1" }], [n]);
  }
  for (const block of blocks) {
    if (PUBLIC_BLOCKS.has(block.name) || block.name === "connection") {
      plan.exclude(printableKey(block.name), block.name === "connection" ? "setting" : CERTIFICATE_REASON, [...block.tags, ...block.lines]);
      continue;
    }
    addSecretBlock(plan, block, text);
  }
  const tags = blocks.filter((b) => !PUBLIC_BLOCKS.has(b.name) && b.name !== "connection").flatMap((b) => b.tags);
  if (publicDirectives.length > 0) plan.exclude("directives", "setting", publicDirectives);
  if (comments.length + tags.length > 0) plan.exclude("comments and tags", "structure", [...comments, ...tags].sort((a, b) => a - b));
  return plan.done("openvpn");
}
