/**
 * `npm run demo` end to end: node dist/lab/demo.js (built by `npm test`'s pretest) in a temporary lab
 * directory with short simulated durations. Needs no sshd and no root.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoExtraVars, demoOptionsFromEnv, simulatedAddresses } from '../../src/lab/demo.js';
import { labPaths } from '../../src/lab/files.js';
import { REPO, recapOfPlain } from './k8s-support.js';

const DEMO = join(REPO, 'dist/lab/demo.js');
const FAST = { TSBOOK_DEMO_JOIN_MS: '300', TSBOOK_DEMO_READY_MS: '300', TSBOOK_DEMO_INIT_MS: '50' };
const HOMELAB = ['cp01', 'cp02', 'cp03', 'gpu01', 'pi01', 'pi02', 'pi03', 'pi04', 'pi05', 'pi06', 'pi07', 'pi08'];

let scratch: string;

beforeAll(() => {
  if (!existsSync(DEMO)) throw new Error(`${DEMO} is missing: run npm run build`);
  scratch = mkdtempSync(join(tmpdir(), 'tsbook-demo-test-'));
});

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

interface Outcome {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the demo; `onOutput` sees stdout as it grows and may signal the process. */
function demo(labDir: string, onOutput?: (stdout: string, pid: number) => void): Promise<Outcome> {
  return new Promise((done, reject) => {
    const child = spawn(process.execPath, [DEMO], {
      cwd: REPO,
      env: { ...process.env, ...FAST, TSBOOK_DEMO_LAB_DIR: labDir, NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (onOutput && child.pid !== undefined) onOutput(stdout, child.pid);
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => done({ status, stdout, stderr }));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The lab daemon's PID from `[demo] lab down (pid N stopped)`. */
function stoppedPid(stdout: string): number {
  const m = /\[demo\] lab down \(pid (\d+) stopped\)/.exec(stdout);
  if (!m) throw new Error(`the demo did not report stopping the lab:\n${stdout.slice(-3000)}`);
  return Number(m[1]);
}

describe('npm run demo (dist/lab/demo.js)', () => {
  it('starts the homelab lab, bootstraps 12 Ready nodes through the CLI, shows kubectl get nodes, stops the lab and exits 0', async () => {
    const labDir = join(scratch, 'lab');
    const r = await demo(labDir);
    const why = `exit ${r.status}\n${r.stdout.slice(-5000)}\n--- stderr ---\n${r.stderr.slice(-2000)}`;
    expect(r.status, why).toBe(0);
    expect(r.stdout).toContain('tsbook demo: bootstrap a simulated 12-node Kubernetes homelab over SSH');

    const recap = recapOfPlain(r.stdout);
    expect(Object.keys(recap).sort()).toEqual(HOMELAB);
    for (const [h, s] of Object.entries(recap)) expect(s, h).toMatchObject({ failed: 0, unreachable: 0 });

    // `kubectl get nodes` from cp01: 12 nodes, all Ready
    const header = 'cp01 | CHANGED | rc=0 >>\n';
    expect(r.stdout).toContain(header);
    const table = r.stdout.slice(r.stdout.indexOf(header) + header.length);
    const rows = table.split('\n').filter((l) => /^(cp|pi|gpu)\d\d\s/.test(l));
    expect(rows.map((l) => l.split(/\s+/)[0]).sort()).toEqual(HOMELAB);
    expect(rows.filter((l) => l.split(/\s+/)[1] !== 'Ready')).toEqual([]);
    expect(rows.filter((l) => l.includes('control-plane')).map((l) => l.split(/\s+/)[0])).toEqual(['cp01', 'cp02', 'cp03']);
    expect(r.stdout).toContain('[demo] the playbook exited with status 0');

    // the lab and its daemon are gone
    expect(alive(stoppedPid(r.stdout))).toBe(false);
    expect(existsSync(labPaths(labDir).stateFile)).toBe(false);
  }, 180_000);

  it('stops the lab when interrupted (SIGINT) while the playbook runs', async () => {
    const labDir = join(scratch, 'lab-interrupted');
    let sent = false;
    const r = await demo(labDir, (stdout, pid) => {
      if (!sent && stdout.includes('TASK [Find the hosts that still have to join]')) {
        sent = true;
        process.kill(pid, 'SIGINT');
      }
    });
    expect(sent, r.stdout).toBe(true);
    expect(r.status, r.stdout.slice(-3000)).not.toBe(0);
    expect(r.stderr).toContain('[tsbook] interrupted');
    expect(r.stdout).not.toContain('cp01 | CHANGED | rc=0 >>');
    expect(alive(stoppedPid(r.stdout))).toBe(false);
    expect(existsSync(labPaths(labDir).stateFile)).toBe(false);
  }, 180_000);

  it('maps lab hosts to the homelab addresses and points every host at its own kubeadm directory', async () => {
    const addresses = await simulatedAddresses(['cp01', 'pi08', 'gpu01', 'extra'], 'inventory/homelab.yaml', REPO);
    expect(Object.fromEntries(addresses)).toEqual({ cp01: '10.4.0.11', pi08: '10.4.0.28', gpu01: '10.4.0.31', extra: '10.4.0.103' });
    const extra = demoExtraVars(labPaths('/x/lab'), '127.0.0.1:6443');
    expect(extra[1]).toBe('k8s_control_plane_endpoint=127.0.0.1:6443');
    expect(JSON.parse(extra[3]!)).toMatchObject({ k8s_kubernetes_dir: '/x/lab/hosts/{{ inventory_hostname }}/etc/kubernetes', k8s_become: false });
    expect(() => demoOptionsFromEnv({ TSBOOK_DEMO_JOIN_MS: 'soon' }, REPO, () => undefined)).toThrow(/TSBOOK_DEMO_JOIN_MS must be a whole number/);
    expect(demoOptionsFromEnv({}, REPO, () => undefined).labDir).toBe(join(REPO, 'lab'));
  });
});
