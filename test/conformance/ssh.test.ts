/**
 * The whole conformance suite over SSH: every case runs under tsbook against the OpenSSH test fleet
 * (its local hosts rewritten to fleet hosts, see ssh-lib.ts) and is compared with ansible-playbook's run
 * of the same case on the local connection. Recap, exit code and every debug value must match, except
 * the values listed in TRANSPORT_DEPENDENT, which are mapped to the local connection's values first.
 *
 * Env: CONFORMANCE_CASE=NN-name runs one case; CONFORMANCE_DUMP_DIR=dir writes
 * <case>.ssh-{ansible,tsbook}.{txt,log}. Without sshd the suite fails in CI and is skipped elsewhere.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fleetSupport, settleConnectionLogs, startFleet, type Fleet, type FleetHost, type FleetSupport } from '../support/fleet.js';
import { ansibleAvailable, limited, listCases, normalizeExpectedRecap, renderOutcome, type CaseHeader, type Outcome } from './lib.js';
import {
  Lanes,
  TRANSPORT_DEPENDENT,
  InventoryRewriteError,
  cleanSshScratch,
  copyCases,
  rewriteIniInventory,
  fleetSizeFor,
  runAnsibleIn,
  runTsbookOverSsh,
  toLocalOutcome,
  writeFleetInventory,
} from './ssh-lib.js';

const CONCURRENCY = 2;
const inCi = Boolean(process.env['CI']);
const dumpDir = process.env['CONFORMANCE_DUMP_DIR'];

let support: FleetSupport;
let supportError: string | undefined;
try {
  support = fleetSupport();
} catch (e) {
  supportError = (e as Error).message;
  support = { available: false, privileged: false, reason: supportError };
}
const haveAnsible = await ansibleAvailable();
const enabled = support.available && haveAnsible;
const skipReason = !support.available ? (support.reason ?? 'no sshd') : !haveAnsible ? 'ansible-playbook not installed' : '';

const cases = listCases(process.env['CONFORMANCE_CASE']);
const work = mkdtempSync(join(tmpdir(), 'tsbook-ssh-conformance-'));
const casesDir = copyCases(work);
const started = Date.now();
/** Hosts per lane: as many as the largest case inventory needs (h1..h5), at least 3. */
const laneSize = Math.max(3, fleetSizeFor(cases, casesDir));
const fleet: Fleet | undefined = enabled ? await startFleet({ hosts: laneSize * CONCURRENCY }) : undefined;
if (fleet) await settleConnectionLogs(fleet);
const lanes = new Lanes<readonly FleetHost[]>(
  Array.from({ length: CONCURRENCY }, (_, i) => fleet?.hosts.slice(i * laneSize, (i + 1) * laneSize) ?? []),
);

interface CaseRuns {
  readonly ansible: Outcome;
  readonly tsbook: Outcome;
  readonly mapping: ReadonlyMap<string, string>;
  /** TCP connections the tsbook run opened, per fleet host of its lane that it used. */
  readonly connections: Readonly<Record<string, number>>;
  readonly seconds: number;
}

/** Per case: the oracle on the local connection, then tsbook over SSH (they share scratch paths). */
const runs: Promise<CaseRuns>[] = fleet
  ? limited(
      cases.map((c) => async (): Promise<CaseRuns> => {
        const ansible = await runAnsibleIn(c, casesDir);
        const lane = lanes.acquire();
        try {
          const inv = writeFleetInventory(c, fleet, lane, casesDir, join(work, 'inventories'));
          const before = new Map(lane.map((h) => [h.name, fleet.connectionCount(h.name)]));
          const t0 = Date.now();
          const tsbook = await runTsbookOverSsh(c, casesDir, inv.path);
          const seconds = (Date.now() - t0) / 1000;
          const connections: Record<string, number> = {};
          for (const h of new Set(inv.mapping.values())) connections[h] = fleet.connectionCount(h) - (before.get(h) ?? 0);
          if (dumpDir) {
            mkdirSync(dumpDir, { recursive: true });
            writeFileSync(join(dumpDir, `${c.name}.ssh-ansible.txt`), renderOutcome(ansible));
            writeFileSync(join(dumpDir, `${c.name}.ssh-tsbook.txt`), renderOutcome(tsbook));
            writeFileSync(join(dumpDir, `${c.name}.ssh-tsbook.log`), `${tsbook.stdout}\n--- stderr ---\n${tsbook.stderr}`);
          }
          return { ansible, tsbook, mapping: inv.mapping, connections, seconds };
        } finally {
          lanes.release(lane);
        }
      }),
      CONCURRENCY,
    )
  : [];
for (const r of runs) r.catch(() => undefined);

afterAll(async () => {
  const settled = await Promise.allSettled(runs);
  if (fleet) {
    // Measurements for the report (visible in vitest's output).
    const histogram = new Map<number, number>();
    let tsbookSeconds = 0;
    for (const r of settled) {
      if (r.status !== 'fulfilled') continue;
      tsbookSeconds += r.value.seconds;
      for (const n of Object.values(r.value.connections)) histogram.set(n, (histogram.get(n) ?? 0) + 1);
    }
    const hist = [...histogram.entries()].sort((a, b) => a[0] - b[0]).map(([n, count]) => `${count} host-runs with ${n}`).join(', ');
    console.log(
      `[ssh-conformance] ${cases.length} cases in ${((Date.now() - started) / 1000).toFixed(1)}s wall ` +
        `(tsbook over ssh ${tsbookSeconds.toFixed(1)}s summed); TCP connections per host per run: ${hist}`,
    );
    await fleet.stop();
  }
  for (const c of cases) cleanSshScratch(c);
  rmSync(work, { recursive: true, force: true });
});

