import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadPlaybook } from '../../src/load/playbook.js';
import { LoadError } from '../../src/model/errors.js';
import type { Task } from '../../src/model/playbook.js';
import { canonicalModuleName, collectionModuleNames, findModule } from '../../src/modules/registry.js';
import { ANSIBLE_ENV, RUN_ORACLE } from './inventory-oracle-support.js';

const BIN = fileURLToPath(new URL('../../bin/tsbook', import.meta.url));

function playbook(tasks: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsbook-fqcn-'));
  const file = join(dir, 'site.yml');
  writeFileSync(file, `- hosts: localhost\n  gather_facts: false\n  tasks:\n${tasks}`);
  return file;
}

async function loadError(file: string): Promise<LoadError> {
  try {
    await loadPlaybook(file);
  } catch (err) {
    if (err instanceof LoadError) return err;
    throw err;
  }
  throw new Error('expected a LoadError');
}

const TAIL = 'This often indicates a misspelling, missing collection, or incorrect module path.';

describe('FQCNs of other collections', () => {
  it('resolve to the built-in where tsbook ships the module', async () => {
    expect(canonicalModuleName('ansible.posix.sysctl')).toBe('sysctl');
    expect(canonicalModuleName('community.general.modprobe')).toBe('modprobe');
    expect(canonicalModuleName('ansible.builtin.systemd_service')).toBe('systemd');
    expect(canonicalModuleName('systemd_service')).toBe('systemd');
    const file = playbook('    - ansible.posix.sysctl: {name: vm.swappiness, value: "10"}\n    - community.general.modprobe: {name: br_netfilter}\n    - ansible.builtin.systemd_service: {name: k3s, state: restarted}\n');
    const tasks = (await loadPlaybook(file)).plays[0]!.tasks as Task[];
    expect(tasks.map((t) => t.action)).toEqual(['sysctl', 'modprobe', 'systemd']);
  });

  it('a name that exists in a collection resolves only when the built-in is registered', () => {
    // ansible.posix.mount/acl resolve as soon as the mount/acl modules are in the registry
    for (const fqcn of ['ansible.posix.mount', 'ansible.posix.acl']) {
      const short = fqcn.split('.').pop()!;
      expect(findModule(fqcn)).toBe(findModule(short));
      expect(collectionModuleNames().includes(fqcn)).toBe(findModule(short) !== undefined);
    }
    // never a built-in under a collection that does not have it
    expect(findModule('community.general.copy')).toBeUndefined();
    expect(findModule('ansible.posix.command')).toBeUndefined();
  });

  it('an unknown collection fails at load time with file:line:col and says tsbook lacks it', async () => {
    const file = playbook('    - name: run a container\n      community.docker.docker_container:\n        name: web\n');
    const err = await loadError(file);
    expect(err.message).toBe(`couldn't resolve module/action 'community.docker.docker_container'. ${TAIL} The collection 'community.docker' is not available in tsbook.`);
    expect(err.source).toEqual({ file, line: 5, col: 7 });
  });

  it('a module tsbook does not implement from a known collection lists what it does implement', async () => {
    const file = playbook('    - community.general.timezone:\n        name: Europe/Paris\n');
    const err = await loadError(file);
    expect(err.message).toContain(`couldn't resolve module/action 'community.general.timezone'. ${TAIL} The module 'timezone' of the collection 'community.general' is not available in tsbook (it implements: community.general.modprobe`);
    expect(err.source).toEqual({ file, line: 4, col: 7 });
    const typo = await loadError(playbook('    - community.general.modprob: {name: x}\n'));
    expect(typo.message).toMatch(/Did you mean 'community\.general\.modprobe'\?$/);
  });

  it('local_action/action with a collection module say the same', async () => {
    const err = await loadError(playbook('    - action: community.crypto.openssl_privatekey path=/tmp/k\n'));
    expect(err.message).toBe(`couldn't resolve module/action 'community.crypto.openssl_privatekey'. ${TAIL} The collection 'community.crypto' is not available in tsbook.`);
  });

  it('tsbook run --syntax-check exits 4 with the location', () => {
    const file = playbook('    - name: run a container\n      community.docker.docker_container:\n        name: web\n');
    const r = spawnSync(process.execPath, [BIN, 'run', '--syntax-check', '-i', 'localhost,', file], { encoding: 'utf8' });
    expect(r.status).toBe(4);
    expect(r.stderr).toContain(`${file}:5:7: couldn't resolve module/action 'community.docker.docker_container'.`);
  });

  it.runIf(RUN_ORACLE)("mirrors ansible-playbook --syntax-check's wording and exit code for a missing collection", () => {
    const file = playbook('    - name: run a container\n      community.nosuch.thing:\n        name: web\n');
    const a = spawnSync('ansible-playbook', ['--syntax-check', '-i', 'localhost,', file], { encoding: 'utf8', env: ANSIBLE_ENV });
    const t = spawnSync(process.execPath, [BIN, 'run', '--syntax-check', '-i', 'localhost,', file], { encoding: 'utf8' });
    expect(a.status).toBe(4);
    expect(t.status).toBe(4);
    const sentence = `couldn't resolve module/action 'community.nosuch.thing'. ${TAIL}`;
    expect(a.stderr).toContain(sentence);
    expect(t.stderr).toContain(sentence);
  }, 60_000);
});
