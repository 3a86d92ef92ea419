import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Ajv } from 'ajv';
import { afterAll, describe, expect, it } from 'vitest';
import { eventsSchema } from '../../src/events/schema.js';

const exec = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), 'tsbook-json-file-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('tsbook run --json-file', () => {
  it('writes every event as NDJSON to the file (valid against schemas/events.schema.json) while stdout keeps the normal output', async () => {
    if (!existsSync('dist/cli/main.js')) throw new Error('dist/ is missing: run npm run build');
    const file = join(scratch, 'events.ndjson');
    const r = await exec(
      process.execPath,
      ['bin/tsbook', 'run', '-i', 'test/output/fixtures/inventory.ini', 'test/output/fixtures/tour.yml', '-e', `tour_dir=${scratch}`, '--json-file', file, '--profile'],
      { env: { ...process.env, NO_COLOR: '1' } },
    );
    // stdout: the plain output (not a TTY), the recap and the profile
    expect(r.stdout).toContain('TASK [Write a file] ***');
    expect(r.stdout).toMatch(/PLAY RECAP \*+\nweb1 +: ok=9 /);
    expect(r.stdout).toMatch(/\n={79} \n(.+ -+ +\d+\.\d\ds\n){10}Slowest host: web[12] \(\d+ task results\) -+ \d+\.\d\ds\n$/);
    expect(r.stdout).not.toContain('"event"');

    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    const events = lines.map((l) => JSON.parse(l) as { event: string });
    const validate = new Ajv({ allErrors: true, strict: true }).compile(eventsSchema());
    for (const [i, e] of events.entries()) expect(validate(e), `line ${i + 1}: ${JSON.stringify(validate.errors)}`).toBe(true);
    expect(events[0]!.event).toBe('run_start');
    expect(events.at(-1)).toMatchObject({ event: 'recap', hosts: { web1: { ok: 9, changed: 2 }, web2: { ok: 8, rescued: 1 } } });
    expect(events.filter((e) => e.event === 'task_result')).toHaveLength(18);
  }, 60_000);

  it('fails with a usage error when the file cannot be written', async () => {
    const r = await exec(process.execPath, ['bin/tsbook', 'run', '-i', 'test/output/fixtures/inventory.ini', 'test/output/fixtures/tour.yml', '--json-file', join(scratch, 'missing', 'x.ndjson')]).catch(
      (e: { stdout: string; stderr: string; code: number }) => e,
    );
    expect('code' in r ? r.code : 0).not.toBe(0);
    expect(r.stderr).toContain(`cannot write --json-file ${join(scratch, 'missing', 'x.ndjson')}: ENOENT`);
  }, 30_000);
});
