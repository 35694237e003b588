import { isUtf8 } from "node:buffer";

/**
 * Escapes that writers of config files and scripts put in a value: XML/HTML entities, doubled
 * quotes, shell quoting, Java .properties. Each form only exists when the value holds a
 * character it changes; a value without one gets none (it would be the value itself).
 * Byte-wise over latin1, so binary values keep their bytes; the escapes are all ASCII.
 */

const LINE_BREAK = /[\r\n]/;

const replaceEach = (text: string, map: Readonly<Record<string, string>>): string => text.replace(/[\s\S]/g, (c) => map[c] ?? c);

/** Element text (`& < >`), attributes with `&quot;`, all five named, and the numeric flavours. */
const XML_TABLES: readonly Readonly<Record<string, string>>[] = [
  { "&": "&amp;", "<": "&lt;", ">": "&gt;" },
  { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" },
  { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" },
  // Go html.EscapeString and encoding/xml
  { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;" },
  // Ruby CGI.escapeHTML, ERB, Jinja
  { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" },
  // Python html.escape
  { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;" },
  // Go html/template (HTML text): a base64 value's `+` too
  { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;", "+": "&#43;" },
];

function xmlForms(value: Buffer): Buffer[] {
  const text = value.toString("latin1");
  if (!/[&<>"'+]/.test(text)) return [];
  return distinct(text, XML_TABLES.map((table) => replaceEach(text, table)));
}

/**
 * YAML single-quoted and SQL strings double `'`; CSV and SQL identifiers double `"`; docker
 * compose files and Makefiles double `$`; Python's configparser, supervisord and printf formats
 * double `%`.
 */
function quotedForms(value: Buffer): Buffer[] {
  const text = value.toString("latin1");
  // Go html/template in a script (`\u002b`, `\/`; PHP's `\/` alone is a json form)
  const script = text.replace(/[+/]/g, (c) => (c === "+" ? "\\u002b" : "\\/"));
  return distinct(text, [text.replace(/'/g, "''"), text.replace(/"/g, '""'), text.replace(/\$/g, "$$$$"), text.replace(/%/g, "%%"), script]);
}

/** bash's printf %q (sh_backslash_quote): these always, `#` first, `~` first or after `=` `:`. */
const PRINTF_Q = new Set(" \t\n'\"\\|&;()<>!{}*[?]^$`");

function printfQ(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const first = i === 0;
    const afterAssign = !first && (text[i - 1] === "=" || text[i - 1] === ":");
    if (PRINTF_Q.has(c) || (c === "#" && first) || (c === "~" && (first || afterAssign))) out += "\\";
    out += c;
  }
  return out;
}

/**
 * Inside `'…'` (`'\''` and `'"'"'` for a quote), inside `"…"` (`\$ \" \\ \``), printf %q, and a
 * single-quoted string literal that escapes only `\` and `'` (PHP's `var_export`: Laravel's
 * `config:cache`, Symfony's `dump-env`; Python's `repr` of a value with both quotes; Ruby and Perl).
 */
function shellForms(value: Buffer): Buffer[] {
  const text = value.toString("latin1");
  const forms = [text.replace(/'/g, "'\\''"), text.replace(/'/g, `'"'"'`), text.replace(/[$"\\`]/g, "\\$&"), text.replace(/[\\']/g, "\\$&")];
  // printf %q writes a line break as $'\n' (not searched)
  if (!LINE_BREAK.test(text)) forms.push(printfQ(text));
  return distinct(text, forms);
}

const PROPERTIES: Readonly<Record<string, string>> = { "\\": "\\\\", "=": "\\=", ":": "\\:", "#": "\\#", "!": "\\!", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\f": "\\f" };

/**
 * Java Properties.store: `\ = : # !` and a leading space escaped, `\t \n \r \f`; through an
 * OutputStream every other character outside ` `..`~` as `\uXXXX` (upper-case hex), through a
 * Writer as itself.
 */
function propertiesForms(value: Buffer): Buffer[] {
  if (!isUtf8(value)) return [];
  const text = value.toString("utf8");
  // one property holds one line; a multi-line file escaped into one is no case
  if (LINE_BREAK.test(text)) return [];
  const escaped = replaceEach(text, PROPERTIES).replace(/^ /, "\\ ");
  const u = (c: string): string => "\\u" + c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0");
  // per UTF-16 unit, as Java's chars: a character above U+FFFF is two escapes
  const stream = escaped.replace(/[^\x20-\x7e]/g, u);
  return [...new Set([escaped, stream])].filter((s) => s !== text).map((s) => Buffer.from(s, "utf8"));
}

function distinct(text: string, forms: readonly string[]): Buffer[] {
  return [...new Set(forms)].filter((s) => s !== text).map((s) => Buffer.from(s, "latin1"));
}

export const ESCAPES = { xml: xmlForms, quoted: quotedForms, shell: shellForms, properties: propertiesForms } as const;
