import { isUtf8 } from "node:buffer";
import { gitCredentials } from "./git-credentials.js";
import { keyValue } from "./key-value.js";
import { netrc } from "./netrc.js";
import { openvpn } from "./openvpn.js";
import { pemBundle } from "./pem.js";
import { pgpass } from "./pgpass.js";
import { PlanBuilder, type StructuredPlan } from "./plan.js";
import { json, yaml } from "./tree.js";
import { xml } from "./xml.js";
import { yarnrc } from "./yarnrc.js";

/**
 * Recognises a structured secret by its content (the bytes are all there is; a file name would
 * be a guess) and returns what the scan searches of it, or undefined: then every line is searched.
 * The first significant bytes pick the format to try; key=value files are told apart by their keys.
 */
export function analyzeStructured(value: Buffer): StructuredPlan | undefined {
  const text = value.toString("latin1");
  const start = text.trimStart();
  const utf8 = (): string | undefined => (isUtf8(value) ? value.toString("utf8") : undefined);
  const plan = (): PlanBuilder => new PlanBuilder(value);
  if (start.startsWith("{") || start.startsWith("[")) {
    const doc = utf8();
    const parsed = doc === undefined ? undefined : json(doc, plan());
    if (parsed !== undefined) return parsed;
  }
  // openssl's own files: PEM blocks, `pkcs12 -nodes`'s bag attributes, `x509|req -text`, `rsa|ec|pkey -text`
  // (after `#` comments: a key and its chain with a note above each)
  if (/^(?:#[^\n]*\n\s*)*(?:-----BEGIN |Bag Attributes|Certificate(?: Request)?:|(?:RSA |EC )?Private-Key: \()/.test(start)) return pemBundle(text, plan());
  if (/^[a-z][a-z0-9+.-]{0,31}:\/\//i.test(start)) return gitCredentials(plan());
  if (/^(?:machine|default)\s/.test(start)) return netrc(text, plan());
  // host:port:db:user:password, the shape of no other format here
  if (/^[^\s:#][^\n:]*:(?:\d{1,5}|\*):/.test(start.replace(/^(?:#[^\n]*\n\s*)+/, ""))) {
    const parsed = pgpass(plan());
    if (parsed !== undefined) return parsed;
  }
  if (start.startsWith("<")) {
    const parsed = xml(text, plan());
    if (parsed !== undefined) return parsed;
  }
  const kv = keyValue(plan());
  if (kv !== undefined) return kv;
  const yarn = yarnrc(plan());
  if (yarn !== undefined) return yarn;
  const vpn = openvpn(text, plan());
  if (vpn !== undefined) return vpn;
  const doc = utf8();
  return doc === undefined ? undefined : yaml(doc, plan());
}
