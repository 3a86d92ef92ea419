/**
 * lineinfile, blockinfile, copy and template against ansible-playbook (local connection, temp dirs):
 * one playbook per side over identical fixtures; every task's status and registered result must be
 * equal (paths, backup timestamps and the action's temp `src` normalised), and so must the files,
 * symlinks and modes left behind.
 */
import { mkdir, readdir, readFile, readlink, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/file-module-context.js';
import { ansibleAvailable, runAnsible, runTsbook, writePlaybook, type TaskOutcome } from '../support/playbook-oracle.js';

type Dict = Record<string, unknown>;
const ansible = await ansibleAvailable();

async function fixtures(d: string): Promise<void> {
  const files: Record<string, string> = {
    'backref.txt': 'foo=1\nbar=2\n',
    'multi.txt': 'a\nx\na\nx\n',
    'absent.txt': 'keep\nrm 1\nkeep2\nrm 2\nliteral [x]\n',
    'block.txt': 'line1\nline2\n',
    'block2.txt': 'line1\n# START X\nold\n# STOP X\nline2\n',
    'srcdir/a.txt': 'A\n',
    'srcdir/sub/b.txt': 'B\n',
    'one/only.txt': 'only\n',
    'exist/srcdir/a.txt': 'OLD\n',
    'exist/keep.txt': 'keep\n',
    'existing.txt': 'old\n',
    'remote.txt': 'remote content\n',
    't.j2': '{% if true %}\n  hello {{ 1 + 1 }}\n  {% for i in [1,2] %}\n  item {{ i }}\n  {% endfor %}\n{% endif %}\ncafé\n',
    'euro.j2': 'price: 5 €\n',
  };
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(join(d, rel, '..'), { recursive: true });
    await writeFile(join(d, rel), text);
  }
  await symlink('a.txt', join(d, 'srcdir/link.txt'));
}

function tasks(d: string): Dict[] {
  const li = (name: string, args: Dict, extra: Dict = {}) => ({ name, lineinfile: args, ...extra });
  const bi = (name: string, args: Dict, extra: Dict = {}) => ({ name, blockinfile: args, ...extra });
  const marker = { marker: '# {mark} X', marker_begin: 'START', marker_end: 'STOP' };
  return [
    li('backrefs', { path: `${d}/backref.txt`, regexp: '^foo=(\\d+)', line: 'foo=\\1 # was', backrefs: true }),
    li('backrefs without a match', { path: `${d}/backref.txt`, regexp: '^zzz=(\\d+)', line: 'z=\\1', backrefs: true }),
    li('insertafter firstmatch', { path: `${d}/multi.txt`, line: 'NEW1', insertafter: '^a', firstmatch: true }),
    li('insertbefore firstmatch', { path: `${d}/multi.txt`, line: 'NEW2', insertbefore: '^x', firstmatch: true }),
    li('insertafter last match', { path: `${d}/multi.txt`, line: 'NEW3', insertafter: '^a' }),
    li('insertbefore BOF', { path: `${d}/multi.txt`, line: 'TOP', insertbefore: 'BOF' }),
    li('create with mode', { path: `${d}/new.txt`, line: 'hello', create: true, mode: '0600' }),
    li('create with mode again', { path: `${d}/new.txt`, line: 'hello', create: true, mode: '0600' }),
    li('absent by regexp', { path: `${d}/absent.txt`, regexp: '^rm', state: 'absent' }),
    li('absent by search_string', { path: `${d}/absent.txt`, search_string: '[x]', state: 'absent' }),
    li('search_string replaces', { path: `${d}/absent.txt`, search_string: 'keep2', line: 'kept' }),
    li('absent on a missing file', { path: `${d}/nofile.txt`, line: 'x', state: 'absent' }),
    li('missing file without create', { path: `${d}/nofile.txt`, line: 'x' }, { ignore_errors: true }),
    li('lineinfile backup', { path: `${d}/backref.txt`, line: 'added', backup: true }),
    li('lineinfile check mode create', { path: `${d}/checked.txt`, line: 'x', create: true }, { check_mode: true }),
    bi('markers with marker_begin/end at BOF', { path: `${d}/block.txt`, block: 'b1\nb2', insertbefore: 'BOF', ...marker }),
    bi('same block again', { path: `${d}/block.txt`, block: 'b1\nb2', insertbefore: 'BOF', ...marker }),
    bi('replace between custom markers', { path: `${d}/block2.txt`, block: 'new', ...marker }),
    bi('insertafter regex', { path: `${d}/block.txt`, block: 'c', insertafter: '^line1' }),
    bi('remove a block', { path: `${d}/block2.txt`, state: 'absent', ...marker }),
    bi('create with mode', { path: `${d}/bnew.txt`, block: 'x', create: true, mode: '0640' }),
    bi('blockinfile backup', { path: `${d}/block.txt`, block: 'zz', marker: '## {mark}', backup: true }),
    bi('blockinfile check mode create', { path: `${d}/bchecked.txt`, block: 'x', create: true }, { check_mode: true }),
    { name: 'copy backup', copy: { dest: `${d}/existing.txt`, content: 'new\n', backup: true } },
    { name: 'copy remote_src file', copy: { src: `${d}/remote.txt`, dest: `${d}/rcopy.txt`, remote_src: true } },
    { name: 'copy directory contents (trailing slash)', copy: { src: `${d}/srcdir/`, dest: `${d}/out1` } },
    { name: 'copy directory itself', copy: { src: `${d}/srcdir`, dest: `${d}/out2` } },
    { name: 'copy directory itself again', copy: { src: `${d}/srcdir`, dest: `${d}/out2` } },
    { name: 'copy a one-file directory', copy: { src: `${d}/one/`, dest: `${d}/o2/`, mode: '0600', directory_mode: '0750' } },
    { name: 'copy directory, links kept', copy: { src: `${d}/srcdir/`, dest: `${d}/l2`, local_follow: false } },
    { name: 'remote_src directory contents', copy: { src: `${d}/srcdir/`, dest: `${d}/out3`, remote_src: true } },
    { name: 'remote_src directory itself', copy: { src: `${d}/srcdir`, dest: `${d}/out4`, remote_src: true } },
    { name: 'remote_src directory itself again', copy: { src: `${d}/srcdir`, dest: `${d}/out4`, remote_src: true } },
    { name: 'remote_src sync into an existing copy', copy: { src: `${d}/srcdir`, dest: `${d}/exist`, remote_src: true } },
    { name: 'remote_src directory check mode', copy: { src: `${d}/srcdir/`, dest: `${d}/exist3/`, remote_src: true }, check_mode: true },
    { name: 'template defaults', template: { src: `${d}/t.j2`, dest: `${d}/t1.txt` } },
    { name: 'template trim_blocks false', template: { src: `${d}/t.j2`, dest: `${d}/t2.txt`, trim_blocks: false } },
    { name: 'template lstrip_blocks', template: { src: `${d}/t.j2`, dest: `${d}/t3.txt`, lstrip_blocks: true } },
    { name: 'template CRLF', template: { src: `${d}/t.j2`, dest: `${d}/t4.txt`, newline_sequence: '\\r\\n' } },
    { name: 'template latin-1', template: { src: `${d}/t.j2`, dest: `${d}/t5.txt`, output_encoding: 'latin-1' } },
    { name: 'template latin-1 again', template: { src: `${d}/t.j2`, dest: `${d}/t5.txt`, output_encoding: 'latin-1' } },
    { name: 'template backup', template: { src: `${d}/t.j2`, dest: `${d}/t1.txt`, backup: true, trim_blocks: false } },
  ];
}

