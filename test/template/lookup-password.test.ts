import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPlaybook } from '../../src/engine/run.js';
import type { RunEvent } from '../../src/events/types.js';
import { loadPlaybook } from '../../src/load/playbook.js';
import { shaCrypt } from '../../src/template/crypt.js';
import { Templar } from '../../src/template/index.js';
import { LOOKUPS } from '../../src/template/lookups.js';
import { makeInventory } from '../engine/helpers.js';
import { ANSIBLE_ENV, RUN_ORACLE } from '../load/inventory-oracle-support.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'tsbook-password-'));
const templar = (dir: string, vars: Record<string, unknown> = {}) => new Templar({ playbook_dir: dir, ...vars });

describe("lookup('password')", () => {
  it('creates the file (and its directory) on first use, returns its content afterwards', () => {
    const dir = tmp();
    const first = templar(dir).template("{{ lookup('password', 'creds/db/pass length=12 chars=ascii_letters,digits') }}");
    expect(first).toMatch(/^[A-Za-z0-9]{12}$/);
    const file = join(dir, 'creds/db/pass');
    expect(readFileSync(file, 'utf8')).toBe(`${first}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'creds/db')).mode & 0o777).toBe(0o700);
    // the stored value wins over new options
    expect(templar(dir).template("{{ lookup('password', 'creds/db/pass length=30') }}")).toBe(first);
    expect(templar(dir).template("{{ query('password', 'creds/db/pass') }}")).toEqual([first]);
    expect(readdirNoLock(join(dir, 'creds/db'))).toEqual(['pass']);
  });

  it('uses the default length (20) and character set, and keyword options', () => {
    const dir = tmp();
    expect(templar(dir).template("{{ lookup('password', '/dev/null') }}")).toMatch(/^[A-Za-z0-9.,:\-_]{20}$/);
    expect(templar(dir).template("{{ lookup('password', '/dev/null', length=8, chars=['digits']) }}")).toMatch(/^\d{8}$/);
    expect(templar(dir).template("{{ lookup('password', '/dev/null length=5 chars=,,') }}")).toBe(',,,,,');
  });

  it('generates every time from /dev/null and never writes it', () => {
    const t = templar(tmp());
    const a = t.template("{{ lookup('password', '/dev/null length=40') }}");
    const b = t.template("{{ lookup('password', '/dev/null length=40') }}");
    expect(a).not.toBe(b);
  });

  it("with seed= picks what Python's random.Random(seed) picks (values from ansible 2.14)", () => {
    const t = templar(tmp());
    expect(t.template("{{ lookup('password', '/dev/null seed=abc length=10') }}")).toBe('6TTuIhBjba');
    expect(t.template("{{ query('password', '/dev/null', seed='abc', length=10) }}")).toEqual(['6TTuIhBjba']);
  });

  it('with encrypt= keeps a salt in the file and returns the crypt string (as ansible 2.14 did)', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'e'), '.DO-qeoe5IC6-I3mVCZO salt=0c6ge9JFNEi/7d5B\n');
    expect(templar(dir).template("{{ lookup('password', 'e encrypt=sha512_crypt') }}")).toBe(
      '$6$rounds=656000$0c6ge9JFNEi/7d5B$DDXOmp1ztZ5FjiNoHo0YQPOVr0kj9xrJdK188Ors33KhjdA3pA4doVmBMoCqiFMOgYil.i7VC5QkAP3a13.H21',
    );
    // without encrypt the plaintext is returned
    expect(templar(dir).template("{{ lookup('password', 'e') }}")).toBe('.DO-qeoe5IC6-I3mVCZO');
  }, 60_000);

  it('sha256_crypt and sha512_crypt match glibc crypt', () => {
    expect(shaCrypt('sha256_crypt', 'secret', 'saltsalt', 5000)).toBe('$5$saltsalt$0IyaXrmV7.sGNS6tirgqHLqX/G.FBvgkYA.lpPdS5sA');
    expect(shaCrypt('sha512_crypt', 'secret', 'saltsalt', 5000)).toBe('$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1');
  });

  it("rejects unknown parameters with Ansible's message", () => {
    expect(() => templar(tmp()).template("{{ lookup('password', '/dev/null lenght=3') }}")).toThrow(/Unrecognized parameter\(s\) given to password lookup: lenght/);
  });

  it('marks generated passwords as secrets: the run redacts them in events', async () => {
    const dir = tmp();
    writeFileSync(
      join(dir, 'site.yml'),
      "- hosts: h\n  gather_facts: false\n  tasks:\n    - debug:\n        msg: \"pw={{ lookup('password', 'pw length=16') }}\"\n",
    );
    const events: RunEvent[] = [];
    await runPlaybook({ playbooks: [await loadPlaybook(join(dir, 'site.yml'))], inventory: makeInventory({ h: {} }), onEvent: (e) => void events.push(e) });
    const secret = readFileSync(join(dir, 'pw'), 'utf8').trim();
    expect(secret).toHaveLength(16);
    const text = JSON.stringify(events);
    expect(text).not.toContain(secret);
    expect(text).toContain('pw=********');
  });
});

function readdirNoLock(dir: string): string[] {
  return execFileSync('ls', ['-A', dir], { encoding: 'utf8' }).split('\n').filter((l) => l !== '');
}

describe('query()/q() with every lookup', () => {
  const dir = tmp();
  mkdirSync(join(dir, 'files'));
  mkdirSync(join(dir, 'templates'));
  writeFileSync(join(dir, 'files/a.txt'), 'A\n');
  writeFileSync(join(dir, 'templates/t.j2'), '{{ x }}');
  /** One call per lookup; the list query() must return. */
  const CASES: Record<string, { args: string; want: unknown[] | ((v: unknown[]) => boolean) }> = {
    pipe: { args: "'echo hi'", want: ['hi'] },
    lines: { args: "'printf \"a\\\\nb\\\\n\"'", want: ['a', 'b'] },
    fileglob: { args: "'*.txt'", want: [join(dir, 'files/a.txt')] },
    first_found: { args: "['nope.txt', 'a.txt']", want: [join(dir, 'files/a.txt')] },
    template: { args: "'t.j2'", want: ['1'] },
    random_choice: { args: "'only'", want: ['only'] },
    env: { args: "'TSBOOK_Q_TEST'", want: ['set'] },
    file: { args: "'a.txt'", want: ['A'] },
    vars: { args: "'x'", want: [1] },
    password: { args: "'/dev/null seed=s length=4'", want: (v) => v.length === 1 && typeof v[0] === 'string' && (v[0] as string).length === 4 },
    items: { args: '[1, [2, 3]]', want: [1, [2, 3]] },
    list: { args: '[1, [2, 3]]', want: [[1, [2, 3]]] },
    indexed_items: { args: "['a', 'b']", want: [[0, 'a'], [1, 'b']] },
    dict: { args: '{"k": 1}', want: [{ key: 'k', value: 1 }] },
    together: { args: "[1, 2, 3], ['a']", want: [[1, 'a'], [2, null], [3, null]] },
    nested: { args: "['a', 'b'], [1, 2]", want: [['a', 1], ['a', 2], ['b', 1], ['b', 2]] },
    cartesian: { args: "['a', 'b'], [1]", want: [['a', 1], ['b', 1]] },
    sequence: { args: "'start=0 end=10 stride=5 format=n%02d'", want: ['n00', 'n05', 'n10'] },
    varnames: { args: "'^x$'", want: ['x'] },
  };

  it('every registered lookup has a case here', () => {
    expect(Object.keys(LOOKUPS).filter((name) => !(name in CASES))).toEqual([]);
  });

  for (const [name, { args, want }] of Object.entries(CASES)) {
    it(`${name}: query, q and lookup(wantlist=True) return the same list`, () => {
      process.env.TSBOOK_Q_TEST = 'set';
      const t = new Templar({ playbook_dir: dir, ansible_search_path: [dir], x: 1 });
      const results = [`query('${name}', ${args})`, `q('${name}', ${args})`, `lookup('${name}', ${args}, wantlist=True)`].map((e) => t.template(`{{ ${e} }}`) as unknown[]);
      for (const got of results) {
        expect(Array.isArray(got)).toBe(true);
        if (typeof want === 'function') expect(want(got)).toBe(true);
        else expect(got).toEqual(want);
      }
    });
  }
});

describe.runIf(RUN_ORACLE)("lookup('password') vs ansible", () => {
  const ansible = (dir: string, term: string): string => {
    const out = execFileSync('ansible', ['localhost', '-m', 'debug', '-a', `msg={{ lookup('password', '${term}') }}`], { cwd: dir, env: ANSIBLE_ENV, encoding: 'utf8' });
    const m = /"msg": "(.*)"/.exec(out);
    if (!m) throw new Error(`unexpected ansible output: ${out}`);
    return m[1]!;
  };

  it('reads the file ansible created, and ansible reads the one tsbook created', () => {
    const dir = tmp();
    const byAnsible = ansible(dir, `${dir}/x/p length=12`);
    expect(byAnsible).toHaveLength(12);
    expect(readFileSync(join(dir, 'x/p'), 'utf8')).toBe(`${byAnsible}\n`);
    expect(templar(dir).template(`{{ lookup('password', '${dir}/x/p length=12') }}`)).toBe(byAnsible);

    const byTsbook = templar(dir).template(`{{ lookup('password', '${dir}/y/p length=9 chars=digits') }}`) as string;
    expect(existsSync(join(dir, 'y/p'))).toBe(true);
    expect(ansible(dir, `${dir}/y/p length=9 chars=digits`)).toBe(byTsbook);
  }, 60_000);
});
