/**
 * The lab's background process: `node dist/lab/daemon.js --lab-dir DIR`. Reads DIR/lab.json, serves
 * every host, writes DIR/state.json once all listen, and stops on SIGTERM/SIGINT.
 * Its stdout/stderr go to DIR/lab.log (set up by `lab up`).
 */
import { realpathSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { labPaths } from './files.js';
import { publicLineOf } from './keys.js';
import { startLabServers } from './server.js';
import { isLabSpec, isLabState, readJsonFile, writeJsonAtomic, type LabState } from './state.js';

function log(line: string): void {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`);
}

/** Runs the lab for `labDir` until a stop signal. Resolves when stopped. */
export async function runLabDaemon(labDir: string): Promise<void> {
  const paths = labPaths(labDir);
  const spec = await readJsonFile(paths.specFile, isLabSpec);
  if (!spec) throw new Error(`${paths.specFile}: missing or not a lab spec`);
  const hosts = await Promise.all(
    spec.hosts.map(async (h) => {
      const hostKey = await readFile(h.hostKeyFile, 'utf8');
      return { name: h.name, stateDir: h.stateDir, hostKey, hostKeyPub: publicLineOf(hostKey) };
    }),
  );
  const lab = await startLabServers({
    address: spec.address,
    labDir: spec.labDir,
    binDir: spec.binDir,
    user: spec.user,
    clientPublicKey: spec.clientPublicKey,
    hosts,
    log,
  });
  const state: LabState = {
    version: 1,
    pid: process.pid,
    labDir: spec.labDir,
    address: spec.address,
    user: spec.user,
    startedAt: new Date().toISOString(),
    hosts: lab.hosts.map((l, i) => ({ name: l.name, address: l.address, port: l.port, hostKey: hosts[i]!.hostKeyPub, stateDir: hosts[i]!.stateDir })),
    topology: spec.topology,
  };
  await writeJsonAtomic(paths.stateFile, state);
  log(`lab ready: ${state.hosts.length} hosts, pid ${process.pid}`);

  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      log(`stopping on ${signal}`);
      void lab.close().then(resolve, resolve);
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    process.on('SIGHUP', () => log('ignoring SIGHUP'));
  });
  // state.json is ours to remove only if it still describes this process.
  const current = await readJsonFile(paths.stateFile, isLabState);
  if (current?.pid === process.pid) await rm(paths.stateFile, { force: true });
  log('stopped');
}

function argValue(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

function isMainModule(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

const invokedDirectly = isMainModule();
if (invokedDirectly) {
  const dir = argValue(process.argv, '--lab-dir');
  if (!dir) {
    process.stderr.write('usage: daemon.js --lab-dir DIR\n');
    process.exit(2);
  }
  // One misbehaving session must not take every simulated host down with it.
  process.on('uncaughtException', (e) => log(`uncaught: ${e.stack ?? e.message}`));
  runLabDaemon(dir).then(
    () => process.exit(0),
    (e: unknown) => {
      log(`error: ${e instanceof Error ? e.message : String(e)}`);
      process.exit(1);
    },
  );
}
