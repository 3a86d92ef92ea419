/**
 * Runs one simulated kubeadm/kubectl command, in-process (tests) or from main.ts.
 */
import { readFileSync } from 'node:fs';
import { arch as osArch, networkInterfaces } from 'node:os';
import type { SimContext } from './context.js';
import { kubeadm } from './kubeadm.js';
import { kubectl } from './kubectl.js';

export interface RunOptions {
  readonly stateDir: string;
  readonly etcDir: string;
  readonly nodeName: string;
  readonly hostId: string;
  readonly address: string;
  readonly arch: string;
  readonly home?: string;
  readonly kubeconfigEnv?: string;
  readonly cwd: string;
  /** Defaults to process.stdout / process.stderr. */
  readonly out?: (text: string) => void;
  readonly err?: (text: string) => void;
  /** Defaults to reading process.stdin to its end. */
  readonly stdin?: string;
  /** Offset added to the real clock (tests of expiry). */
  readonly clockOffsetMs?: number;
}

export function defaultAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

export function defaultArch(): string {
  const a = osArch();
  return a === 'x64' ? 'amd64' : a === 'ia32' ? '386' : a;
}

function readProcessStdin(): Promise<string> {
  if (process.stdin.isTTY) return Promise.resolve(readFileSync(0, 'utf8'));
  return new Promise((resolve) => {
    let text = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (c: string) => (text += c));
    process.stdin.on('end', () => resolve(text));
    process.stdin.on('error', () => resolve(text));
  });
}

export async function runKubesim(tool: 'kubeadm' | 'kubectl', args: readonly string[], o: RunOptions): Promise<number> {
  const ctx: SimContext = {
    stateDir: o.stateDir,
    etcDir: o.etcDir,
    nodeName: o.nodeName,
    hostId: o.hostId,
    address: o.address,
    arch: o.arch,
    home: o.home,
    kubeconfigEnv: o.kubeconfigEnv,
    cwd: o.cwd,
    now: () => Date.now() + (o.clockOffsetMs ?? 0),
    out: o.out ?? ((t) => void process.stdout.write(t)),
    err: o.err ?? ((t) => void process.stderr.write(t)),
    readStdin: () => (o.stdin !== undefined ? Promise.resolve(o.stdin) : readProcessStdin()),
    sleep: (ms) => new Promise((r) => setTimeout(r, Math.max(0, Math.min(ms, 2 ** 31 - 1)))),
  };
  return tool === 'kubeadm' ? kubeadm(ctx, args) : kubectl(ctx, args);
}
