// Ctrl-C (or SIGTERM) during `npm run bench`: stop every child the bench
// started and remove every namespace it made, then exit 128 + signo. Without
// this, generators and forwarders (detached into their own process groups,
// so a terminal's Ctrl-C does not reach them) ran on until their `timeout`.
// Cleanups run newest first: processes before the namespaces they run in.

type Cleanup = () => void;
const cleanups = new Set<Cleanup>();
let installed = false;

function abort(sig: NodeJS.Signals): void {
  const list = [...cleanups].reverse();
  cleanups.clear();
  for (const c of list) {
    try { c(); } catch (e) { process.stderr.write(`bench: cleanup failed: ${(e as Error).message}\n`); }
  }
  process.stderr.write(`bench: interrupted by ${sig}: stopped its processes and removed its namespaces\n`);
  process.exit(sig === 'SIGTERM' ? 143 : 130);
}

/** Runs `fn` if the bench is interrupted; returns the function that unregisters it. */
export function onAbort(fn: Cleanup): () => void {
  if (!installed) {
    installed = true;
    process.on('SIGINT', abort);
    process.on('SIGTERM', abort);
  }
  cleanups.add(fn);
  return () => { cleanups.delete(fn); };
}
