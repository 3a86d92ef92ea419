/**
 * The live display in a real terminal: tmux runs `tsbook run` in a 160x50 pane and the test polls
 * `tmux capture-pane -p`. Every distinct screen is saved to test-artifacts/tmux-capture.txt.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
if (!hasTmux && process.env.CI === 'true') throw new Error('tmux is required in CI (.ci/run installs it)');

const SOCKET = `tsbook-test-${process.pid}`;
const scratch = mkdtempSync(join(tmpdir(), 'tsbook-tmux-'));
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const captures: string[] = [];

afterAll(() => {
  if (hasTmux) spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync('test-artifacts', { recursive: true });
  writeFileSync('test-artifacts/tmux-capture.txt', captures.join('\n'));
});

/** Runs `node bin/tsbook <args>` in a fresh 160x50 tmux session; returns every distinct screen until it exits. */
async function runInTmux(name: string, args: readonly string[]): Promise<string[]> {
  if (!existsSync('dist/cli/main.js')) throw new Error('dist/ is missing: run npm run build');
  const quoted = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  // CI=true would turn the live display off; the pane stays after the run for the last capture
  const command = `env -u CI NO_COLOR=1 TERM=xterm-256color ${process.execPath} bin/tsbook ${quoted}; echo "[exit $?]"; sleep 120`;
  tmux('new-session', '-d', '-s', name, '-x', '160', '-y', '50', '-c', process.cwd(), command);
  const screens: string[] = [];
  const deadline = Date.now() + 60_000;
  for (;;) {
    const screen = tmux('capture-pane', '-p', '-t', name);
    if (screen !== screens.at(-1)) screens.push(screen);
    if (/\[exit \d+\]/.test(screen) || Date.now() > deadline) break;
    await sleep(50);
  }
  captures.push(`==== tsbook ${args.join(' ')} (${screens.length} distinct screens)`, ...screens.map((s, i) => `---- screen ${i + 1}\n${s.trimEnd()}\n`));
  return screens;
}

describe.runIf(hasTmux)('live output in a real terminal (tmux)', () => {
  it('shows hosts progressing through the tasks, then the summaries and the recap', async () => {
    const screens = await runInTmux('tour', ['run', '-i', 'test/output/fixtures/inventory.ini', 'test/output/fixtures/tour.yml', '-e', `tour_dir=${scratch}`, '--limit', 'web']);
    const last = screens.at(-1)!;
    expect(last).toContain('[exit 0]');
    // while running: the play and task rows, a row per host, the pause's progress message
    const live = screens.filter((s) => /❯ PLAY \[Event tour\]/.test(s));
    expect(live.length).toBeGreaterThan(0);
    expect(live.some((s) => /TASK \[Pause briefly\].*Pausing for 1 seconds/.test(s) && /web1 · running/.test(s))).toBe(true);
    // hosts progress: the screens show more finished tasks over time
    const done = screens.map((s) => (s.match(/^✔ TASK/gm) ?? []).length);
    expect(done.some((n, i) => i > 0 && n > done[i - 1]!)).toBe(true);
    // at the end: one line per task, hosts by status; the live tree is gone; the recap
    expect(last).toMatch(/✔ TASK \[Write a file\] · [\d.]+s · changed: web1 web2/);
    // the engine marks the failure its block rescues
    expect(last).toMatch(/✔ TASK \[Fail on web2\] · [\d.]+s · rescued: web2 · skipped: web1/);
    expect(last).not.toMatch(/❯|running|waiting/);
    expect(last).toMatch(/PLAY RECAP \*+\nweb1 +: ok=9 +changed=2 +unreachable=0 +failed=0 +skipped=1 +rescued=0 +ignored=0/);
    expect(last).toMatch(/web2 +: ok=8 +changed=2 +unreachable=0 +failed=0 +skipped=1 +rescued=1 +ignored=0/);
  }, 90_000);

  it('runs playbooks/demo.yaml to its recap', async () => {
    const screens = await runInTmux('demo', ['run', 'playbooks/demo.yaml']);
    const last = screens.at(-1)!;
    expect(last).toContain('[exit 0]');
    expect(last).toMatch(/✔ TASK \[Show each package\] · [\d.]+s · ok: localhost/);
    expect(last).toMatch(/✔ RUNNING HANDLER \[Demo finished\] · [\d.]+s · ok: localhost/);
    expect(last).toMatch(/localhost +: ok=7 +changed=1 +unreachable=0 +failed=0 +skipped=0 +rescued=1 +ignored=0/);
  }, 90_000);
});
