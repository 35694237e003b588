/**
 * A last-resort cleanup on process exit (an uncaught error, a stray process.exit): the
 * normal paths dispose in `finally`, this only catches what they could not. Handlers must
 * be synchronous; the listener is installed on first use, never at import.
 */
const cleanups = new Set<() => void>();
let installed = false;

function runAll(): void {
  for (const cleanup of [...cleanups]) {
    try {
      cleanup();
    } catch {
      // Exiting anyway; the next run's sweep removes what is left.
    }
  }
  cleanups.clear();
}

export function onExitCleanup(cleanup: () => void): () => void {
  if (!installed) {
    process.on("exit", runAll);
    installed = true;
  }
  cleanups.add(cleanup);
  return () => void cleanups.delete(cleanup);
}
