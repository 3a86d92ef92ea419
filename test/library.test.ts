import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as Tsbook from '../src/index.js';

// The package entry as users import it: `import { runPlaybook } from 'tsbook'` resolves to dist/index.js.
const entry = new URL('../dist/index.js', import.meta.url).href;

describe('library API', () => {
  it('loads an inventory and a playbook and runs it with typed events and a recap', async () => {
    const lib = (await import(entry)) as typeof Tsbook;
    const dir = mkdtempSync(join(tmpdir(), 'tsbook-lib-'));
    writeFileSync(join(dir, 'hosts.yml'), 'all:\n  hosts:\n    a: {ansible_connection: local}\n    b: {ansible_connection: local}\n');
    writeFileSync(
      join(dir, 'play.yml'),
      '- hosts: all\n  gather_facts: false\n  tasks:\n    - command: echo {{ inventory_hostname }}\n      register: out\n    - assert: {that: "out.stdout == inventory_hostname"}\n',
    );
    const inventory = await lib.loadInventory([join(dir, 'hosts.yml')]);
    const playbook = await lib.loadPlaybook(join(dir, 'play.yml'));
    const seen: string[] = [];
    const result = await lib.runPlaybook({ playbooks: [playbook], inventory, onEvent: (e) => seen.push(e.event) });
    expect(result.exitCode).toBe(0);
    expect(result.stats.a).toEqual({ ok: 2, changed: 1, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 });
    expect(seen[0]).toBe('run_start');
    expect(seen.at(-1)).toBe('recap');
  });
});
