/**
 * Big and odd command output. A command printing 100 MB over SSH (a real OpenSSH fleet host) and
 * locally is streamed: the controller keeps the first 10 MiB of each stream
 * (DEFAULT_MAX_OUTPUT_BYTES), the registered result says `stdout_truncated: true`, a warning gives
 * the real size, and the controller's peak RSS (VmHWM, read in the tsbook child at exit) stays
 * bounded. Binary and non-UTF-8 output comes through decoded with U+FFFD replacements, NUL intact.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CappedCollector, DEFAULT_MAX_OUTPUT_BYTES, utf8Boundary } from '../../src/connection/output-cap.js';
import { LocalConnection } from '../../src/connection/local.js';
import { fleetSupport, startFleet, type Fleet } from '../support/fleet.js';

const root = new URL('../..', import.meta.url).pathname;
const bin = join(root, 'bin/tsbook');
const support = fleetSupport();
const MB = 1_000_000;
/** Peak RSS allowed for a tsbook run that received 100 MB on one stream (node itself is ~60-90 MB). */
const RSS_BOUND_MB = 300;
/** How much more a 100 MB run may peak at than a 12 MB one (both keep 10 MiB). */
const GROWTH_BOUND_MB = 60;

let fleet: Fleet | undefined;
const dir = mkdtempSync(join(tmpdir(), 'tsbook-big-output-'));

beforeAll(async () => {
  if (support.available) fleet = await startFleet({ hosts: ['big1'] });
}, 60_000);

afterAll(async () => {
  await fleet?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('CappedCollector', () => {
  it('keeps the first bytes, counts all of them, and cuts text on a character boundary', () => {
    const c = new CappedCollector(10);
    c.push(Buffer.from('abcdefgh'));
    c.push(Buffer.from('ijkl\u00e9mn'));
    expect(c.total).toBe(16);
    expect(c.truncated).toBe(true);
    expect(c.bytes().toString()).toBe('abcdefghij');
    const split = new CappedCollector(5);
    split.push(Buffer.from('abcd\u00e9')); // é is 2 bytes: the 5th byte is half of it
    expect(split.text()).toBe('abcd');
    expect(utf8Boundary(Buffer.from('a\u20ac'))).toBe(4);
    expect(utf8Boundary(Buffer.from('a\u20ac').subarray(0, 3))).toBe(1);
    const whole = new CappedCollector(100);
    whole.push(Buffer.from([0xff, 0xfe, 0x00, 0x41]));
    expect(whole.truncated).toBe(false);
    expect(whole.text()).toBe('\ufffd\ufffd\u0000A');
  });

  it('LocalConnection.exec caps each stream and reports the real sizes', async () => {
    const r = await new LocalConnection('local').exec('head -c 3000000 /dev/zero | tr "\\0" a; head -c 500 /dev/zero >&2', { maxOutputBytes: MB });
    expect(r.stdout.length).toBe(MB);
    expect(r.stderr.length).toBe(500);
    expect(r.truncated).toEqual({ stdout: 3_000_000 });
    const small = await new LocalConnection('local').exec('echo hi');
    expect(small.truncated).toBeUndefined();
  });
});

function playbook(hosts: string): string {
  return `
- hosts: ${hosts}
  gather_facts: false
  tasks:
    - name: a lot of output
      shell: head -c {{ size }} /dev/zero | tr '\\0' 'a'
      register: big
    - name: what was kept
      debug:
        msg: "len={{ big.stdout | length }} truncated={{ big.stdout_truncated }} lines={{ big.stdout_lines | length }} rc={{ big.rc }}"
    - name: binary
      shell: printf '\\377\\376\\000A\\303\\251\\n'
      register: bin
    - name: binary as JSON
      debug:
        msg: "{{ bin.stdout | to_json }} {{ bin.stdout | length }} {{ bin.stdout_truncated | default('no') }}"
    - name: raw binary
      raw: printf '\\377\\376\\000A\\303\\251\\n'
      register: rbin
    - name: raw binary as JSON
      debug:
        msg: "{{ rbin.stdout | to_json }}"
`;
}

/** Runs bin/tsbook with a preload that records the process's peak RSS at exit. */
function tsbookWithPeak(args: string[], name: string): { status: number | null; stdout: string; stderr: string; peakMb: number; ms: number } {
  const hook = join(dir, 'hwm.cjs');
  const out = join(dir, `${name}.hwm`);
  writeFileSync(hook, `process.on('exit', () => { const m = /VmHWM:\\s+(\\d+) kB/.exec(require('fs').readFileSync('/proc/self/status', 'utf8')); require('fs').writeFileSync(${JSON.stringify(out)}, m ? m[1] : '0'); });\n`);
  const start = Date.now();
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 64 * MB,
    env: { ...process.env, NO_COLOR: '1', ANSIBLE_NOCOLOR: '1', NODE_OPTIONS: `--require ${hook}` },
  });
  const peakMb = existsSync(out) ? Number(readFileSync(out, 'utf8')) / 1024 : Number.NaN;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, peakMb, ms: Date.now() - start };
}

