/**
 * A path pattern as users write them in ignore lists: `*` is any run of characters but `/`,
 * `**` any run including `/` (`a/**` matches `a/b/c`, `**\/x` matches `x` and `a/x`), `?` one
 * character but `/`. Anything else is literal. Whole-path match.
 */
export function globToRegExp(glob: string): RegExp {
  let source = "";
  for (let i = 0; i < glob.length; i += 1) {
    const c = glob[i] ?? "";
    if (c === "*" && glob[i + 1] === "*") {
      const slashAfter = glob[i + 2] === "/";
      source += slashAfter ? "(?:.*/)?" : ".*";
      i += slashAfter ? 2 : 1;
    } else if (c === "*") source += "[^/]*";
    else if (c === "?") source += "[^/]";
    else source += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`, "s");
}

export function matchesGlob(value: string, glob: string): boolean {
  return globToRegExp(glob).test(value);
}
