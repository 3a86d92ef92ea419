import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const srcRoot = resolve(new URL('../src', import.meta.url).pathname);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Relative imports of each file (type-only imports included: they still couple the layers). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(srcRoot)) {
    const text = readFileSync(file, 'utf8');
    const targets: string[] = [];
    for (const m of text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g)) {
      const spec = (m[1] ?? m[2])!;
      targets.push(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
    }
    graph.set(file, targets);
  }
  return graph;
}

const layerOf = (file: string) => relative(srcRoot, file).split('/')[0]!;

describe('architecture', () => {
  it('has no import cycles in src/ (value imports)', () => {
    const graph = new Map<string, string[]>();
    for (const file of sourceFiles(srcRoot)) {
      const text = readFileSync(file, 'utf8');
      const targets: string[] = [];
      for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s+(?!type\b)[^'"]*?from\s+['"](\.[^'"]+)['"]/g)) {
        targets.push(resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts')));
      }
      graph.set(file, targets);
    }
    const state = new Map<string, 'visiting' | 'done'>();
    const cycles: string[] = [];
    const visit = (file: string, stack: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'visiting') {
        cycles.push([...stack.slice(stack.indexOf(file)), file].map((f) => relative(srcRoot, f)).join(' -> '));
        return;
      }
      state.set(file, 'visiting');
      for (const next of graph.get(file) ?? []) visit(next, [...stack, file]);
      state.set(file, 'done');
    };
    for (const file of graph.keys()) visit(file, []);
    expect(cycles).toEqual([]);
  });

  it('keeps data flowing one way: load -> model -> engine -> modules -> connections', () => {
    const forbidden: Record<string, readonly string[]> = {
      model: ['load', 'engine', 'modules', 'connection', 'output', 'cli', 'template', 'lab'],
      load: ['engine', 'output', 'cli', 'connection', 'lab'],
      template: ['engine', 'output', 'cli', 'connection', 'modules', 'lab'],
      engine: ['output', 'cli', 'lab'],
      modules: ['engine', 'output', 'cli', 'lab'],
      connection: ['engine', 'output', 'cli', 'modules', 'template', 'load'],
      output: ['engine', 'connection', 'modules', 'load', 'cli', 'lab'],
      events: ['engine', 'output', 'cli', 'connection', 'modules', 'load'],
    };
    const violations: string[] = [];
    for (const [file, targets] of importGraph()) {
      const from = layerOf(file);
      for (const target of targets) {
        const to = layerOf(target);
        if (forbidden[from]?.includes(to)) violations.push(`${relative(srcRoot, file)} imports ${relative(srcRoot, target)}`);
      }
    }
    expect(violations).toEqual([]);
  });
});
