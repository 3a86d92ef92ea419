/**
 * The reboot module over a real OpenSSH host (test/support/fleet.ts), with the reboot simulated: the
 * "reboot command" writes a new boot id and kills the sshd process serving our connection, so the
 * connection drops exactly as when a host goes down. The module must notice, reconnect and see the
 * new boot id. Nothing here reboots anything. Runs the built CLI (`npx tsc -p tsconfig.json` first).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleetSupport, settleConnectionLogs, startFleet, type Fleet } from '../support/fleet.js';

const REPO = resolve(import.meta.dirname, '..', '..');
const support = fleetSupport();

function tsbook(args: readonly string[], cwd: string): Promise<{ rc: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(REPO, 'bin', 'tsbook'), 'run', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (code) => done({ rc: code ?? 1, stdout, stderr }));
  });
}

/** Writes the new boot id, then kills the nearest sshd ancestor: the process serving this connection. */
const FAKE_REBOOT = `echo second > "$1"
p=$$
while [ "$p" -gt 1 ]; do
  case "$(cat /proc/$p/comm)" in sshd*) kill -9 "$p"; exit 0 ;; esac
  p=$(awk '{print $4}' /proc/$p/stat)
done
exit 1
`;

describe.skipIf(!support.available)(`reboot over the OpenSSH fleet${support.available ? '' : ` [SKIPPED: ${support.reason}]`}`, () => {
  let fleet: Fleet;
  let scratch: string;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'tsbook-reboot-'));
    fleet = await startFleet({ hosts: ['rb1'] });
    await settleConnectionLogs(fleet);
  });

  afterAll(async () => {
    await fleet?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('waits through the dropped connection, reconnects and sees the new boot id', async () => {
    const bootId = join(scratch, 'boot_id');
    writeFileSync(bootId, 'first\n');
    writeFileSync(join(scratch, 'fake-reboot.sh'), FAKE_REBOOT);
    const playbook = join(scratch, 'reboot.yml');
    writeFileSync(
      playbook,
      `- hosts: fleet
  gather_facts: false
  tasks:
    - name: reboot
      reboot:
        reboot_command: /bin/sh ${scratch}/fake-reboot.sh ${bootId}
        boot_time_command: cat ${bootId}
        test_command: cat /etc/hostname
        reboot_timeout: 60
      register: rebooted
    - name: after
      debug:
        msg: "{{ rebooted.rebooted }} {{ rebooted.elapsed }} {{ lookup('file', '${bootId}') }}"
`,
    );
    const before = fleet.connectionCount('rb1');
    const r = await tsbook(['-i', fleet.inventoryFile, playbook, '--json'], scratch);
    expect(r.rc, `${r.stdout}\n${r.stderr}`).toBe(0);
    const results = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { event: string; task?: { name: string }; result?: { status: string; values: Record<string, unknown> } })
      .filter((e) => e.event === 'task_result');
    expect(results.map((e) => [e.task?.name, e.result?.status])).toEqual([
      ['reboot', 'changed'],
      ['after', 'ok'],
    ]);
    expect(results[1]!.result!.values.msg).toMatch(/^True \d+ second$/);
    expect(readFileSync(bootId, 'utf8')).toBe('second\n');
    // the first connection was killed; the module opened a new one
    expect(fleet.connectionCount('rb1') - before).toBe(2);
  }, 120_000);
});
