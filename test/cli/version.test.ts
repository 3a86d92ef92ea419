import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';

const bin = new URL('../../bin/tsbook', import.meta.url).pathname;

describe('tsbook CLI', () => {
  it('prints its version', () => {
    const out = execFileSync(bin, ['--version'], { encoding: 'utf8' });
    expect(out).toMatch(/^tsbook \d+\.\d+\.\d+/);
  });

  it('exits 5 with a usage hint on an unknown option', () => {
    const r = spawnSync(bin, ['run', '--no-such-flag', 'x.yml'], { encoding: 'utf8' });
    expect(r.status).toBe(5);
    expect(r.stderr).toContain("unknown option '--no-such-flag'");
  });
});
