// The CLI's ES module entry, loaded by the launcher (safebuild.ts) once the process is set up.
await import("../cli.js");
