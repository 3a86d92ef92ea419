/**
 * Differential conformance suite: every case in cases/ runs under ansible-playbook (the oracle)
 * and under `tsbook run --json`; exit code, per-host recap and every debug value must match.
 * The oracle's own run must also match the case's `# expect-rc:` / `# expect-recap:` header, so a
 * case that silently stopped testing what it claims fails too.
 *
 * Env: CONFORMANCE_CASE=NN-name runs one case; CONFORMANCE_ANSIBLE_ONLY=1 checks the cases against
 * ansible only; CONFORMANCE_DUMP_DIR=dir writes <case>.ansible.txt / <case>.tsbook.txt summaries.
 */
import { describe, it, expect } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ansibleAvailable,
  limited,
  listCases,
  normalizeExpectedRecap,
  renderOutcome,
  runAnsible,
  runTsbook,
  type CaseHeader,
  type Outcome,
} from './lib.js';

const CONCURRENCY = 2;
const cases = listCases(process.env['CONFORMANCE_CASE']);
const ansibleOnly = process.env['CONFORMANCE_ANSIBLE_ONLY'] === '1';
const dumpDir = process.env['CONFORMANCE_DUMP_DIR'];
const inCi = Boolean(process.env['CI']);
const haveAnsible = await ansibleAvailable();

interface CaseRuns {
  readonly ansible: Outcome;
  readonly tsbook?: Outcome;
}

/** Ansible first, then tsbook, per case (they share the case's /tmp dir); 2 cases in flight. */
const runs: Promise<CaseRuns>[] = haveAnsible
  ? limited(
      cases.map((c) => async (): Promise<CaseRuns> => {
        const ansible = await runAnsible(c);
        const tsbook = ansibleOnly ? undefined : await runTsbook(c);
        if (dumpDir) {
          mkdirSync(dumpDir, { recursive: true });
          writeFileSync(join(dumpDir, `${c.name}.ansible.txt`), renderOutcome(ansible));
          writeFileSync(join(dumpDir, `${c.name}.ansible.log`), `${ansible.stdout}\n--- stderr ---\n${ansible.stderr}`);
          if (tsbook) {
            writeFileSync(join(dumpDir, `${c.name}.tsbook.txt`), renderOutcome(tsbook));
            writeFileSync(join(dumpDir, `${c.name}.tsbook.log`), `${tsbook.stdout}\n--- stderr ---\n${tsbook.stderr}`);
          }
        }
        return { ansible, tsbook };
      }),
      CONCURRENCY,
    )
  : [];
// Failures surface in the tests that await them; keep Node from flagging them as unhandled.
for (const r of runs) r.catch(() => undefined);

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

describe('conformance against ansible-playbook', () => {
  it('has cases and an oracle', () => {
    expect(cases.length).toBeGreaterThan(0);
    if (inCi) expect(haveAnsible, 'ansible-playbook must be installed in CI').toBe(true);
  });

  cases.forEach((c: CaseHeader, index: number) => {
    const run = (): Promise<CaseRuns> => runs[index] as Promise<CaseRuns>;

    it.skipIf(!haveAnsible)(`${c.name}: ansible matches the case header (${c.covers})`, async () => {
      const { ansible } = await run();
      const info = context('ansible-playbook', ansible);
      expect(ansible.rc, info).toBe(c.expectRc);
      expect(ansible.recap, info).toEqual(normalizeExpectedRecap(c.expectRecap));
      // A case must print something to compare, or at least finish its hosts.
      expect(Object.keys(ansible.recap).length, info).toBeGreaterThan(0);
    }, 180_000);

    if (!ansibleOnly) {
      it.skipIf(!haveAnsible)(`${c.name}: tsbook matches ansible`, async () => {
        const { ansible, tsbook } = await run();
        if (!tsbook) throw new Error('tsbook was not run');
        const info = `${context('tsbook', tsbook)}\n\n${renderOutcome(ansible)}`;
        expect(tsbook.recap, `recap differs\n${info}`).toEqual(ansible.recap);
        const listing = `ansible debug values:\n${JSON.stringify(debugWithTasks(ansible), null, 1)}\ntsbook debug values:\n${JSON.stringify(debugWithTasks(tsbook), null, 1)}`;
        expect(tsbook.debug, `debug values differ\n${listing}\n${info}`).toEqual(ansible.debug);
        expect(tsbook.rc, `exit code differs\n${info}`).toBe(ansible.rc);
      }, 180_000);
    }
  });
});
