// The CLI's ES module entry, loaded by the launcher (safebuild.ts) once the process is set up.
import { prestartReaderThread } from "../docker/reader-thread.js";
import { scansEngineImage } from "./scan-target.js";

// A scan of an engine image reads the export on a thread of its own, slower to start than the
// CLI to load: started first, it is ready when the export is asked for (docs/performance.md).
if (scansEngineImage(process.argv.slice(2), process.env, process.cwd())) prestartReaderThread();
await import("../cli.js");
