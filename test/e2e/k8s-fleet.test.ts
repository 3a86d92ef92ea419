/**
 * Kubernetes acceptance over the real OpenSSH fleet: `tsbook run playbooks/bootstrap_k8s.yaml` (the
 * built CLI, as a user runs it) against sshd hosts cp01..cp03, pi01..pi05, gpu01 that each have the
 * kubeadm/kubectl simulator on their PATH (k8s_environment), their own kubeadm directory (a private
 * bind mount as root) and their own simulated address, with a fake API server on loopback as the
 * control-plane endpoint.
 *
 * Each scenario gets its own simulated cluster (state directory, wrappers, kubeadm directories), so
 * scenarios share the fleet but not the cluster.
 *
 * As root every host is a separate mount/UTS namespace logging in as root with become (sudo). Without
 * root the fleet falls back to unprivileged sshd as the current user: kubeadm directories are per-host
 * directories and become is off. Without sshd the suite is skipped with the reason, except in CI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fleetSupport, startFleet, type Fleet } from '../support/fleet.js';
import { startFakeApiServer, type FakeApiServer } from '../../src/lab/kubesim/index.js';
import { readState } from '../../src/lab/kubesim/state.js';
import { shellQuote } from '../../src/connection/types.js';
import {
  BOOTSTRAP, REPO, commandsRun, createSimCluster, filesUnder, findSecrets, issuedSecrets, kubeadmCalls, parseEvents, recapOfEvents, recapOfPlain, runCli,
  taskResults, tokenTtls, type CliOutcome, type SimCluster,
} from './k8s-support.js';

const support = fleetSupport();
if (!support.available) {
  // visible in the test output: this suite needs OpenSSH's sshd (never skipped in CI: fleetSupport throws there)
  console.warn(`k8s-fleet e2e skipped: ${support.reason}`);
}

const CONTROL_PLANES = ['cp01', 'cp02', 'cp03'];
const PIS = ['pi01', 'pi02', 'pi03', 'pi04'];
const FLEET_HOSTS = [...CONTROL_PLANES, ...PIS, 'pi05', 'gpu01'];
const SIM_CONFIG = { joinDurationMs: 1000, initDurationMs: 50, readyDelayMs: 300, discoveryTimeoutMs: 300 };

let fleet: Fleet;
let api: FakeApiServer;
let root: string;
const started = Date.now();
/** Everything tsbook printed in this file, for the final secret scan. */
const outputs = new Map<string, string>();
const sims: SimCluster[] = [];
const figures: Record<string, unknown> = {};

interface Scenario {
  readonly sim: SimCluster;
  readonly dir: string;
  inventory(hosts: { controlPlanes: readonly string[]; pis: readonly string[]; gpu: readonly string[]; dead?: readonly string[] }, vars?: Record<string, unknown>): string;
  run(label: string, inventory: string, extra?: readonly string[]): Promise<CliOutcome>;
}

function freePort(): Promise<number> {
  return new Promise((done, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen({ host: '127.0.0.1', port: 0 }, () => {
      const a = srv.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      srv.close(() => done(port));
    });
  });
}

