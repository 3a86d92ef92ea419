/**
 * Smoke test for the performance harness: `bench/run.ts --quick` on a real 3-host OpenSSH fleet.
 * Asserts the shape of the results file and that every tsbook and floor run exited 0. No timing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fleetSupport } from '../support/fleet.js';

const REPO = resolve(import.meta.dirname, '..', '..');
const support = fleetSupport(); // throws in CI when sshd is missing
const resultsDir = mkdtempSync(join(tmpdir(), 'tsbook-bench-test-'));

afterAll(() => rmSync(resultsDir, { recursive: true, force: true }));

describe.runIf(support.available)('bench --quick', () => {
  it('writes a results file with every case and tool, and tsbook exits 0 on every run', () => {
    expect(existsSync(join(REPO, 'dist', 'cli', 'main.js')), 'run `npm run build` first').toBe(true);
    const r = spawnSync(process.execPath, [join(REPO, 'node_modules', '.bin', 'vite-node'), 'bench/run.ts', '--', '--quick', '--results-dir', resultsDir], {
      cwd: REPO,
      encoding: 'utf8',
      timeout: 180_000,
    });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/median s/);

    const files = readdirSync(resultsDir).filter((f) => f.endsWith('.json'));
    expect(files).toHaveLength(1);
    const report = JSON.parse(readFileSync(join(resultsDir, files[0]), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(report).sort()).toEqual(['cases', 'environment', 'finishedAt', 'options', 'schema', 'startedAt']);
    expect(report.schema).toBe('tsbook-bench/1');
    expect(report.options).toMatchObject({ quick: true, runs: 1, ansible: false });

    const cases = report.cases as Array<Record<string, unknown>>;
    expect(cases.map((c) => `${c.hosts}x${c.tasks}:${c.variant}`)).toEqual(['3x5:command', '3x5:shell', '3x5:files']);
    for (const c of cases) {
      const tools = c.tools as Array<Record<string, unknown>>;
      expect(tools.map((t) => t.tool)).toEqual(['floor', 'tsbook']);
      for (const t of tools) {
        expect(Object.keys(t).sort()).toEqual(['medianWallMs', 'overheadMsPerHostTask', 'peakRssKb', 'ratioToFloor', 'ratioToTsbook', 'runs', 'tool']);
        const runs = t.runs as Array<{ exitCode: number; wallMs: number }>;
        expect(runs).toHaveLength(1);
        for (const run of runs) {
          expect(run.exitCode, `${c.id} ${String(t.tool)}`).toBe(0);
          expect(run.wallMs).toBeGreaterThan(0);
        }
      }
    }
  }, 200_000);
});
