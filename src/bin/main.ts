// The CLI's ES module entry, loaded by the launcher (safebuild.ts) once the process is set up.
import { prestartReaderThread } from "../docker/reader-thread.js";
import { capYoungGeneration } from "../process/young-generation.js";
import { scansEngineImage } from "./scan-target.js";
import { prestartLayerThread } from "../scan/layer/digest-thread.js";

// before any thread starts: each one's starter sets the cap again once its thread runs
capYoungGeneration(process.env, process.execArgv);
// A scan of an engine image reads the export on a thread of its own, slower to start than the
// CLI to load: started first, it is ready when the export is asked for (docs/performance.md).
if (scansEngineImage(process.argv.slice(2), process.env, process.cwd())) prestartReaderThread();
// The layer thread hashes layers and runs the pattern rules beside the walk: ready for the first layer.
if (process.argv[2] === "scan") prestartLayerThread();
await import("../cli.js");
