import { isUtf8 } from "node:buffer";
import type { Form } from "./field.js";
import type { FormatName, PlanBuilder, StructuredPlan } from "./plan.js";
import { addSetting } from "./setting.js";

/** An element being read: its name (prefix dropped), its text and whether it holds elements. */
interface Open {
  readonly name: string;
  text: { start: number; end: number }[];
  children: number;
}

const NAME = /[A-Za-z_][\w.:-]{0,127}/y;
// Bounded, so a long line stays linear.
const ATTRIBUTE = /\s+([A-Za-z_][\w.:-]{0,127})\s*=\s*(?:"([^"<]{0,65536})"|'([^'<]{0,65536})')/y;
const TAG_END = /\s*(\/?)>/y;

const ENTITIES: Readonly<Record<string, string>> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** The text with its entities and character references replaced; undefined when the text is not UTF-8. */
function decodeText(raw: string): string | undefined {
  const bytes = Buffer.from(raw, "latin1");
  if (!isUtf8(bytes)) return undefined;
  return bytes.toString("utf8").replace(/&(?:#x([0-9a-f]{1,6})|#(\d{1,7})|(amp|lt|gt|quot|apos));/gi, (m, hex?: string, dec?: string, named?: string) => {
    const code = hex !== undefined ? parseInt(hex, 16) : dec !== undefined ? Number(dec) : undefined;
    if (code === undefined) return ENTITIES[named?.toLowerCase() ?? ""] ?? m;
    return code <= 0x10ffff ? String.fromCodePoint(code) : m;
  });
}

const localName = (name: string): string => name.slice(name.lastIndexOf(":") + 1);

/** Namespace declarations and schema locations: the document's shape, not its settings. */
const isStructureAttribute = (name: string): boolean => name === "xmlns" || name.startsWith("xmlns:") || name.startsWith("xsi:");

class XmlPlan {
  readonly structure = new Set<number>();
  root: string | undefined;
  readonly names = new Set<string>();

  constructor(
    readonly text: string,
    readonly plan: PlanBuilder,
  ) {}

  lines(start: number, end: number): number[] {
    const index = this.plan.index;
    const first = index.lineOf(start);
    const last = index.lineOf(Math.max(start, end - 1));
    return Array.from({ length: last - first + 1 }, (_, i) => first + i);
  }

  /** A setting: the value as written (a slice of the secret) and, when it differs, with its entities decoded. */
  setting(key: string, start: number, end: number): void {
    const raw = this.text.slice(start, end);
    const trimmed = raw.trim();
    if (trimmed.length === 0) return;
    const from = start + raw.indexOf(trimmed);
    const decoded = decodeText(trimmed);
    const also: Form[] = decoded !== undefined && decoded !== trimmed ? [{ text: decoded, encoding: "utf8" }] : [];
    addSetting(this.plan, key, trimmed, this.lines(from, from + trimmed.length), also);
  }

  /**
   * The attributes of a tag. `<add key="ClearTextPassword" value="…"/>` (NuGet, .NET appSettings)
   * is one setting named by `key`; a `key` that is no name (a feed URL under `<apikeys>`) is
   * named by its section. Any other attribute is a setting of its own name.
   */
  attributes(parent: string, found: readonly Attribute[]): void {
    const byName = new Map(found.map((a) => [localName(a.name).toLowerCase(), a]));
    const key = byName.get("key");
    const value = byName.get("value");
    for (const a of found) {
      if (isStructureAttribute(a.name)) {
        for (const n of this.lines(a.start, a.end)) this.structure.add(n);
        continue;
      }
      if (a === key && value !== undefined) continue;
      if (a === value && key !== undefined) {
        const named = this.text.slice(key.start, key.end);
        this.setting(/^[A-Za-z_][\w.-]{0,127}$/.test(named) ? named : parent.replace(/s$/i, ""), a.start, a.end);
        continue;
      }
      this.setting(localName(a.name), a.start, a.end);
    }
  }
}

interface Attribute {
  readonly name: string;
  /** Offsets of the quoted value. */
  readonly start: number;
  readonly end: number;
}

