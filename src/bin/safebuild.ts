#!/usr/bin/env node
import module from "node:module";

// Node 22.1+ can cache compiled code between runs; startup is most of a cached build's
// overhead. Node 20 has no such call, and then nothing changes. It must run before the
// CLI's modules load, hence this separate entry point.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
await import("../cli.js");
