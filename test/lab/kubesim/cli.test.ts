/**
 * The installed `kubeadm`/`kubectl` wrappers as real processes (needs the compiled dist/, which
 * `npm test` builds first).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKubesimCluster, installKubesim, kubesimMainScript, startFakeApiServer, type FakeApiServer, type KubesimCluster } from '../../../src/lab/kubesim/index.js';

interface Proc {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(bin: string, args: readonly string[], env: NodeJS.ProcessEnv = {}, onSpawn?: (pid: number) => void): Promise<Proc> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { env: { PATH: process.env.PATH, HOME: root, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('spawn', () => onSpawn?.(child.pid!));
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

let root: string;
let cluster: KubesimCluster;
let api: FakeApiServer;
const bin = (host: string, tool: string) => join(root, host, 'bin', tool);

beforeAll(async () => {
  if (!existsSync(kubesimMainScript())) throw new Error(`${kubesimMainScript()} is missing: run npm run build first`);
  root = mkdtempSync(join(tmpdir(), 'kubesim-cli-'));
  cluster = await createKubesimCluster(join(root, 'state'), { joinDurationMs: 400, initDurationMs: 0, readyDelayMs: 200, discoveryTimeoutMs: 50 });
  api = await startFakeApiServer();
  for (const [i, host] of ['cp01', 'w1', 'w2', 'w3', 'w4'].entries()) {
    await installKubesim(join(root, host, 'bin'), { stateDir: cluster.dir, nodeName: host, etcDir: join(root, host, 'etc'), address: `127.0.1.${i + 1}` });
  }
});

afterAll(async () => {
  await api?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('kubesim as installed executables', () => {
  it('writes wrappers that bake in the host settings', () => {
    const text = readFileSync(bin('w1', 'kubeadm'), 'utf8');
    expect(text.startsWith('#!/bin/sh\n')).toBe(true);
    expect(text).toContain(`KUBESIM_STATE_DIR=${cluster.dir}\nexport KUBESIM_STATE_DIR\n`);
    expect(text).toContain('KUBESIM_NODE_NAME=w1\n');
    expect(text).toMatch(/exec \S+ \S+\/dist\/lab\/kubesim\/main\.js kubeadm "\$@"\n$/);
  });

  it('runs concurrent joins in separate processes and kills a hanging one by pid', async () => {
    const init = await run(bin('cp01', 'kubeadm'), ['init', '--control-plane-endpoint', api.endpoint]);
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    const printed = await run(bin('cp01', 'kubeadm'), ['token', 'create', '--print-join-command']);
    expect(printed.stdout).toMatch(new RegExp(`^kubeadm join ${api.endpoint.replaceAll('.', '\\.')} --token `));
    const args = printed.stdout.trim().split(/\s+/).slice(2);

    cluster.setFault('w4', { kind: 'joinHangs' });
    let hangPid = 0;
    const hanging = run(bin('w4', 'kubeadm'), ['join', ...args], {}, (pid) => (hangPid = pid));
    // the hanging join is under way before the others start, so each of them overlaps it
    while (!cluster.readJoinLog().joins.some((j) => j.node === 'w4')) await new Promise((r) => setTimeout(r, 20));
    const joins = await Promise.all(['w1', 'w2', 'w3'].map((h) => run(bin(h, 'kubeadm'), ['join', ...args])));
    for (const j of joins) {
      expect(j.stderr).toBe('');
      expect(j.code).toBe(0);
    }
    const log = cluster.readJoinLog();
    expect(log.joins.filter((j) => j.ok === true).map((j) => j.node).sort()).toEqual(['w1', 'w2', 'w3']);
    expect(log.maxConcurrent).toBeGreaterThanOrEqual(2);
    expect(log.joins.find((j) => j.node === 'w4')?.end).toBeUndefined();
    process.kill(hangPid, 'SIGTERM');
    const killed = await hanging;
    expect(killed.signal ?? killed.code).toBeTruthy();
    expect(killed.stdout).toContain('[kubelet-start] Starting the kubelet\n');

    await new Promise((r) => setTimeout(r, 300));
    const nodes = await run(bin('cp01', 'kubectl'), ['get', 'nodes', '-o', 'name'], { KUBECONFIG: '/etc/kubernetes/admin.conf' });
    expect(nodes.stdout).toBe('node/cp01\nnode/w1\nnode/w2\nnode/w3\n');
    expect(cluster.nodes().map((n) => n.address)).toEqual(['127.0.1.1', '127.0.1.2', '127.0.1.3', '127.0.1.4']);
  });

  it('serves /healthz over TLS and plain TCP on loopback', async () => {
    const body = await new Promise<string>((resolve, reject) => {
      const req = httpsRequest({ host: api.host, port: api.port, path: '/healthz', rejectUnauthorized: false }, (res) => {
        let b = '';
        res.on('data', (d: Buffer) => (b += d.toString()));
        res.on('end', () => resolve(`${res.statusCode} ${b}`));
      });
      req.on('error', reject);
      req.end();
    });
    expect(body).toBe('200 ok');
    const plain = await new Promise<string>((resolve, reject) => {
      const s = connect(api.port, api.host, () => s.write('GET /livez HTTP/1.0\r\nHost: x\r\n\r\n'));
      let b = '';
      s.on('data', (d: Buffer) => (b += d.toString()));
      s.on('end', () => resolve(b));
      s.on('error', reject);
    });
    expect(plain).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nok$/);
  });
});
