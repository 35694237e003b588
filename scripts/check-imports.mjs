// `npm run lint` step: no import cycle in src/, between files or between folders (the folders
// are the pipeline's stages; data flows one way). Type-only imports count: they still couple.
// A regex over import specifiers is enough here: every import in src/ is a static string.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

const root = path.resolve(process.argv[2] ?? path.join(import.meta.dirname, "../src"));
const files = readdirSync(root, { recursive: true, withFileTypes: true })
  .filter((d) => d.isFile() && d.name.endsWith(".ts"))
  .map((d) => path.join(d.parentPath, d.name));

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["'](\.{1,2}\/[^"']+)["']/g;
const edges = new Map();
for (const file of files) {
  const targets = new Set();
  for (const match of readFileSync(file, "utf8").matchAll(IMPORT)) {
    targets.add(path.resolve(path.dirname(file), match[1]).replace(/\.js$/, ".ts"));
  }
  edges.set(file, targets);
}

/** Strongly connected components of more than one node (or a self-loop): the cycles. */
function cycles(graph) {
  let index = 0;
  const stack = [];
  const info = new Map();
  const found = [];
  const visit = (node) => {
    info.set(node, { index, low: index, on: true });
    index += 1;
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (!info.has(next)) {
        visit(next);
        info.get(node).low = Math.min(info.get(node).low, info.get(next).low);
      } else if (info.get(next).on) info.get(node).low = Math.min(info.get(node).low, info.get(next).index);
    }
    if (info.get(node).low === info.get(node).index) {
      const component = [];
      let member;
      do {
        member = stack.pop();
        info.get(member).on = false;
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || graph.get(node)?.has(node)) found.push(component);
    }
  };
  for (const node of graph.keys()) if (!info.has(node)) visit(node);
  return found;
}

// The folders under src/ are the stages; inside scan/, the sub-stages share one walk (a layer's
// tar can hold an archive that holds a tar), so scan/ counts as one folder here.
const folderOf = (file) => path.relative(root, path.dirname(file)).split(path.sep)[0] || ".";
const folders = new Map();
for (const [file, targets] of edges) {
  const from = folderOf(file);
  if (!folders.has(from)) folders.set(from, new Set());
  for (const target of targets) {
    const to = folderOf(target);
    if (to !== from && from !== ".") folders.get(from).add(to);
  }
}

const rel = (file) => path.relative(root, file);
const problems = [
  ...cycles(edges).map((c) => `file cycle: ${c.map(rel).sort().join(" ↔ ")}`),
  ...cycles(folders).map((c) => `folder cycle: ${c.sort().join(" ↔ ")}`),
];
if (problems.length > 0) {
  process.stderr.write(`${problems.join("\n")}\n`);
  process.exit(1);
}
process.stdout.write(`check-imports: ${files.length} files, ${folders.size} folders, no import cycle\n`);
