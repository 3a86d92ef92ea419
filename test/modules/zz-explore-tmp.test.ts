import { mkdir, writeFile, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { it } from 'vitest';
import { runAnsible, runTsbook, writePlaybook } from '/work/main/test/support/playbook-oracle.js';
import { tempDir } from '/work/main/test/support/file-module-context.js';

type Dict = Record<string, unknown>;
const SCEN = process.env.SCEN ?? 'line';

async function setup(d: string): Promise<Dict[]> {
  await writeFile(join(d, 'backref.txt'), 'foo=1\nbar=2\n');
  await writeFile(join(d, 'multi.txt'), 'a\nx\na\nx\n');
  await writeFile(join(d, 'absent.txt'), 'keep\nrm 1\nkeep2\nrm 2\nliteral [x]\n');
  await writeFile(join(d, 'block.txt'), 'line1\nline2\n');
  await writeFile(join(d, 'block2.txt'), 'line1\n# START X\nold\n# STOP X\nline2\n');
  await mkdir(join(d, 'srcdir/sub'), { recursive: true });
  await writeFile(join(d, 'srcdir/a.txt'), 'A\n');
  await writeFile(join(d, 'srcdir/sub/b.txt'), 'B\n');
  await writeFile(join(d, 'existing.txt'), 'old\n');
  await writeFile(join(d, 'remote.txt'), 'remote content\n');
  await writeFile(join(d, 't.j2'), '{% if true %}\n  hello {{ 1 + 1 }}\n  {% for i in [1,2] %}\n  item {{ i }}\n  {% endfor %}\n{% endif %}\ncafé\n');
  if (SCEN === 'line') return [
    { name: 'backrefs', lineinfile: { path: `${d}/backref.txt`, regexp: '^foo=(\\d+)', line: 'foo=\\1 # was', backrefs: true } },
    { name: 'backrefs nomatch', lineinfile: { path: `${d}/backref.txt`, regexp: '^zzz=(\\d+)', line: 'z=\\1', backrefs: true } },
    { name: 'insertafter firstmatch', lineinfile: { path: `${d}/multi.txt`, line: 'NEW1', insertafter: '^a', firstmatch: true } },
    { name: 'insertbefore firstmatch', lineinfile: { path: `${d}/multi.txt`, line: 'NEW2', insertbefore: '^x', firstmatch: true } },
    { name: 'insertafter last', lineinfile: { path: `${d}/multi.txt`, line: 'NEW3', insertafter: '^a' } },
    { name: 'insertbefore BOF', lineinfile: { path: `${d}/multi.txt`, line: 'TOP', insertbefore: 'BOF' } },
    { name: 'create mode', lineinfile: { path: `${d}/new.txt`, line: 'hello', create: true, mode: '0600' } },
    { name: 'create mode again', lineinfile: { path: `${d}/new.txt`, line: 'hello', create: true, mode: '0600' } },
    { name: 'absent regexp', lineinfile: { path: `${d}/absent.txt`, regexp: '^rm', state: 'absent' } },
    { name: 'absent search_string', lineinfile: { path: `${d}/absent.txt`, search_string: '[x]', state: 'absent' } },
    { name: 'absent none', lineinfile: { path: `${d}/absent.txt`, search_string: 'nothing', state: 'absent' } },
    { name: 'search_string replace', lineinfile: { path: `${d}/absent.txt`, search_string: 'keep2', line: 'kept' } },
    { name: 'absent missing file', lineinfile: { path: `${d}/nofile.txt`, line: 'x', state: 'absent' } },
    { name: 'missing no create', lineinfile: { path: `${d}/nofile.txt`, line: 'x' }, ignore_errors: true },
    { name: 'backup', lineinfile: { path: `${d}/backref.txt`, line: 'added', backup: true } },
  ];
  if (SCEN === 'block') return [
    { name: 'custom markers', blockinfile: { path: `${d}/block.txt`, block: 'b1\nb2', marker: '# {mark} X', marker_begin: 'START', marker_end: 'STOP', insertbefore: 'BOF' } },
    { name: 'again', blockinfile: { path: `${d}/block.txt`, block: 'b1\nb2', marker: '# {mark} X', marker_begin: 'START', marker_end: 'STOP', insertbefore: 'BOF' } },
    { name: 'replace', blockinfile: { path: `${d}/block2.txt`, block: 'new', marker: '# {mark} X', marker_begin: 'START', marker_end: 'STOP' } },
    { name: 'insertafter regex', blockinfile: { path: `${d}/block.txt`, block: 'c', insertafter: '^line1' } },
    { name: 'remove', blockinfile: { path: `${d}/block2.txt`, marker: '# {mark} X', marker_begin: 'START', marker_end: 'STOP', state: 'absent' } },
    { name: 'remove again', blockinfile: { path: `${d}/block2.txt`, marker: '# {mark} X', marker_begin: 'START', marker_end: 'STOP', state: 'absent' } },
    { name: 'create', blockinfile: { path: `${d}/bnew.txt`, block: 'x', create: true, mode: '0640' } },
    { name: 'empty block', blockinfile: { path: `${d}/block.txt`, block: '', insertafter: '^line1' } },
    { name: 'missing', blockinfile: { path: `${d}/nofile.txt`, block: 'x' }, ignore_errors: true },
    { name: 'backup', blockinfile: { path: `${d}/block.txt`, block: 'zz', marker: '## {mark}', backup: true } },
  ];
  if (SCEN === 'copy') return [
    { name: 'backup', copy: { dest: `${d}/existing.txt`, content: 'new\n', backup: true } },
    { name: 'remote_src', copy: { src: `${d}/remote.txt`, dest: `${d}/rcopy.txt`, remote_src: true } },
    { name: 'remote_src again', copy: { src: `${d}/remote.txt`, dest: `${d}/rcopy.txt`, remote_src: true } },
    { name: 'dir slash', copy: { src: `${d}/srcdir/`, dest: `${d}/out1` } },
    { name: 'dir noslash', copy: { src: `${d}/srcdir`, dest: `${d}/out2` } },
    { name: 'dir noslash again', copy: { src: `${d}/srcdir`, dest: `${d}/out2` } },
    { name: 'remote dir slash', copy: { src: `${d}/srcdir/`, dest: `${d}/out3`, remote_src: true } },
    { name: 'remote dir noslash', copy: { src: `${d}/srcdir`, dest: `${d}/out4`, remote_src: true } },
    { name: 'remote dir noslash again', copy: { src: `${d}/srcdir`, dest: `${d}/out4`, remote_src: true } },
    { name: 'content mode', copy: { dest: `${d}/cm.txt`, content: 'x', mode: '0600' } },
  ];
  return [
    { name: 'default', template: { src: `${d}/t.j2`, dest: `${d}/t1.txt` } },
    { name: 'trim false', template: { src: `${d}/t.j2`, dest: `${d}/t2.txt`, trim_blocks: false } },
    { name: 'lstrip', template: { src: `${d}/t.j2`, dest: `${d}/t3.txt`, lstrip_blocks: true } },
    { name: 'crlf', template: { src: `${d}/t.j2`, dest: `${d}/t4.txt`, newline_sequence: '\\r\\n' } },
    { name: 'latin1', template: { src: `${d}/t.j2`, dest: `${d}/t5.txt`, output_encoding: 'latin-1' } },
    { name: 'latin1 again', template: { src: `${d}/t.j2`, dest: `${d}/t5.txt`, output_encoding: 'latin-1' } },
    { name: 'backup', template: { src: `${d}/t.j2`, dest: `${d}/t1.txt`, backup: true, trim_blocks: false } },
  ];
}

async function tree(d: string, rel = ''): Promise<Dict> {
  const out: Dict = {};
  for (const e of await readdir(join(d, rel), { withFileTypes: true })) {
    const p = join(rel, e.name);
    if (e.isDirectory()) Object.assign(out, await tree(d, p));
    else out[p.replace(/\.\d+\.\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d~$/, '.BACKUP~')] = (await readFile(join(d, p))).toString('latin1');
  }
  return out;
}

it('explore', async () => {
  const { dir, cleanup } = await tempDir();
  const res: Dict = {};
  for (const side of ['ansible', 'tsbook']) {
    const d = join(dir, side);
    await mkdir(d);
    const tasks = await setup(d);
    const pb = await writePlaybook(d, 'pb', tasks);
    const out = side === 'ansible' ? await runAnsible(pb) : await runTsbook(pb);
    const norm = JSON.parse(JSON.stringify(out).split(d).join('<D>'));
    res[side] = { out: norm, files: await tree(d) };
  }
  const a = res.ansible as { out: { name: string; status: string; result: Dict }[]; files: Dict };
  const t = res.tsbook as typeof a;
  for (let i = 0; i < Math.max(a.out.length, t.out.length); i++) {
    const x = a.out[i], y = t.out[i];
    const keys = new Set([...Object.keys(x?.result ?? {}), ...Object.keys(y?.result ?? {})]);
    const diffs: string[] = [];
    if (x?.status !== y?.status) diffs.push(`status ${x?.status} vs ${y?.status}`);
    for (const k of keys) {
      const av = JSON.stringify(x?.result[k]), tv = JSON.stringify(y?.result[k]);
      if (av !== tv) diffs.push(`  ${k}: A=${av} T=${tv}`);
    }
    console.log(`## ${x?.name ?? y?.name}: ${diffs.length ? '\n' + diffs.join('\n') : 'SAME'}`);
  }
  for (const f of new Set([...Object.keys(a.files), ...Object.keys(t.files)])) {
    if (a.files[f] !== t.files[f]) console.log(`FILE ${f}: A=${JSON.stringify(a.files[f])} T=${JSON.stringify(t.files[f])}`);
  }
  await cleanup();
}, 120000);