const BACKUP = /\.\d+\.\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d~$/;

/** Results with the side's directory, backup stamps and the copy action's temp source normalised. */
function normalise(outcomes: readonly TaskOutcome[], d: string): TaskOutcome[] {
  return outcomes.map((o) => {
    const text = JSON.stringify(o.result).split(d).join('<D>');
    const result = JSON.parse(text) as Dict;
    for (const key of ['backup', 'backup_file']) {
      if (typeof result[key] === 'string' && result[key] !== '') result[key] = (result[key] as string).replace(BACKUP, '.<stamp>~');
    }
    if (typeof result.src === 'string' && /(ansible-tmp-.*\/source|\.tsbook_tmp_\w+)$/.test(result.src)) result.src = '<tmp>';
    return { ...o, result };
  });
}

async function tree(d: string, rel = ''): Promise<Dict> {
  const out: Dict = {};
  for (const e of await readdir(join(d, rel), { withFileTypes: true })) {
    const p = join(rel, e.name);
    if (p.endsWith('.yml') || p === 'inventory.ini') continue;
    const key = p.replace(BACKUP, '.<stamp>~');
    if (e.isSymbolicLink()) out[key] = `-> ${await readlink(join(d, p))}`;
    else if (e.isDirectory()) Object.assign(out, { [`${key}/`]: ((await stat(join(d, p))).mode & 0o7777).toString(8) }, await tree(d, p));
    else out[key] = `${((await stat(join(d, p))).mode & 0o7777).toString(8)} ${(await readFile(join(d, p))).toString('latin1')}`;
  }
  return out;
}

describe.runIf(ansible)('lineinfile, blockinfile, copy and template against ansible-playbook', () => {
  let dir: { dir: string; cleanup: () => Promise<void> };
  const sides: Record<string, { outcomes: TaskOutcome[]; files: Dict }> = {};

  beforeAll(async () => {
    dir = await tempDir();
    await Promise.all(
      ['ansible', 'tsbook'].map(async (side) => {
        const d = join(dir.dir, side);
        await mkdir(d);
        await fixtures(d);
        const pb = await writePlaybook(d, 'pb', tasks(d));
        const outcomes = side === 'ansible' ? await runAnsible(pb) : await runTsbook(pb);
        sides[side] = { outcomes: normalise(outcomes, d), files: await tree(d) };
      }),
    );
  }, 120_000);
  afterAll(async () => dir.cleanup());

  it.each(tasks('<D>').map((t, i) => [t.name as string, i] as const))('%s: same status and registered result', (_name, i) => {
    const a = sides.ansible!.outcomes[i]!;
    const t = sides.tsbook!.outcomes[i]!;
    expect(t.name).toBe(a.name);
    expect({ status: t.status, result: t.result }).toEqual({ status: a.status, result: a.result });
  });

  it('leaves the same files, links and modes', () => {
    expect(sides.tsbook!.files).toEqual(sides.ansible!.files);
    expect(Object.keys(sides.ansible!.files).length).toBeGreaterThan(30);
  });

  it('the template output_encoding error is Python\'s codec error', async () => {
    const { encodeOutput } = await import('../../src/modules/template.js');
    expect(() => encodeOutput('price: 5 €\n', 'latin-1')).toThrow("'latin-1' codec can't encode character '\\u20ac' in position 9: ordinal not in range(256)");
    expect(() => encodeOutput('é', 'ascii')).toThrow("'ascii' codec can't encode character '\\xe9' in position 0: ordinal not in range(128)");
    expect(encodeOutput('é\n', 'ISO-8859-1')).toEqual(Buffer.from([0xe9, 0x0a]));
    expect(encodeOutput('a', 'utf-16')).toEqual(Buffer.from([0xff, 0xfe, 0x61, 0x00]));
  });
});
