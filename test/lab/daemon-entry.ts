/** Runs the lab daemon from source (under vite-node) for the control tests: `daemon-entry.ts --lab-dir DIR`. */
import { runLabDaemon } from '../../src/lab/daemon.js';

const i = process.argv.indexOf('--lab-dir');
const dir = i >= 0 ? process.argv[i + 1] : undefined;
if (!dir) {
  process.stderr.write('usage: daemon-entry.ts --lab-dir DIR\n');
  process.exit(2);
}
runLabDaemon(dir).then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`lab daemon failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