function context(label: string, o: Outcome): string {
  const tail = (s: string): string => s.split('\n').slice(-25).join('\n');
  return `${label} rc=${o.rc}\n--- stdout (tail) ---\n${tail(o.stdout)}\n--- stderr (tail) ---\n${tail(o.stderr)}`;
}

function debugWithTasks(o: Outcome): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [host, values] of Object.entries(o.debug)) {
    out[host] = values.map((v, i) => `${v}    # ${o.debugTasks[host]?.[i] ?? ''}`);
  }
  return out;
}

describe('conformance over SSH (tsbook on the OpenSSH fleet vs ansible-playbook on local)', () => {
  it(`has cases, an oracle and a fleet${enabled ? '' : ` [SKIPPED: ${skipReason}]`}`, () => {
    expect(cases.length).toBeGreaterThan(0);
    if (inCi) {
      expect(supportError, 'sshd must be installed in CI').toBeUndefined();
      expect(haveAnsible, 'ansible-playbook must be installed in CI').toBe(true);
    }
    if (enabled) expect(fleet?.hosts.length).toBeGreaterThanOrEqual(3);
  });

  it('every transport-dependent entry names a case that exists', () => {
    const all = new Set(listCases().map((c) => c.name));
    for (const name of Object.keys(TRANSPORT_DEPENDENT)) expect(all.has(name), name).toBe(true);
  });

  cases.forEach((c: CaseHeader, index: number) => {
    const dep = TRANSPORT_DEPENDENT[c.name];
    const label = `${c.name}: tsbook over ssh matches ansible on local${dep ? ` (transport-dependent: ${dep.reason})` : ''}`;
    it.skipIf(!enabled)(label, async () => {
      const { ansible, tsbook, mapping, connections } = await (runs[index] as Promise<CaseRuns>);
      const oracleInfo = context('ansible-playbook (local)', ansible);
      // The oracle must still test what the case claims, or the comparison means little.
      expect(ansible.rc, oracleInfo).toBe(c.expectRc);
      expect(ansible.recap, oracleInfo).toEqual(normalizeExpectedRecap(c.expectRecap));
      const compared = dep ? toLocalOutcome(tsbook, dep, mapping, hostname().split('.')[0] as string) : tsbook;
      const info = `${context('tsbook (ssh)', tsbook)}\n\n${renderOutcome(ansible)}`;
      expect(compared.recap, `recap differs\n${info}`).toEqual(ansible.recap);
      const listing = `ansible debug values:\n${JSON.stringify(debugWithTasks(ansible), null, 1)}\ntsbook debug values:\n${JSON.stringify(debugWithTasks(compared), null, 1)}`;
      expect(compared.debug, `debug values differ\n${listing}\n${info}`).toEqual(ansible.debug);
      expect(compared.rc, `exit code differs\n${info}`).toBe(ansible.rc);
      // One TCP connection per host for the whole run, at most (hosts that only ran controller-side
      // tasks such as debug/set_fact open none).
      for (const [host, n] of Object.entries(connections)) expect(n, `TCP connections to ${host}`).toBeLessThanOrEqual(1);
      if (dep && (fleet?.privileged || !dep.privilegedOnly)) {
        // The mapping must have been needed: over SSH the dependent value really differs.
        expect(canonicalDebug(tsbook), `${c.name} is listed as transport-dependent but its values do not differ`).not.toEqual(canonicalDebug(ansible));
      }
    }, 240_000);
  });
});

describe('rewriting a case inventory for the fleet', () => {
  const slotVars = (slot: number): string => `ansible_connection=ssh ansible_host=fleet${slot + 1}`;

  it('maps local hosts in order of first appearance and drops the group-level local connection', () => {
    const r = rewriteIniInventory('[web]\nh1\nh2 x=1\n\n[db]\nh1\n\n[app:children]\nweb\n\n[all:vars]\nansible_connection=local\ny=2\n', slotVars);
    expect(r.text).toBe(
      '[web]\nh1 ansible_connection=ssh ansible_host=fleet1\nh2 x=1 ansible_connection=ssh ansible_host=fleet2\n\n' +
        '[db]\nh1 ansible_connection=ssh ansible_host=fleet1\n\n[app:children]\nweb\n\n[all:vars]\ny=2\n',
    );
    expect([...r.slots]).toEqual([['h1', 0], ['h2', 1]]);
  });

  it('replaces a host-line local connection and leaves a deliberately unreachable ssh host alone', () => {
    const down = 'down1 ansible_connection=ssh ansible_host=127.0.0.1 ansible_port=1 ansible_user=nobody';
    const r = rewriteIniInventory(`h1 ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n[dead]\n${down}\n`, slotVars);
    expect(r.text).toBe(`h1 ansible_python_interpreter=/usr/bin/python3 ansible_connection=ssh ansible_host=fleet1\n[dead]\n${down}\n`);
    expect(r.untouched).toEqual(['down1']);
  });

  it('refuses host ranges, which cannot be mapped one to one', () => {
    expect(() => rewriteIniInventory('[web]\nweb[1:3]\n', slotVars)).toThrow(InventoryRewriteError);
  });
});

function canonicalDebug(o: Outcome): string {
  return JSON.stringify(o.debug);
}
