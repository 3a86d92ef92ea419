import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TemplateError } from '../../src/model/errors.js';
import { Templar } from '../../src/template/index.js';

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsbook-lookups-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe('lookups that read the controller', () => {
  const dir = tree({
    'files/a.conf': 'A\n',
    'files/b.conf': 'B\n',
    'files/.hidden.conf': 'H\n',
    'files/sub/c.txt': 'C\n',
    'roles/r/tasks/main.yml': '- debug: {}\n',
    'roles/r/files/role.txt': 'R\n',
    'roles/r/templates/t.j2': '{{ who }}={{ n + 1 }}\n\n',
  });
  const t = (vars: Record<string, unknown> = {}) => new Templar({ playbook_dir: dir, ansible_search_path: [dir], who: 'me', n: 1, ...vars });

  it('pipe runs in the playbook dir and strips trailing whitespace; lines splits', () => {
    expect(t().template("{{ lookup('pipe', 'pwd') }}")).toBe(dir);
    expect(t().template("{{ lookup('pipe', 'printf \"a\\n\\n\"') }}")).toBe('a');
    expect(t().template("{{ query('lines', 'printf \"x\\ny\\n\"') }}")).toEqual(['x', 'y']);
    expect(t().template("{{ lookup('pipe', 'exit 2', errors='ignore') }}")).toBe('');
  });

  it('fails a pipe whose command fails, as Ansible words it', () => {
    expect(() => t().template("{{ lookup('pipe', 'exit 3') }}")).toThrow(/lookup_plugin\.pipe\(exit 3\) returned 3/);
  });

  it('fileglob matches files (not hidden ones) under files/ of the search path, sorted', () => {
    expect(t().template("{{ query('fileglob', '*.conf') }}")).toEqual([join(dir, 'files/a.conf'), join(dir, 'files/b.conf')]);
    expect(t().template("{{ query('fileglob', 'sub/*') }}")).toEqual([join(dir, 'files/sub/c.txt')]);
    expect(t().template("{{ query('fileglob', '*.none') }}")).toEqual([]);
  });

  it('first_found takes lists, files+paths dicts and skip', () => {
    expect(t().template("{{ lookup('first_found', ['nope', 'b.conf', 'a.conf']) }}")).toBe(join(dir, 'files/b.conf'));
    expect(t().template("{{ lookup('first_found', {'files': 'x.txt,c.txt', 'paths': 'nowhere:sub'}) }}")).toBe(join(dir, 'files/sub/c.txt'));
    expect(t().template("{{ query('first_found', ['nope'], skip=True) }}")).toEqual([]);
    expect(() => t().template("{{ lookup('first_found', ['nope']) }}")).toThrow(/No file was found when using first_found/);
  });

  it("searches a role's files/ and templates/ when the search path has its tasks dir", () => {
    const role = t({ ansible_search_path: [join(dir, 'roles/r'), join(dir, 'roles/r/tasks'), dir] });
    expect(role.template("{{ lookup('file', 'role.txt') }}")).toBe('R');
    expect(role.template("{{ lookup('template', 't.j2') }}")).toBe('me=2\n\n');
  });

  it('Templar.lookup runs with_<lookup> loops and wraps errors in a TemplateError', () => {
    expect(t().lookup('fileglob', ['a.*'])).toEqual([join(dir, 'files/a.conf')]);
    expect(() => t().lookup('first_found', ['missing'])).toThrow(TemplateError);
    expect(() => t().lookup('nosuch', [])).toThrow(/lookup plugin \(nosuch\) not found/);
  });
});
