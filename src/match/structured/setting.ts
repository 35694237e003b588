import { classifyField, printableKey, searchableAlone, urlCredentials, urlSecretParts, type Form } from "./field.js";
import { addPrivateBlock, CERTIFICATE_REASON, pemBlocks } from "./pem.js";
import type { PlanBuilder } from "./plan.js";

/**
 * One named setting of a key=value or XML file (`value` a latin1 slice of the secret, as
 * written; `also` other forms of it, such as the value with its XML entities decoded) on
 * `lines`: a PEM block by its type, a password in a URL, else the key and value decide.
 * True when the value is a credential by key or looks (the caller may derive more from it).
 * `setting`: the format says the key is a public setting, with this reason (see classifyField).
 */
export function addSetting(plan: PlanBuilder, key: string, value: string, lines: readonly number[], also: readonly Form[] = [], setting?: string): boolean {
  const label = printableKey(key);
  const at: Form = { text: value, encoding: "latin1" };
  // Certificates and keys given inline (npm `ca=`/`key=`, a PEM in a .env or an XML element) by block type.
  const blocks = pemBlocks(value);
  if (blocks.length > 0) {
    const secret = blocks.filter((b) => !b.isPublic);
    if (secret.length === 0) {
      plan.exclude(label, CERTIFICATE_REASON, lines);
      return false;
    }
    plan.credential(label, [at], lines);
    for (const b of secret) addPrivateBlock(plan, b, lines);
    return false;
  }
  const inUrl = urlCredentials(value, "latin1");
  // The line with the URL is searched, and the password alone unless it is a stock one.
  if (inUrl !== undefined) {
    plan.credential(label, inUrl, lines);
    return false;
  }
  const kind = classifyField(key, value, setting);
  if (!kind.credential) {
    plan.exclude(label, kind.reason, lines);
    return false;
  }
  // A webhook URL: the whole URL and the token in its path or query.
  const inPath = urlSecretParts(value).map((text): Form => ({ text, encoding: "latin1" }));
  plan.credential(label, searchableAlone(value) ? [at, ...also, ...inPath] : [], lines);
  return true;
}