/** The attributes of a start tag from `pos`, and where they end. */
function attributesAt(text: string, pos: number): { found: Attribute[]; end: number } {
  const found: Attribute[] = [];
  for (;;) {
    ATTRIBUTE.lastIndex = pos;
    const m = ATTRIBUTE.exec(text);
    if (m === null) return { found, end: pos };
    const quoted = m[2] ?? m[3] ?? "";
    const end = ATTRIBUTE.lastIndex - 1;
    found.push({ name: m[1] ?? "", start: end - quoted.length, end });
    pos = ATTRIBUTE.lastIndex;
  }
}

/**
 * An XML document (Maven `settings.xml`, `NuGet.Config`, .NET `web.config`): the text of each
 * element that holds no element is a setting named by the element (`<password>`), each
 * attribute one named by itself, `<add key="…" value="…"/>` one named by `key`. A document that
 * is not well formed (tags that do not pair, a DTD with an internal subset, text outside the
 * root) is not recognised and keeps the line search.
 */
export function xml(text: string, plan: PlanBuilder): StructuredPlan | undefined {
  const doc = new XmlPlan(text, plan);
  const stack: Open[] = [];
  let roots = 0;
  let at = 0;
  while (at < text.length) {
    const lt = text.indexOf("<", at);
    const textEnd = lt === -1 ? text.length : lt;
    if (textEnd > at) {
      const top = stack[stack.length - 1];
      if (top !== undefined) top.text.push({ start: at, end: textEnd });
      else if (text.slice(at, textEnd).trim().length > 0) return undefined;
    }
    if (lt === -1) break;
    if (text.startsWith("<!--", lt) || text.startsWith("<?", lt)) {
      const close = text.startsWith("<!--", lt) ? "-->" : "?>";
      const end = text.indexOf(close, lt + 4);
      if (end === -1) return undefined;
      at = end + close.length;
      for (const n of doc.lines(lt, at)) doc.structure.add(n);
      continue;
    }
    if (text.startsWith("<![CDATA[", lt)) {
      const end = text.indexOf("]]>", lt);
      const top = stack[stack.length - 1];
      if (end === -1 || top === undefined) return undefined;
      top.text.push({ start: lt + 9, end });
      at = end + 3;
      continue;
    }
    if (text.startsWith("<!", lt)) {
      const end = text.indexOf(">", lt);
      // an internal subset can declare entities: not this simple reader's business
      if (end === -1 || stack.length > 0 || text.slice(lt, end).includes("[")) return undefined;
      at = end + 1;
      for (const n of doc.lines(lt, at)) doc.structure.add(n);
      continue;
    }
    const closing = text[lt + 1] === "/";
    NAME.lastIndex = lt + (closing ? 2 : 1);
    const name = NAME.exec(text)?.[0];
    if (name === undefined) return undefined;
    if (closing) {
      TAG_END.lastIndex = NAME.lastIndex;
      const end = TAG_END.exec(text);
      const open = stack.pop();
      if (end === null || end[1] === "/" || open === undefined || open.name !== name) return undefined;
      at = TAG_END.lastIndex;
      // each text run is a value: one for a leaf, one per CDATA section, those between child elements
      for (const t of open.text) doc.setting(localName(name), t.start, t.end);
      continue;
    }
    const attributes = attributesAt(text, NAME.lastIndex);
    TAG_END.lastIndex = attributes.end;
    const end = TAG_END.exec(text);
    if (end === null) return undefined;
    at = TAG_END.lastIndex;
    const parent = stack[stack.length - 1];
    if (parent === undefined) {
      if (roots++ > 0) return undefined;
      doc.root = localName(name);
    } else parent.children++;
    doc.attributes(parent === undefined ? "" : localName(parent.name), attributes.found);
    doc.names.add(localName(name));
    if (end[1] !== "/") stack.push({ name, text: [], children: 0 });
  }
  if (stack.length > 0 || roots === 0) return undefined;
  if (doc.structure.size > 0) plan.exclude("declaration, comments and namespaces", "structure", [...doc.structure].sort((a, b) => a - b));
  return plan.done(formatOf(doc));
}

function formatOf(doc: XmlPlan): FormatName {
  if (doc.root === "settings" && (doc.names.has("servers") || doc.names.has("mirrors") || doc.names.has("profiles"))) return "maven-settings";
  if (doc.root === "configuration" && [...doc.names].some((n) => /^(?:packageSources|packageSourceCredentials|apikeys)$/.test(n))) return "nuget-config";
  return "xml";
}
