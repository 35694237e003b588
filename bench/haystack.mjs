import { randomBytes } from "node:crypto";

// What the matcher benches search: lines of words, hex digests with paths, base64, npm lock entries.
const WORDS = "the of and to in is for on that with as was by layer file build image node module const return function import export default error warning info debug http https www com org usr lib bin share local etc var".split(" ");
export function text(bytes) {
  const parts = [];
  let total = 0;
  while (total < bytes) {
    const kind = Math.random();
    let s;
    if (kind < 0.6) s = Array.from({ length: 12 }, () => WORDS[(Math.random() * WORDS.length) | 0]).join(" ") + "\n";
    else if (kind < 0.75) s = `${randomBytes(32).toString("hex")}  ./usr/lib/file${total}.so\n`;
    else if (kind < 0.85) s = randomBytes(57).toString("base64") + "\n";
    else s = `{"name":"pkg-${total}","version":"1.${kind * 100 | 0}.0","integrity":"sha512-${randomBytes(64).toString("base64")}"}\n`;
    parts.push(s);
    total += s.length;
  }
  return Buffer.from(parts.join("")).subarray(0, bytes);
}
