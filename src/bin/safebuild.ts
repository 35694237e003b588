#!/usr/bin/env node
// The bin: a CommonJS launcher (bundled to dist/bin/safebuild.cjs), because what it sets up must
// come before any ES module loads. Loading one starts libuv's pool, and Node 22.1+'s compile
// cache only covers modules loaded after it is enabled (Node 20 has neither call to make).
import { stat } from "node:fs";
import module from "node:module";
import { sizeThreadPool } from "../process/thread-pool.js";

sizeThreadPool(process.env, () => stat(process.execPath, () => undefined));
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
// a name esbuild leaves alone: the CLI is its own ES module bundle (dist/bin/main.js)
const main = "./main.js";
void import(main);
