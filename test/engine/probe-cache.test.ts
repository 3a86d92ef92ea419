import { describe, expect, it } from 'vitest';
import type { Connection, ExecResult } from '../../src/connection/types.js';
import { EngineModuleContext } from '../../src/engine/context.js';
import { parseStatBoth, statPath } from '../../src/modules/util/fs-probe.js';

function countingContext(check = false): { ctx: EngineModuleContext; execs: string[] } {
  const execs: string[] = [];
  let version = 0;
  const connection: Connection = {
    host: 'h',
    exec: async (command: string): Promise<ExecResult> => {
      execs.push(command);
      if (command.startsWith('touch')) version += 1;
      return { rc: 0, stdout: `v${version}\n`, stderr: '' };
    },
    put: async () => { version += 1; },
    get: async () => Buffer.from(''),
    close: async () => {},
  };
  const ctx = new EngineModuleContext({
    host: 'h', check, diff: false, verbosity: 0, env: {}, signal: new AbortController().signal,
    source: { file: 'p.yml', line: 1, col: 1 }, vars: {}, playbookDir: '/tmp',
    connection: async () => connection,
    newTemplar: () => ({ template: (v: unknown) => v, evaluate: () => true }),
    onProgress: () => {}, onWarning: () => {},
  });
  return { ctx, execs };
}

describe('the task read cache (probeCached)', () => {
  it('answers a repeated read from the cache until the task changes something', async () => {
    const { ctx, execs } = countingContext();
    expect((await ctx.probeCached('cat f')).stdout).toBe('v0\n');
    expect((await ctx.probeCached('cat f')).stdout).toBe('v0\n');
    expect(execs).toEqual(['cat f']);
    await ctx.run('touch f');
    expect((await ctx.probeCached('cat f')).stdout).toBe('v1\n');
    await ctx.put({ content: 'x' }, '/f');
    expect((await ctx.probeCached('cat f')).stdout).toBe('v2\n');
    expect(execs).toEqual(['cat f', 'touch f', 'cat f', 'cat f']);
  });

  it('plain probes are never cached (polling modules see fresh answers)', async () => {
    const { ctx, execs } = countingContext();
    await ctx.probe('cat f');
    await ctx.probe('cat f');
    expect(execs).toEqual(['cat f', 'cat f']);
  });

  it('in check mode a planned change does not drop the cache (the host did not change)', async () => {
    const { ctx, execs } = countingContext(true);
    await ctx.probeCached('cat f');
    await ctx.run('touch f');
    await ctx.probeCached('cat f');
    expect(execs).toEqual(['cat f']);
  });
});

describe('statPath: lstat and stat in one round trip', () => {
  const line = '81a4|5|0|0|root|root|1.0|2.0|3.0|10|20|1|8|4096|0|0';
  it('parses both answers and their errors', () => {
    const out = `${line}\n#tsbook-rc=0\nstat: cannot statx 'l': No such file or directory\n#tsbook-rc=1\n`;
    expect(parseStatBoth(out)).toEqual([{ ok: true, text: line }, { ok: false, text: "stat: cannot statx 'l': No such file or directory" }]);
    expect(parseStatBoth('garbage')).toBeUndefined();
  });

  it('a dangling link exists unfollowed and is absent followed, from a single exec', async () => {
    const execs: string[] = [];
    const ctx = {
      probe: async (command: string) => {
        execs.push(command);
        return { rc: 1, stdout: `${line.replace('81a4', 'a1ff')}\n#tsbook-rc=0\nstat: cannot statx 'l': No such file or directory\n#tsbook-rc=1\n`, stderr: '' };
      },
    };
    const cache = new Map<string, Promise<ExecResult>>();
    const cached = { ...ctx, probeCached: (c: string) => cache.get(c) ?? (cache.set(c, ctx.probe(c)), cache.get(c)!) };
    expect((await statPath(cached, 'l', false))?.type).toBe('link');
    expect(await statPath(cached, 'l', true)).toBeUndefined();
    expect(execs).toHaveLength(1);
  });
});

describe('prefetchProbes: several reads in one round trip', () => {
  it('runs one script and answers each command later from the cache', async () => {
    const { ctx, execs } = countingContext();
    const { prefetchProbes, splitPrefetched } = await import('../../src/modules/util/fs-probe.js');
    expect(splitPrefetched('a\nb\n#m=0\n\n#m=1\nno newline\n#m=2\n', '#m=')).toEqual([
      { rc: 0, stdout: 'a\nb', stderr: '' },
      { rc: 1, stdout: '', stderr: '' },
      { rc: 2, stdout: 'no newline', stderr: '' },
    ]);
    await prefetchProbes(ctx, ['cat a', 'cat b']);
    expect(execs).toHaveLength(1);
    expect(execs[0]).toContain('cat a');
    expect(execs[0]).toContain('cat b');
    // the fake host answers every exec with "v0": the script's output has no marks, so nothing is remembered
    await ctx.probeCached('cat a');
    expect(execs).toHaveLength(2);
  });

  it('over a real shell: stdout and rc of each command, stderr dropped', async () => {
    const { execSync } = await import('node:child_process');
    const { prefetchProbes } = await import('../../src/modules/util/fs-probe.js');
    const remembered = new Map<string, ExecResult>();
    const ctx = {
      probe: async (command: string): Promise<ExecResult> => ({ rc: 0, stdout: execSync(command, { shell: '/bin/sh', encoding: 'utf8' }), stderr: '' }),
      rememberProbe: (command: string, result: ExecResult) => remembered.set(command, result),
    };
    await prefetchProbes(ctx, ['printf "x\\ny"', 'echo err >&2; exit 3', 'echo last']);
    expect([...remembered.values()]).toEqual([
      { rc: 0, stdout: 'x\ny', stderr: '' },
      { rc: 3, stdout: '', stderr: '' },
      { rc: 0, stdout: 'last\n', stderr: '' },
    ]);
  });
});
