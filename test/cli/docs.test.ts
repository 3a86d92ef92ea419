import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { anchor, renderModulesDoc, typeText } from '../../src/cli/docs.js';
import { allModules } from '../../src/modules/registry.js';

const DOC = new URL('../../docs/modules.md', import.meta.url);

describe('docs/modules.md', () => {
  it('is current (regenerate with `npx tsc -p tsconfig.json && node bin/tsbook docs --write`)', () => {
    const onDisk = readFileSync(DOC, 'utf8');
    expect(onDisk === renderModulesDoc(), 'docs/modules.md is stale: run `npx tsc -p tsconfig.json && node bin/tsbook docs --write`').toBe(true);
  });

  it('has a section and an index row for every module, and a row for every argument', () => {
    const doc = renderModulesDoc();
    for (const module of allModules()) {
      expect(doc).toContain(`\n## ${module.name}\n\n${module.description}\n`);
      expect(doc).toContain(`| [\`${module.name}\`](#${anchor(module.name)}) |`);
      for (const arg of Object.keys((module.args['properties'] ?? {}) as object)) {
        const section = doc.slice(doc.indexOf(`\n## ${module.name}\n`), doc.indexOf('\n## ', doc.indexOf(`\n## ${module.name}\n`) + 1) >>> 0);
        expect(section).toContain(`| \`${arg}\` |`);
      }
    }
  });

  it('shows types, required arguments, defaults, choices and secrets', () => {
    const doc = renderModulesDoc();
    const section = (name: string): string => {
      const start = doc.indexOf(`\n## ${name}\n`);
      const end = doc.indexOf('\n## ', start + 1);
      return doc.slice(start, end < 0 ? undefined : end);
    };
    expect(section('kubeadm_token')).toContain('- **Secret return values:** `token`, `join_command`, `certificate_key`');
    expect(section('kubeadm_token')).toMatch(/\| `state` \| string \|  \| `present` \| `present`, `absent` \|/);
    expect(section('file')).toContain('- **Required:** one of `path`, `dest`, `name`.');
    expect(section('wait_for')).toContain('- **Check mode:** not supported');
    expect(section('debug')).toContain('- **Runs on:** the controller');
    expect(section('setup')).toContain('- **Also called:** `gather_facts`');
    expect(section('set_fact')).toContain('Arguments: any `name: value` pairs, and the ones below. Each key is a variable name');
    expect(section('command')).toContain('- **Free-form:** `command: <text>` sets `cmd` (optional).');
  });

  it('names types in words', () => {
    expect(typeText({ anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] })).toBe('string | list of string');
    expect(typeText({ type: ['object', 'null'] })).toBe('mapping | null');
    expect(typeText({ enum: ['a', 'b'] })).toBe('string');
    expect(typeText({ description: 'anything' })).toBe('any');
    expect(typeText({ type: 'array', items: { type: ['string', 'object'] } })).toBe('list of (string | mapping)');
  });
});
