import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { templateModule, prepareTemplateSource, finishRendered } from '../../src/modules/template.js';
import { localContext, tempDir } from '../support/file-module-context.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(async () => cleanup());

describe('template', () => {
  it('renders from templates/, keeps the trailing newline, and is idempotent', async () => {
    await mkdir(join(dir, 'templates'));
    await writeFile(join(dir, 'templates', 'motd.j2'), 'Hello {{ who }}\n{% for i in [1,2] %}\n{{ i }}\n{% endfor %}\n');
    const dest = join(dir, 'motd');
    const opts = { localDir: dir, vars: { who: 'world' } };
    const r1 = await templateModule.run({ src: 'motd.j2', dest, mode: '0600' }, localContext({ ...opts, diff: true }));
    expect(r1.changed).toBe(true);
    expect(await readFile(dest, 'utf8')).toBe('Hello world\n1\n2\n');
    expect(r1.values).toMatchObject({ dest, mode: '0600', state: 'file', size: 16 });
    expect(r1.diff?.[0]).toMatchObject({ before: '', after: 'Hello world\n1\n2\n', after_header: join(dir, 'templates', 'motd.j2') });
    const r2 = await templateModule.run({ src: 'motd.j2', dest, mode: '0600' }, localContext(opts));
    expect(r2.changed).toBe(false);
    const r3 = await templateModule.run({ src: 'motd.j2', dest }, localContext({ ...opts, check: true, vars: { who: 'you' } }));
    expect(r3.changed).toBe(true);
    expect(await readFile(dest, 'utf8')).toBe('Hello world\n1\n2\n');
  });

  it('applies newline_sequence, lstrip_blocks and trim_blocks=false as source adaptations', () => {
    expect(prepareTemplateSource('  {% if x %}\na\n', { trimBlocks: true, lstripBlocks: true, newline: '\n' })).toBe('{% if x %}\na\n');
    expect(prepareTemplateSource('{% if x %}\na\n{%- endif %}\n', { trimBlocks: false, lstripBlocks: false, newline: '\n' })).toBe(
      '{% if x %}\n\na\n{%- endif %}\n\n',
    );
    expect(finishRendered('a\n\n', 'a', '\r\n')).toBe('a\r\n\r\n');
  });

  it('fails when the template is missing', async () => {
    await expect(templateModule.run({ src: 'nope.j2', dest: join(dir, 'x') }, localContext({ localDir: dir }))).rejects.toThrow(
      "Could not find or access 'nope.j2'",
    );
  });
});
