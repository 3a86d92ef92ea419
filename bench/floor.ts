/**
 * The raw floor: what the SSH round trips alone cost. One ssh2 connection per host, T sequential
 * execs per host, all hosts in parallel, TCP_NODELAY on. No templating, no modules, no output.
 *
 * Usage: node floor.mjs SPEC.json   (SPEC: FloorSpec). Prints a FloorReport as JSON on stdout and
 * exits 0 when every exec exited 0, 1 otherwise, 2 on a usage or connection error.
 */
import { readFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { Client } from 'ssh2';

export interface FloorHost {
  readonly name: string;
  readonly address: string;
  readonly port: number;
}

export interface FloorSpec {
  readonly hosts: readonly FloorHost[];
  readonly user: string;
  readonly privateKeyFile: string;
  /** The command each exec runs; `{host}` is replaced by the host name. */
  readonly command: string;
  readonly tasks: number;
}

export interface FloorReport {
  readonly wallMs: number;
  readonly execs: number;
  readonly failures: number;
}

function connectHost(host: FloorHost, user: string, privateKey: Buffer): Promise<Client> {
  return new Promise((resolve, reject) => {
    const sock = netConnect({ host: host.address, port: host.port });
    sock.once('error', reject);
    sock.once('connect', () => {
      sock.setNoDelay(true);
      sock.removeAllListeners('error');
      const c = new Client();
      c.once('ready', () => resolve(c));
      c.once('error', reject);
      c.connect({ sock, username: user, privateKey, readyTimeout: 20_000 });
    });
  });
}

function execOnce(c: Client, command: string): Promise<number> {
  return new Promise((resolve, reject) => {
    c.exec(command, (err, stream) => {
      if (err) return reject(err);
      let code = -1;
      stream.on('data', () => undefined);
      stream.stderr.on('data', () => undefined);
      stream.once('exit', (rc: number | null) => { code = rc ?? -1; });
      stream.once('close', () => resolve(code));
    });
  });
}

async function hostRun(host: FloorHost, spec: FloorSpec, key: Buffer): Promise<number> {
  const c = await connectHost(host, spec.user, key);
  let failures = 0;
  try {
    const cmd = spec.command.replaceAll('{host}', host.name);
    for (let i = 0; i < spec.tasks; i++) if ((await execOnce(c, cmd)) !== 0) failures++;
  } finally {
    c.end();
  }
  return failures;
}

export async function runFloor(spec: FloorSpec): Promise<FloorReport> {
  const key = readFileSync(spec.privateKeyFile);
  const t0 = performance.now();
  const failures = await Promise.all(spec.hosts.map((h) => hostRun(h, spec, key)));
  return { wallMs: performance.now() - t0, execs: spec.hosts.length * spec.tasks, failures: failures.reduce((a, b) => a + b, 0) };
}

async function main(argv: readonly string[]): Promise<number> {
  const file = argv[2];
  if (!file) {
    process.stderr.write('usage: floor SPEC.json\n');
    return 2;
  }
  try {
    const report = await runFloor(JSON.parse(readFileSync(file, 'utf8')) as FloorSpec);
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return report.failures === 0 ? 0 : 1;
  } catch (e) {
    process.stderr.write(`floor: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
}

const self = process.argv[1] ?? '';
if (/floor\.(m?js|ts)$/.test(self)) process.exitCode = await main(process.argv);