function expectBoundedRun(r: ReturnType<typeof tsbookWithPeak>, host: string, size: number): void {
  expect(r.status, r.stderr.slice(0, 2000)).toBe(0);
  expect(r.stdout).toContain(`"msg": "len=${DEFAULT_MAX_OUTPUT_BYTES} truncated=True lines=1 rc=0"`);
  const warnings = `${r.stdout}\n${r.stderr}`;
  expect(warnings).toContain(`stdout was truncated: the command wrote ${size.toLocaleString('en-US')} bytes, only the first 10,485,760 are kept`);
  // Invalid UTF-8 becomes U+FFFD (one per byte), NUL and valid UTF-8 pass through; nothing crashed.
  expect(r.stdout).toContain('"msg": "\\"\\\\ufffd\\\\ufffd\\\\u0000A\\\\u00e9\\" 5 no"');
  expect(r.stdout).toContain('"msg": "\\"\\\\ufffd\\\\ufffd\\\\u0000A\\\\u00e9\\\\n\\""');
  expect(r.stdout).toMatch(new RegExp(`${host}\\s+: ok=6\\s+changed=3\\s+unreachable=0\\s+failed=0`));
  expect(r.peakMb).toBeGreaterThan(20);
}

/**
 * Runs the playbook with 12 MB (just over the cap) and with 100 MB of output: the second may not
 * need more memory than the first (without the cap it would hold the 100 MB several times over:
 * chunks, the joined buffer, the string, stdout_lines).
 */
function expectFlatMemory(args: string[], host: string, name: string): void {
  const small = tsbookWithPeak([...args, '-e', `size=${12 * MB}`], `${name}-12`);
  expectBoundedRun(small, host, 12 * MB);
  const big = tsbookWithPeak([...args, '-e', `size=${100 * MB}`], `${name}-100`);
  expectBoundedRun(big, host, 100 * MB);
  console.log(`${name}: 12 MB in ${small.ms} ms, peak RSS ${small.peakMb.toFixed(0)} MB; 100 MB in ${big.ms} ms, peak RSS ${big.peakMb.toFixed(0)} MB`);
  expect(big.peakMb - small.peakMb, `peak RSS ${small.peakMb.toFixed(0)} -> ${big.peakMb.toFixed(0)} MB`).toBeLessThan(GROWTH_BOUND_MB);
  expect(big.peakMb).toBeLessThan(RSS_BOUND_MB);
}

describe('100 MB of command output', () => {
  it('needs the compiled CLI (npm run build)', () => {
    expect(existsSync(join(root, 'dist/connection/output-cap.js'))).toBe(true);
  });

  it('local connection: streamed, truncated to 10 MiB, flagged, peak RSS bounded', () => {
    writeFileSync(join(dir, 'local.yml'), playbook('localhost'));
    const r = tsbookWithPeak(['run', 'local.yml', '-i', 'localhost,', '-c', 'local', '-e', `size=${100 * MB}`], 'local');
    console.log(`local: 100 MB in ${r.ms} ms, peak RSS ${r.peakMb.toFixed(0)} MB`);
    expectBoundedRun(r, 'localhost', 100 * MB);
    expect(r.peakMb).toBeLessThan(RSS_BOUND_MB);
  }, 60_000);

  it.skipIf(!support.available)('SSH to a fleet host: streamed, truncated to 10 MiB, flagged, peak RSS flat', () => {
    writeFileSync(join(dir, 'ssh.yml'), playbook('big1'));
    expectFlatMemory(['run', 'ssh.yml', '-i', fleet!.inventoryFile], 'big1', 'ssh');
  }, 90_000);
});
