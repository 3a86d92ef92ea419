/**
 * apt against ansible-playbook's apt module on this machine, in check mode only: both sides run
 * the same `apt-get --simulate` / `dpkg --simulate` probes and nothing is installed, removed or
 * upgraded (update_cache is never run in check mode either). Status, changed and the registered
 * keys and values must match; apt's own simulate output included.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/file-module-context.js';
import { ansibleAvailable, runAnsible, runTsbook, writePlaybook, type TaskOutcome } from '../support/playbook-oracle.js';

type Dict = Record<string, unknown>;
const ansible = await ansibleAvailable();

function tasks(d: string): Dict[] {
  const apt = (name: string, args: Dict) => ({ name, apt: args, ignore_errors: true });
  return [
    apt('install simulated, recommends off', { name: ['curl', 'cowsay'], install_recommends: false }),
    apt('unknown package', { name: 'tsbook-no-such-package' }),
    apt('absent, installed (purge)', { name: 'curl', state: 'absent', purge: true }),
    apt('upgrade dist', { upgrade: 'dist' }),
    apt('autoremove', { autoremove: true, purge: true }),
    apt('deb new', { deb: `${d}/plain.deb` }),
    apt('deb already installed', { deb: `${d}/same.deb` }),
    apt('version glob', { name: 'curl=7*' }),
  ];
}

function buildDeb(d: string, name: string, control: string): void {
  const root = join(d, name);
  execFileSync('mkdir', ['-p', join(root, 'DEBIAN')]);
  execFileSync('sh', ['-c', `printf '%sArchitecture: all\\nMaintainer: t <t@example.org>\\nDescription: test\\n' "$1" > "$2"`, 'sh', control, join(root, 'DEBIAN/control')]);
  execFileSync('dpkg-deb', ['--build', '--root-owner-group', root, `${root}.deb`], { stdio: 'ignore' });
}

/** The side's directory, also as dpkg shortens it ('.../ansible/plain.deb'), is normalised. */
function normalise(outcomes: readonly TaskOutcome[], d: string): TaskOutcome[] {
  const side = d.slice(d.lastIndexOf('/') + 1);
  return outcomes.map((o) => ({ ...o, result: JSON.parse(JSON.stringify(o.result).split(d).join('<D>').split(`.../${side}/`).join('.../<D>/')) as Dict }));
}

describe.runIf(ansible)('apt against ansible-playbook (check mode)', () => {
  let dir: { dir: string; cleanup: () => Promise<void> };
  const sides: Record<string, TaskOutcome[]> = {};
  beforeAll(async () => {
    dir = await tempDir();
    const coreutils = execFileSync('dpkg-query', ['-W', '-f=${Version}', 'coreutils']).toString();
    for (const side of ['ansible', 'tsbook']) {
      const d = join(dir.dir, side);
      await mkdir(d);
      buildDeb(d, 'plain', 'Package: tsbook-oracle-plain\nVersion: 1.0-1\nDepends: coreutils\n');
      buildDeb(d, 'same', `Package: coreutils\nVersion: ${coreutils}\n`);
      await writeFile(join(d, 'ansible.cfg'), '[defaults]\n');
    }
    // Side by side: check mode only reads apt's lists and dpkg's database.
    await Promise.all(
      ['ansible', 'tsbook'].map(async (side) => {
        const d = join(dir.dir, side);
        const pb = await writePlaybook(d, 'pb', tasks(d));
        sides[side] = normalise(side === 'ansible' ? await runAnsible(pb, { check: true }) : await runTsbook(pb, { check: true }), d);
      }),
    );
  }, 180_000);
  afterAll(async () => dir.cleanup());

  it.each(tasks('<D>').map((t, i) => [t.name as string, i] as const))('%s', (_name, i) => {
    const a = sides.ansible![i]!;
    const t = sides.tsbook![i]!;
    expect(t.name).toBe(a.name);
    expect({ status: t.status, result: t.result }).toEqual({ status: a.status, result: a.result });
  });
});