async function scenario(name: string, hostNames: readonly string[]): Promise<Scenario> {
  const dir = join(root, name);
  const sim = await createSimCluster(
    dir,
    hostNames.map((h, i) => {
      const fh = fleet.hosts.find((x) => x.name === h);
      // as root the address is the host's own 127.A.B.N; without root every sshd is 127.0.0.1, so invent one
      const address = fleet.privileged && fh ? fh.address : `10.77.0.${11 + i}`;
      return {
        name: h,
        address,
        arch: h.startsWith('pi') ? 'arm64' : 'amd64',
        ...(fleet.privileged ? { kubernetesDir: `/var/lib/tsbook-host/${name}/kubernetes`, cniConfDir: `/var/lib/tsbook-host/${name}/cni/net.d` } : {}),
      };
    }),
    SIM_CONFIG,
  );
  sims.push(sim);
  let deadPort = 0;
  if (!fleet.privileged) deadPort = await freePort();
  const hostEntry = (h: string): Record<string, unknown> => {
    const fh = fleet.host(h);
    const d = sim.hosts.get(h)!;
    return {
      ansible_host: fh.address,
      ansible_port: fh.port,
      k8s_environment: { PATH: `${d.bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin` },
      k8s_kubernetes_dir: d.kubernetesDir,
      k8s_cni_conf_dir: d.cniConfDir,
    };
  };
  const deadEntry = (): Record<string, unknown> => {
    // nothing listens there: as root an unused address of the fleet's block, else a closed port
    const [a, b, c] = fleet.hosts[0]!.address.split('.');
    return fleet.privileged ? { ansible_host: `${a}.${b}.${c}.250`, ansible_port: 22 } : { ansible_host: '127.0.0.1', ansible_port: deadPort };
  };
  let n = 0;
  return {
    sim,
    dir,
    inventory(hosts, vars = {}) {
      const entries = (names: readonly string[]) => Object.fromEntries(names.map((h) => [h, hosts.dead?.includes(h) ? deadEntry() : hostEntry(h)]));
      const inv = {
        all: {
          vars: {
            ansible_user: fleet.user,
            ansible_ssh_private_key_file: fleet.clientKey.privateKeyFile,
            ansible_ssh_common_args: `-o UserKnownHostsFile=${fleet.knownHostsFile} -o StrictHostKeyChecking=yes`,
            cluster_name: 'homelab',
            k8s_control_plane_endpoint: api.endpoint,
            k8s_version: '1.30.2',
            k8s_pod_cidr: '10.244.0.0/16',
            k8s_service_cidr: '10.96.0.0/12',
            k8s_become: fleet.privileged,
            k8s_ready_timeout: 60,
            k8s_join_parallelism: 2,
            ...vars,
          },
          children: {
            k8s_cluster: {
              children: {
                k8s_control_plane: {
                  vars: { node_role: 'control-plane', arch: 'amd64', node_taints: ['node-role.kubernetes.io/control-plane:NoSchedule'] },
                  hosts: entries(hosts.controlPlanes),
                },
                k8s_worker: {
                  vars: { node_role: 'worker', node_taints: [] },
                  children: {
                    pis: {
                      vars: { arch: 'arm64', board: 'raspberrypi-4b', node_labels: { 'node.kubernetes.io/instance-type': 'rpi4b-8g', 'kubernetes.io/arch': 'arm64' } },
                      hosts: entries(hosts.pis),
                    },
                    gpu: {
                      vars: { arch: 'amd64', node_labels: { 'nvidia.com/gpu': 'true', 'kubernetes.io/arch': 'amd64' }, node_taints: ['nvidia.com/gpu=true:NoSchedule'] },
                      hosts: entries(hosts.gpu),
                    },
                  },
                },
              },
            },
          },
        },
      };
      const file = join(dir, `inventory-${++n}.yaml`);
      writeFileSync(file, JSON.stringify(inv, null, 2));
      return file;
    },
    async run(label, inventory, extra = []) {
      const r = await runCli(['run', BOOTSTRAP, '-i', inventory, ...extra], { cwd: dir });
      outputs.set(`${name}/${label} stdout`, r.stdout);
      outputs.set(`${name}/${label} stderr`, r.stderr);
      figures[`${name}/${label} seconds`] = Math.round(r.durationMs / 100) / 10;
      return r;
    },
  };
}

function explain(r: CliOutcome): string {
  return `exit ${r.status}\n--- stdout ---\n${r.stdout.slice(-6000)}\n--- stderr ---\n${r.stderr.slice(-3000)}`;
}

/** tsbook's temp files for kubeadm configurations (they hold the token while a join runs). */
function tsbookTempFiles(): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of readdirSync('/tmp').filter((n) => n.startsWith('.tsbook-'))) {
    try {
      out.set(join('/tmp', f), readFileSync(join('/tmp', f), 'utf8'));
    } catch {
      // removed meanwhile
    }
  }
  return out;
}

function kubeadmDirEntries(sim: SimCluster, host: string): string[] {
  const d = sim.hosts.get(host)!.kubernetesDir;
  const r = fleet.run(host, `ls -A ${shellQuote(d)} 2>/dev/null; true`);
  return r.stdout.split('\n').filter((l) => l !== '');
}

beforeAll(async () => {
  if (!support.available) return;
  if (!existsSync(join(REPO, 'dist/lab/kubesim/main.js'))) throw new Error('dist/ is missing: run npm run build');
  root = mkdtempSync(join(tmpdir(), 'tsbook-e2e-k8s-'));
  [fleet, api] = await Promise.all([startFleet({ hosts: FLEET_HOSTS, maxSessions: 20 }), startFakeApiServer()]);
}, 120_000);

