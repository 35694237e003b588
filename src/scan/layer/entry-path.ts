/** `./a/b/`, `/a/b` and `a/b` are the same path: `a/b`; the root is "". */
export function normalizeEntryPath(name: string): string {
  let n = name;
  for (;;) {
    if (n.startsWith("/")) n = n.slice(1);
    else if (n.startsWith("./")) n = n.slice(2);
    else break;
  }
  while (n.endsWith("/")) n = n.slice(0, -1);
  return n === "." ? "" : n;
}
