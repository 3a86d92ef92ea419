import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadInventory } from '../../src/load/inventory.js';
import { selectHosts } from '../../src/load/patterns.js';
import { ANSIBLE_ENV, FIXTURES, RUN_ORACLE, requireAnsible, runOracle } from './inventory-oracle-support.js';

const SOURCES = ['nested.yaml', 'ranges.ini'];

/** Patterns evaluated against nested.yaml + ranges.ini. */
const PATTERNS: readonly string[] = [
  'all',
  '*',
  'ungrouped',
  'site',
  'dc1',
  'rack_a',
  'n1',
  'n1,n3',
  'n3,n1,n3',
  'rack_a:rack_b',
  'site:&monitoring',
  'site:!dc2',
  'all:!rack_a:&site',
  '!pis',
  '&pis',
  'n*',
  '*.lab',
  'pi0[1-3]',
  '~pi0[2-5]',
  '~^s\\d',
  '~rack',
  'pis[0]',
  'pis[-1]',
  'pis[1:3]',
  'pis[5:]',
  'pis[:2]',
  'pis[2-4]',
  'letters[1:2],stride[0]',
  ' pis , letters ',
  'pis letters',
  'localhost',
  '127.0.0.1',
  'nonexistent',
  'nonexistent,pis[0]',
  'node-[a-c]',
  'node-[!a-c]',
  'rack*',
  '~.*[ab]$',
  '2001:db8::1',
  '10.9.9.*',
  'ports:&multi',
  'monitoring[0]',
  'all[0]',
  'all[-1]',
  'site[1:]',
  'dc*',
  'a*',
  'shared_rack',
  'shared_rack:!n2',
  'pis:letters:!node-b:&all',
  '~',
  'web[1:x]',
  'stride:multi[1]',
];

const LIMITED: readonly { pattern: string; limit: string }[] = [
  { pattern: 'all', limit: 'dc1' },
  { pattern: 'site', limit: 'rack_a,n4' },
  { pattern: 'pis', limit: '!pi01' },
  { pattern: 'all', limit: '@limit.txt' },
  { pattern: 'site:monitoring', limit: 'n*:!n4' },
  { pattern: 'localhost', limit: 'localhost' },
];

/** Patterns Ansible rejects (evaluated by the order oracle only: one would abort a playbook run). */
const FAILING: readonly string[] = ['~(x', 'pis[9]', 'pis[-10]', 'n1,~[', 'dc2[1]'];

interface OracleAnswer {
  readonly hosts?: string[];
  readonly error?: string;
}

function playbook(patterns: readonly string[]): string {
  return patterns.map((p, i) => `- name: p${i + 1}\n  hosts: ${JSON.stringify(p)}\n  gather_facts: false\n  tasks: []\n`).join('');
}

/** Host sets per play from `ansible-playbook --list-hosts` (Ansible prints them from a set). */
function parseListHosts(out: string): string[][] {
  const plays: string[][] = [];
  let current: string[] | undefined;
  for (const line of out.split('\n')) {
    if (/^ {2}play #\d+/.test(line)) {
      current = [];
      plays.push(current);
    } else if (current && /^ {6}\S/.test(line)) current.push(line.trim());
  }
  return plays;
}

describe.runIf(RUN_ORACLE)('selectHosts vs ansible-core', () => {
  it(`has at least 25 patterns (${PATTERNS.length})`, () => {
    expect(PATTERNS.length).toBeGreaterThanOrEqual(25);
  });

  it('selects the same hosts in the same order as InventoryManager.get_hosts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsbook-patterns-'));
    try {
      writeFileSync(join(dir, 'limit.txt'), 'n1\nn3\n\npi02\n');
      const sources = SOURCES.map((s) => join(FIXTURES, s));
      const cases = [...PATTERNS.map((pattern) => ({ pattern, limit: null })), ...FAILING.map((pattern) => ({ pattern, limit: null })), ...LIMITED];
      const expected = runOracle<OracleAnswer[]>('patterns_oracle.py', { sources, cases }, dir);
      const inv = await loadInventory(sources);
      cases.forEach((c, i) => {
        const exp = expected[i]!;
        const run = (): string[] => selectHosts(inv, c.pattern, { ...(c.limit !== null ? { limit: c.limit } : {}), cwd: dir });
        if (FAILING.includes(c.pattern)) expect(exp.error, c.pattern).toBeDefined();
        if (exp.error !== undefined) expect(run, `${c.pattern} --limit ${c.limit}`).toThrow(exp.error);
        else expect(run(), `${c.pattern} --limit ${c.limit}`).toEqual(exp.hosts);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('agrees with ansible-playbook --list-hosts for every pattern', async () => {
    requireAnsible();
    const dir = mkdtempSync(join(tmpdir(), 'tsbook-listhosts-'));
    try {
      const book = join(dir, 'pb.yml');
      writeFileSync(book, playbook(PATTERNS));
      const args = ['--list-hosts', book, ...SOURCES.flatMap((s) => ['-i', join(FIXTURES, s)])];
      const out = execFileSync('ansible-playbook', args, { cwd: dir, env: ANSIBLE_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      const plays = parseListHosts(out);
      expect(plays).toHaveLength(PATTERNS.length);
      const inv = await loadInventory(SOURCES.map((s) => join(FIXTURES, s)));
      PATTERNS.forEach((p, i) => {
        expect([...selectHosts(inv, p)].sort(), p).toEqual([...plays[i]!].sort());
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