afterAll(async () => {
  await Promise.all([fleet?.stop(), api?.close()]);
  figures['total seconds'] = Math.round((Date.now() - started) / 100) / 10;
  // TSBOOK_E2E_DUMP=DIR keeps every output of this file there, for a look at what tsbook printed
  const dump = process.env.TSBOOK_E2E_DUMP;
  if (dump) {
    mkdirSync(dump, { recursive: true });
    for (const [k, v] of outputs) writeFileSync(join(dump, k.replace(/[^a-z0-9.-]+/gi, '_')), v);
  }
  if (support.available) console.log(`k8s-fleet e2e figures: ${JSON.stringify(figures)}`);
  // the per-host kubeadm directories live in the hosts' private mounts, gone with the fleet
  if (root) rmSync(root, { recursive: true, force: true });
});

describe.skipIf(!support.available)('bootstrap_k8s.yaml over the OpenSSH fleet', () => {
  let main: Scenario;
  let mainInventory: string;
  const allNodes = [...CONTROL_PLANES, ...PIS, 'gpu01'].sort();

  it('bootstraps 3 control planes and 5 workers: all Ready, worker joins in parallel up to the cap, short-lived tokens, no secret in any output', async () => {
    main = await scenario('main', FLEET_HOSTS);
    mainInventory = main.inventory({ controlPlanes: CONTROL_PLANES, pis: PIS, gpu: ['gpu01'] });
    const r = await main.run('bootstrap', mainInventory, ['--json']);
    expect(r.status, explain(r)).toBe(0);
    const events = parseEvents(r.stdout);
    const recap = recapOfEvents(events);
    expect(Object.keys(recap).sort()).toEqual(allNodes);
    for (const [h, s] of Object.entries(recap)) {
      expect(s.failed + s.unreachable, h).toBe(0);
      expect(s.changed, h).toBeGreaterThan(0);
    }

    const nodes = main.sim.cluster.nodes();
    expect(nodes.map((n) => n.name)).toEqual(allNodes);
    expect(nodes.filter((n) => !n.ready).map((n) => `${n.name}: ${n.reason}`)).toEqual([]);
    expect(nodes.filter((n) => n.role === 'control-plane').map((n) => n.name)).toEqual(CONTROL_PLANES);
    // each node registered with its own host's address
    expect(new Set(nodes.map((n) => n.address)).size).toBe(nodes.length);
    const gpu = nodes.find((n) => n.name === 'gpu01')!;
    expect(gpu.labels['nvidia.com/gpu']).toBe('true');
    expect(gpu.taints).toContainEqual({ key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule' });
    expect(nodes.find((n) => n.name === 'pi01')!.labels['node-role.kubernetes.io/worker']).toBe('');

    // control planes one at a time, then workers at most k8s_join_parallelism (2) at a time, and in parallel
    const log = main.sim.cluster.readJoinLog();
    expect(log.joins.map((j) => j.node).sort()).toEqual(allNodes.filter((n) => n !== 'cp01'));
    expect(log.joins.every((j) => j.ok === true)).toBe(true);
    const cpJoins = log.joins.filter((j) => j.controlPlane);
    const workerJoins = log.joins.filter((j) => !j.controlPlane);
    expect(cpJoins.map((j) => j.node)).toEqual(['cp02', 'cp03']);
    expect(cpJoins[0]!.end!).toBeLessThanOrEqual(cpJoins[1]!.start);
    expect(Math.max(...cpJoins.map((j) => j.end!))).toBeLessThanOrEqual(Math.min(...workerJoins.map((j) => j.start)));
    expect(log.maxConcurrent).toBeGreaterThan(1);
    expect(log.maxConcurrent).toBeLessThanOrEqual(2);
    figures['max concurrent joins (cap 2)'] = log.maxConcurrent;

    // every token minted lives at most an hour (init's own gets 15 min) and none is left at the end
    const calls = kubeadmCalls(main.sim);
    const ttls = tokenTtls(calls);
    expect(ttls.filter((t) => t.call.includes(': token create')).length).toBe(1);
    expect(ttls.filter((t) => t.ttlMs > 3_600_000)).toEqual([]);
    const left = main.sim.cluster.listTokens();
    expect(left).toEqual([]);
    figures['main: tokens minted (init + token create)'] = ttls.length;
    figures['main: tokens deleted'] = calls.filter((c) => c.includes(': token delete')).length;
    figures['main: tokens left'] = left.length;

    // the token never goes on a command line; tsbook's private config files are gone
    const secrets = issuedSecrets(main.sim);
    expect(secrets.tokens.length).toBeGreaterThanOrEqual(2);
    expect(secrets.certificateKeys.length).toBeGreaterThanOrEqual(1);
    expect(findSecrets(secrets, new Map([['kubeadm argv', calls.join('\n')]]))).toEqual([]);
    // (other test files may be using /tmp/.tsbook-* files of their own right now: look for this cluster's secrets)
    expect(findSecrets(secrets, tsbookTempFiles())).toEqual([]);
    // no secret in stdout, stderr, the events, or a file in the run's directory (its inventories)
    const files = new Map(filesUnder(main.dir, [main.sim.captureDir, main.sim.stateDir, join(main.dir, 'hosts')]).map((f) => [f, readFileSync(f, 'utf8')]));
    expect(files.size).toBeGreaterThan(0);
    expect(findSecrets(secrets, new Map([...outputs, ...files]))).toEqual([]);
    // the events do report the token's non-secret ID
    const minted = taskResults(events, 'Mint a short-lived bootstrap token')[0]!;
    expect(minted.result.values.token_id).toMatch(/^[a-z0-9]{6}$/);
    expect(secrets.tokens.some((t) => t.startsWith(`${minted.result.values.token_id as string}.`))).toBe(true);
  }, 120_000);

  it('a re-run is a no-op: nothing changes and kubeadm init/join are not called', async () => {
    const before = main.sim.cluster.readJoinLog().entries.length;
    const callsBefore = kubeadmCalls(main.sim).length;
    const r = await main.run('rerun', mainInventory, ['--json']);
    expect(r.status, explain(r)).toBe(0);
    const events = parseEvents(r.stdout);
    const recap = recapOfEvents(events);
    expect(Object.entries(recap).filter(([, s]) => s.changed !== 0 || s.failed !== 0)).toEqual([]);
    expect(main.sim.cluster.readJoinLog().entries.length).toBe(before);
    const newCalls = kubeadmCalls(main.sim).slice(callsBefore);
    expect(newCalls.filter((c) => /: (init|join|token create|reset)\b/.test(c))).toEqual([]);
    expect(commandsRun(events).filter((c) => /^kubeadm '?(init|join)'?/.test(c.command))).toEqual([]);
  }, 90_000);

  it('adding a worker to the inventory joins only that node (plain output)', async () => {
    const before = main.sim.cluster.readJoinLog().joins.length;
    const inventory = main.inventory({ controlPlanes: CONTROL_PLANES, pis: [...PIS, 'pi05'], gpu: ['gpu01'] });
    const r = await main.run('add pi05', inventory);
    expect(r.status, explain(r)).toBe(0);
    const recap = recapOfPlain(r.stdout);
    expect(Object.keys(recap).sort()).toEqual([...allNodes, 'pi05'].sort());
    const joins = main.sim.cluster.readJoinLog().joins.slice(before);
    expect(joins.map((j) => `${j.node}:${j.ok}`)).toEqual(['pi05:true']);
    expect(main.sim.cluster.nodes().every((n) => n.ready)).toBe(true);
    expect(recap.pi05!.changed).toBeGreaterThan(0);
    // the other workers saw no change of their own (only the first control plane minted and deleted the token)
    for (const h of [...PIS, 'gpu01', 'cp02', 'cp03']) expect(recap[h]!.changed, h).toBe(0);
    expect(r.stdout).toMatch(/TASK \[Join a worker\][^\n]*\n(?:.*\n)*?changed: \[pi05\]/);
  }, 90_000);

  it('re-mints a bootstrap token that is 21 minutes old and reuses one that is 19 minutes old (kubeadm_token existing/max_age)', async () => {
    const play = join(main.dir, 'token-age.yaml');
    writeFileSync(
      play,
      [
        '- hosts: k8s_control_plane[0]',
        '  gather_facts: false',
        '  become: "{{ k8s_become }}"',
        '  environment: "{{ k8s_environment }}"',
        '  tasks:',
        '    - name: Mint',
        '      kubeadm_token: { ttl: 1h, description: e2e token age }',
        '      register: first',
        '    - name: Reuse at 19 minutes',
        "      kubeadm_token: { ttl: 1h, existing: \"{{ first | combine({'created_at': aged_19m}) }}\" }",
        '      register: young',
        '    - name: Re-mint at 21 minutes',
        "      kubeadm_token: { ttl: 1h, existing: \"{{ first | combine({'created_at': aged_21m}) }}\" }",
        '      register: old',
        '    - name: Delete the first token',
        '      kubeadm_token: { state: absent, existing: "{{ first }}" }',
        '    - name: Delete the re-minted token',
        '      kubeadm_token: { state: absent, existing: "{{ old }}" }',
        '',
      ].join('\n'),
    );
    const now = Date.now();
    const r = await runCli(
      ['run', play, '-i', mainInventory, '--json', '-e', JSON.stringify({ aged_19m: new Date(now - 19 * 60_000).toISOString(), aged_21m: new Date(now - 21 * 60_000).toISOString() })],
      { cwd: main.dir },
    );
    outputs.set('token-age stdout', r.stdout);
    outputs.set('token-age stderr', r.stderr);
    expect(r.status, explain(r)).toBe(0);
    const events = parseEvents(r.stdout);
    const result = (name: string) => taskResults(events, name)[0]!.result;
    const first = result('Mint');
    const young = result('Reuse at 19 minutes');
    const old = result('Re-mint at 21 minutes');
    expect(first.changed).toBe(true);
    expect(young.changed).toBe(false);
    expect(young.values.token_id).toBe(first.values.token_id);
    expect(old.changed).toBe(true);
    expect(old.values.token_id).not.toBe(first.values.token_id);
    expect(result('Delete the first token').changed).toBe(true);
    expect(result('Delete the re-minted token').changed).toBe(true);
    const ids = main.sim.cluster.listTokens().map((t) => t.id);
    expect(ids).not.toContain(first.values.token_id);
    expect(ids).not.toContain(old.values.token_id);
    expect(tokenTtls(kubeadmCalls(main.sim)).filter((t) => t.ttlMs > 3_600_000)).toEqual([]);
  }, 60_000);

  it('a failed worker join fails the run naming the node, resets every worker joined in this run, and a re-run after the fault clears succeeds', async () => {
    const s = await scenario('joinfail', ['cp01', 'pi01', 'pi02', 'pi03', 'gpu01']);
    const inventory = s.inventory({ controlPlanes: ['cp01'], pis: ['pi01', 'pi02', 'pi03'], gpu: ['gpu01'] });
    s.sim.cluster.setFault('pi02', { kind: 'joinFails' });
    const r = await s.run('failing', inventory);
    expect(r.status, explain(r)).not.toBe(0);
    expect(r.stdout).toMatch(/1\/4 workers failed to join: pi02/);
    const recap = recapOfPlain(r.stdout);
    expect(recap.pi02!.failed + recap.cp01!.failed).toBeGreaterThan(0);
    const joins = s.sim.cluster.readJoinLog().joins;
    expect(joins.filter((j) => j.ok === false).map((j) => j.node)).toEqual(['pi02']);
    // every worker that ran its join is reset (kubelet stopped, kubeadm files removed) and its Node deleted
    const hosts = readState(s.sim.stateDir).hosts;
    for (const w of ['pi01', 'pi02', 'pi03', 'gpu01']) {
      expect(hosts[w]?.kubelet ?? false, w).toBe(false);
      expect(kubeadmDirEntries(s.sim, w), w).toEqual([]);
    }
    expect(s.sim.cluster.nodes().map((n) => n.name)).toEqual(['cp01']);
    expect(s.sim.cluster.listTokens().filter((t) => !t.description.includes('kubeadm init'))).toEqual([]);

    s.sim.cluster.clearFaults();
    const again = await s.run('after clearFaults', inventory);
    expect(again.status, explain(again)).toBe(0);
    expect(s.sim.cluster.nodes().map((n) => `${n.name}:${n.ready}`)).toEqual(['cp01:true', 'gpu01:true', 'pi01:true', 'pi02:true', 'pi03:true']);
  }, 120_000);

  it('an unreachable worker counts as unreachable while the others join', async () => {
    const s = await scenario('unreachable', ['cp01', 'pi01', 'pi02']);
    const inventory = s.inventory({ controlPlanes: ['cp01'], pis: ['pi01', 'pi02', 'pi06'], gpu: [], dead: ['pi06'] });
    const r = await s.run('dead pi06', inventory);
    expect(r.status, explain(r)).toBe(4);
    const recap = recapOfPlain(r.stdout);
    expect(recap.pi06).toMatchObject({ unreachable: 1, failed: 0 });
    for (const h of ['cp01', 'pi01', 'pi02']) expect(recap[h], h).toMatchObject({ unreachable: 0, failed: 0 });
    expect(r.stdout).toMatch(/UNREACHABLE! => .*pi06|pi06.*UNREACHABLE/);
    expect(s.sim.cluster.nodes().map((n) => `${n.name}:${n.ready}`)).toEqual(['cp01:true', 'pi01:true', 'pi02:true']);
    expect(s.sim.cluster.listTokens().filter((t) => !t.description.includes('kubeadm init'))).toEqual([]);
  }, 90_000);

  it('--check on a fresh cluster changes nothing, reports what would run and exits 0', async () => {
    const s = await scenario('check', ['cp01', 'cp02', 'pi01', 'pi02']);
    const inventory = s.inventory({ controlPlanes: ['cp01', 'cp02'], pis: ['pi01', 'pi02'], gpu: [] });
    const r = await s.run('check json', inventory, ['--check', '--json']);
    expect(r.status, explain(r)).toBe(0);
    const events = parseEvents(r.stdout);
    const recap = recapOfEvents(events);
    expect(Object.entries(recap).filter(([, x]) => x.failed + x.unreachable > 0)).toEqual([]);
    // nothing state-changing ran: no cluster, no join, no token; only read-only kubeadm/kubectl calls
    expect(readState(s.sim.stateDir).cluster ?? null).toBeNull();
    expect(s.sim.cluster.readJoinLog().entries).toEqual([]);
    expect(s.sim.cluster.listTokens()).toEqual([]);
    expect(kubeadmCalls(s.sim).filter((c) => /: (init|join|reset|token create|token delete)\b/.test(c))).toEqual([]);
    // what would run
    const wouldRun = commandsRun(events).filter((c) => !c.executed).map((c) => `${c.host}: ${c.command}`);
    expect(wouldRun).toContainEqual(expect.stringMatching(/^cp01: kubeadm init\b/));
    expect(wouldRun).toContainEqual(expect.stringMatching(/^cp01: kubeadm token create\b/));
    const joins = [...taskResults(events, 'Join a worker'), ...taskResults(events, 'Join the other control-plane nodes, one at a time')];
    expect(joins.filter((j) => j.result.status !== 'skipped').map((j) => `${j.result.host}: ${j.result.msg}`).sort()).toEqual([
      'cp02: would join cp02', 'pi01: would join pi01', 'pi02: would join pi02',
    ]);

    // the plain output shows the same
    const plain = await s.run('check plain', inventory, ['--check', '-v']);
    expect(plain.status, explain(plain)).toBe(0);
    expect(plain.stdout).toContain('would join pi01');
    expect(plain.stdout).toContain('would initialize the control plane on cp01');
    expect(s.sim.cluster.readJoinLog().entries).toEqual([]);
  }, 90_000);

  it('no token or certificate key the simulator ever issued appears in any output or file tsbook wrote', () => {
    const all = sims.map(issuedSecrets);
    const tokens = all.flatMap((s) => s.tokens);
    const keys = all.flatMap((s) => s.certificateKeys);
    expect(tokens.length).toBeGreaterThan(3);
    figures['secrets issued (tokens, certificate keys)'] = [tokens.length, keys.length];
    const files = new Map<string, string>();
    for (const sim of sims) {
      for (const f of filesUnder(sim.dir, [sim.captureDir, sim.stateDir, join(sim.dir, 'hosts')])) files.set(f, readFileSync(f, 'utf8'));
    }
    const found = findSecrets({ tokens, certificateKeys: keys }, new Map([...outputs, ...files, ...tsbookTempFiles()]));
    figures['secrets found'] = found.length;
    expect(found).toEqual([]);
    // sanity: the scan does find a token where one is
    expect(findSecrets({ tokens, certificateKeys: keys }, new Map([['probe', `x ${tokens[0]} y`]]))).not.toEqual([]);
  });
});
