import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { retryFileFor, retryHosts } from '../../src/cli/retry-files.js';
import { emptyStats } from '../../src/events/types.js';

const exec = promisify(execFile);
const REPO = join(import.meta.dirname, '..', '..');
const scratch = mkdtempSync(join(tmpdir(), 'tsbook-retry-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const haveAnsible = await exec('ansible-playbook', ['--version']).then(() => true, () => false);
if (!haveAnsible && process.env.CI) throw new Error('ansible-playbook is required in CI (retry file comparison)');

describe('retry files (retry_files_enabled)', () => {
  it('lists failed and unreachable hosts, sorted; names the file after the playbook', () => {
    const stats = { b: { ...emptyStats(), failed: 1 }, a: { ...emptyStats(), unreachable: 1 }, c: { ...emptyStats(), ok: 3, rescued: 1 } };
    expect(retryHosts(stats)).toEqual(['a', 'b']);
    expect(retryFileFor('play/site.yml', undefined)).toBe(join(process.cwd(), 'play', 'site.retry'));
    expect(retryFileFor('play/site.yml', '~/retries')).toBe(join(homedir(), 'retries', 'site.retry'));
  });

  it.runIf(haveAnsible)('writes the same file as ansible-playbook and says so before the recap', async () => {
    const dirs = { ansible: join(scratch, 'a'), tsbook: join(scratch, 't') };
    writeFileSync(join(scratch, 'inv.ini'), '[web]\nw1 ansible_connection=local\nw2 ansible_connection=local\nw3 ansible_connection=local\n');
    writeFileSync(join(scratch, 'site.yml'), "- hosts: all\n  gather_facts: false\n  tasks:\n    - command: /bin/false\n      when: inventory_hostname != 'w2'\n");
    const env = (dir: string) => ({ ...process.env, ANSIBLE_RETRY_FILES_ENABLED: '1', ANSIBLE_RETRY_FILES_SAVE_PATH: dir, ANSIBLE_NOCOLOR: '1', NO_COLOR: '1', CI: 'true' });
    const fail = (e: { stdout: string }) => e;
    const theirs = await exec('ansible-playbook', ['-i', 'inv.ini', 'site.yml'], { cwd: scratch, env: env(dirs.ansible) }).catch(fail);
    const ours = await exec(process.execPath, [join(REPO, 'bin', 'tsbook'), 'run', '-i', 'inv.ini', 'site.yml'], { cwd: scratch, env: env(dirs.tsbook) }).catch(fail);
    expect(readFileSync(join(dirs.tsbook, 'site.retry'), 'utf8')).toBe(readFileSync(join(dirs.ansible, 'site.retry'), 'utf8'));
    expect(readFileSync(join(dirs.tsbook, 'site.retry'), 'utf8')).toBe('w1\nw3\n');
    const said = (out: string, dir: string) => out.indexOf(`\tto retry, use: --limit @${join(dir, 'site.retry')}\n`);
    expect(said(theirs.stdout, dirs.ansible)).toBeGreaterThan(-1);
    expect(said(ours.stdout, dirs.tsbook)).toBeGreaterThan(-1);
    expect(said(ours.stdout, dirs.tsbook)).toBeLessThan(ours.stdout.indexOf('PLAY RECAP'));
  }, 120_000);

  it('writes nothing when disabled (the default) or when nothing failed', async () => {
    writeFileSync(join(scratch, 'ok.yml'), '- hosts: all\n  gather_facts: false\n  tasks:\n    - command: "true"\n');
    const dir = join(scratch, 'none');
    await exec(process.execPath, [join(REPO, 'bin', 'tsbook'), 'run', '-i', 'inv.ini', 'ok.yml'], { cwd: scratch, env: { ...process.env, ANSIBLE_RETRY_FILES_ENABLED: '1', ANSIBLE_RETRY_FILES_SAVE_PATH: dir } });
    await exec(process.execPath, [join(REPO, 'bin', 'tsbook'), 'run', '-i', 'inv.ini', 'site.yml'], { cwd: scratch, env: { ...process.env, ANSIBLE_RETRY_FILES_SAVE_PATH: dir } }).catch(() => undefined);
    expect(existsSync(dir)).toBe(false);
  }, 60_000);
});
