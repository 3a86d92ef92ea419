/**
 * `tsbook run --report FILE` end to end: a real playbook over local-connection hosts (plus one
 * unreachable SSH host), the built CLI, and the HTML opened in headless Debian chromium through
 * playwright-core (no browser download: /usr/bin/chromium, installed by .ci/run). Without chromium
 * the browser suite is skipped locally with a warning; in CI it fails.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { BOOTSTRAP, REPO, TSBOOK, createSimCluster, findSecrets, issuedSecrets, recapOfPlain, runCli, type CliOutcome } from '../e2e/k8s-support.js';
import { fleetSupport, startFleet, type Fleet } from '../support/fleet.js';
import { startFakeApiServer, type FakeApiServer } from '../../src/lab/kubesim/index.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && !process.env.CI) console.warn(`report browser test skipped: ${CHROMIUM} missing (apt-get install chromium)`);

const NODES = ['node1', 'node2', 'node3', 'node4', 'node5'];
const THROTTLE = 2;
const SECRET = 's3cr3t-value-9f27';

const INVENTORY = `all:
  hosts:
${NODES.map((h) => `    ${h}: {}`).join('\n')}
    ghost: { ansible_connection: ssh, ansible_host: 127.0.0.1, ansible_port: 1 }
  vars:
    ansible_connection: local
`;

const PLAYBOOK = `- name: Report <demo> & "friends"
  hosts: all
  gather_facts: false
  tasks:
    - name: Throttled sleep
      command: sleep 0.3
      throttle: ${THROTTLE}
    - name: Greet <b>bold</b> & 'quoted'
      debug:
        msg: "<script>alert('x')</script>"
    - name: Secret
      command: echo ${SECRET}
      no_log: true
    - block:
        - name: Fail inside the block
          command: /bin/false
          when: inventory_hostname == 'node2'
      rescue:
        - name: Recover
          debug:
            msg: recovered
    - name: Failing task
      fail:
        msg: "node5 breaks <here>"
      when: inventory_hostname == 'node5'
    - name: After
      command: "true"
`;

let dir: string;
let run: CliOutcome;
let reportFile: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tsbook-report-'));
  writeFileSync(join(dir, 'inventory.yaml'), INVENTORY);
  writeFileSync(join(dir, 'play.yaml'), PLAYBOOK);
  reportFile = join(dir, 'run.html');
  run = await runCli(['run', 'play.yaml', '-i', 'inventory.yaml', '--report', 'run.html'], { cwd: dir });
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface BarBox {
  readonly host: string;
  readonly left: number;
  readonly right: number;
}

interface OpenedReport {
  readonly page: Page;
  readonly consoleErrors: string[];
  readonly requests: string[];
  readonly dialogs: string[];
}

async function openReport(browser: Browser, file: string): Promise<OpenedReport> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const opened: OpenedReport = { page, consoleErrors: [], requests: [], dialogs: [] };
  page.on('console', (m) => {
    if (m.type() === 'error') opened.consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => opened.consoleErrors.push(e.message));
  page.on('request', (r) => opened.requests.push(r.url()));
  page.on('dialog', (d) => {
    opened.dialogs.push(d.message());
    void d.dismiss();
  });
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  return opened;
}

function launchChromium(): Promise<Browser> {
  // in CI a missing chromium fails here (launch error) instead of skipping
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
}

/** The bars of one task: host and horizontal extent in px. */
function barsOf(page: Page, taskName: string): Promise<BarBox[]> {
  return page.$$eval(
    '.bar',
    (els, name) =>
      els
        .filter((el) => el.getAttribute('data-task') === name)
        .map((el) => {
          const r = el.getBoundingClientRect();
          return { host: el.closest('.row')!.getAttribute('data-host')!, left: r.left, right: r.right };
        }),
    taskName,
  );
}

async function recapTable(page: Page): Promise<Record<string, Record<string, number>>> {
  return page.$$eval('table.recap tbody tr', (trs) =>
    Object.fromEntries(
      trs.map((tr) => [
        tr.getAttribute('data-host')!,
        Object.fromEntries(Array.from(tr.querySelectorAll('td')).map((td) => [td.getAttribute('data-col')!, Number(td.textContent)])),
      ]),
    ),
  );
}

/** Most bars covering one point, ignoring sub-pixel contact (layout rounds to 1/64 px). */
function maxConcurrent(bars: readonly BarBox[]): number {
  const edges = bars.flatMap((b) => [
    { x: b.left, d: 1 },
    { x: b.right - 0.05, d: -1 },
  ]);
  edges.sort((a, b) => a.x - b.x || a.d - b.d);
  let now = 0;
  let max = 0;
  for (const e of edges) max = Math.max(max, (now += e.d));
  return max;
}

describe('tsbook run --report (CLI)', () => {
  it('writes the report when the run fails (exit 4: a host unreachable, one failed)', () => {
    expect(run.status, run.stderr).toBe(4);
    const html = readFileSync(reportFile, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    // self-contained: nothing loaded from anywhere
    expect(html).not.toMatch(/<link\b|\bsrc=|@import|url\(/i);
    // the no_log result is censored in the events, so in the report too
    expect(run.stdout).not.toContain(SECRET);
    expect(html).not.toContain(SECRET);
    expect(html).not.toContain("<script>alert('x')</script>");
  });

  it('writes the report of an interrupted run (exit 99): what ran, marked interrupted', async () => {
    const idir = mkdtempSync(join(tmpdir(), 'tsbook-report-int-'));
    try {
      writeFileSync(join(idir, 'play.yaml'), `- hosts: all\n  gather_facts: false\n  tasks:\n    - name: Quick\n      command: "true"\n    - name: Long\n      command: sleep 1\n    - name: Never\n      command: "true"\n`);
      const child = spawn(process.execPath, [TSBOOK, 'run', 'play.yaml', '-i', 'a,b,', '-c', 'local', '--report', 'int.html'], {
        cwd: idir,
        env: { ...process.env, NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let interrupted = false;
      const status = await new Promise<number | null>((done) => {
        child.stdout.on('data', (d: Buffer) => {
          stdout += d.toString();
          // once: a second interrupt exits at once, without a report
          if (stdout.includes('TASK [Long]') && !interrupted) interrupted = child.kill('SIGINT');
        });
        child.on('close', done);
      });
      expect(status, stdout).toBe(99);
      const html = readFileSync(join(idir, 'int.html'), 'utf8');
      expect(html).toContain('The run was interrupted.');
      expect(html).toContain('data-task="Quick"');
      expect(html).not.toContain('data-task="Never"');
      expect(html).toMatch(/<tr data-host="a"><th scope="row">a<\/th><td class="n-ok" data-col="ok">[12]<\/td>/);
    } finally {
      rmSync(idir, { recursive: true, force: true });
    }
  });

  it('refuses a report path in a missing directory before running (exit 5)', async () => {
    const r = await runCli(['run', 'play.yaml', '-i', 'inventory.yaml', '--report', 'nope/run.html'], { cwd: dir });
    expect(r.status).toBe(5);
    expect(r.stderr).toContain('--report: directory');
    expect(r.stdout).not.toContain('PLAY [');
  });
});

describe.runIf(haveChromium || process.env.CI)('the HTML report in headless chromium', () => {
  let browser: Browser;
  let page: Page;
  let opened: OpenedReport;

  beforeAll(async () => {
    browser = await launchChromium();
    opened = await openReport(browser, reportFile);
    page = opened.page;
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('loads with no console errors, no dialogs and no request but the file itself', () => {
    expect(opened.consoleErrors).toEqual([]);
    expect(opened.dialogs).toEqual([]);
    expect(opened.requests).toEqual([pathToFileURL(reportFile).href]);
  });

  it('has one timeline row per host and the PLAY RECAP numbers of the run', async () => {
    const rows = await page.$$eval('.gantt .row[data-host]', (els) => els.map((e) => e.getAttribute('data-host')));
    expect(rows).toEqual([...NODES, 'ghost']);
    const table = await recapTable(page);
    const plain = recapOfPlain(run.stdout);
    expect(Object.keys(plain).sort()).toEqual([...NODES, 'ghost'].sort());
    expect(table).toEqual(plain);
    expect(table.node2).toMatchObject({ rescued: 1, failed: 0 });
    expect(table.node5).toMatchObject({ failed: 1 });
    expect(table.ghost).toMatchObject({ unreachable: 1 });
  });

  it('lists failed and unreachable results first, then the rescued one; titles are escaped text', async () => {
    const details = await page.$$eval('#results details', (els) =>
      els.map((d) => ({ status: d.getAttribute('data-status'), host: d.getAttribute('data-host'), title: d.querySelector('summary')?.textContent ?? '' })),
    );
    expect(details.length).toBeGreaterThan(20);
    expect(details.slice(0, 2).map((d) => `${d.host}:${d.status}`)).toEqual(['ghost:unreachable', 'node5:failed']);
    expect(details[2]).toMatchObject({ host: 'node2', status: 'rescued' });
    expect(details[2]!.title).toContain('Fail inside the block');
    expect(details.slice(3).every((d) => !['failed', 'unreachable', 'rescued'].includes(d.status ?? ''))).toBe(true);
    expect(details.some((d) => d.title.includes("Greet <b>bold</b> & 'quoted'"))).toBe(true);
    // one <b> (the host) per summary: the task names' markup stayed text
    expect(await page.$$eval('#results summary b', (els) => els.length)).toBe(details.length);
    expect(await page.$$eval('#results script', (els) => els.length)).toBe(0);
  });

  it('expands a result by its summary and from its timeline bar', async () => {
    const failed = page.locator('#results details[data-host="node5"][data-status="failed"]');
    expect(await failed.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
    expect(await failed.locator('pre.values').isVisible()).toBe(false);
    await failed.locator('summary').click();
    expect(await failed.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
    await expect.poll(() => failed.locator('pre.values').isVisible()).toBe(true);
    expect(await failed.locator('p.msg').textContent()).toBe('node5 breaks <here>');

    const bar = page.locator('.row[data-host="node2"] .bar[data-status="rescued"]');
    const id = (await bar.getAttribute('href'))!.slice(1);
    await bar.click();
    await expect.poll(() => page.locator(`details#${id}`).evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
  });

  it(`draws the throttled task's bars overlapping, never more than ${THROTTLE} at once`, async () => {
    const bars = await barsOf(page, 'Throttled sleep');
    expect(bars.map((b) => b.host)).toEqual([...NODES, 'ghost']);
    const sleeps = bars.filter((b) => b.host !== 'ghost');
    // every sleep is a visible bar (0.3 s of a run of a few seconds)
    for (const b of sleeps) expect(b.right - b.left).toBeGreaterThan(10);
    expect(maxConcurrent(bars)).toBe(THROTTLE);
  });

  it('saves a screenshot to test-artifacts/report.png', async () => {
    const out = join(REPO, 'test-artifacts');
    mkdirSync(out, { recursive: true });
    await page.screenshot({ path: join(out, 'report.png'), fullPage: true });
    expect(readFileSync(join(out, 'report.png')).subarray(1, 4).toString()).toBe('PNG');
  });
});

const fleet = fleetSupport();
if (!fleet.available) console.warn(`kubeadm report test skipped: ${fleet.reason}`);
const K8S_PIS = ['pi01', 'pi02', 'pi03', 'pi04'];
const JOIN_CAP = 2;

describe.runIf((haveChromium && fleet.available) || process.env.CI)('the report of a kubeadm bootstrap over the OpenSSH fleet', () => {
  let hosts: Fleet;
  let api: FakeApiServer;
  let kdir: string;
  let bootstrap: CliOutcome;
  let browser: Browser;
  let opened: OpenedReport;
  let html: string;
  let secrets: ReturnType<typeof issuedSecrets>;

  beforeAll(async () => {
    kdir = mkdtempSync(join(tmpdir(), 'tsbook-report-k8s-'));
    [hosts, api] = await Promise.all([startFleet({ hosts: ['cp01', ...K8S_PIS], maxSessions: 20 }), startFakeApiServer()]);
    const sim = await createSimCluster(
      kdir,
      ['cp01', ...K8S_PIS].map((name, i) => ({ name, address: `10.78.0.${11 + i}`, arch: name.startsWith('pi') ? 'arm64' : 'amd64' })),
      { joinDurationMs: 600, initDurationMs: 50, readyDelayMs: 200, discoveryTimeoutMs: 300 },
    );
    const entry = (h: string) => {
      const d = sim.hosts.get(h)!;
      const fh = hosts.host(h);
      return {
        ansible_host: fh.address,
        ansible_port: fh.port,
        k8s_environment: { PATH: `${d.bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin` },
        k8s_kubernetes_dir: d.kubernetesDir,
        k8s_cni_conf_dir: d.cniConfDir,
      };
    };
    const inventory = {
      all: {
        vars: {
          ansible_user: hosts.user,
          ansible_ssh_private_key_file: hosts.clientKey.privateKeyFile,
          ansible_ssh_common_args: `-o UserKnownHostsFile=${hosts.knownHostsFile} -o StrictHostKeyChecking=yes`,
          k8s_control_plane_endpoint: api.endpoint,
          k8s_version: '1.30.2',
          k8s_become: hosts.privileged,
          k8s_ready_timeout: 60,
          k8s_join_parallelism: JOIN_CAP,
        },
        children: {
          k8s_control_plane: { hosts: { cp01: entry('cp01') } },
          k8s_worker: { hosts: Object.fromEntries(K8S_PIS.map((h) => [h, entry(h)])) },
        },
      },
    };
    writeFileSync(join(kdir, 'inventory.json'), JSON.stringify(inventory, null, 2));
    bootstrap = await runCli(['run', BOOTSTRAP, '-i', 'inventory.json', '--report', 'k8s.html'], { cwd: kdir });
    secrets = issuedSecrets(sim);
    html = readFileSync(join(kdir, 'k8s.html'), 'utf8');
    browser = await launchChromium();
    opened = await openReport(browser, join(kdir, 'k8s.html'));
  }, 180_000);

  afterAll(async () => {
    await Promise.all([browser?.close(), hosts?.stop(), api?.close()]);
    if (kdir) rmSync(kdir, { recursive: true, force: true });
  });

  it(`shows the worker joins in parallel, at most ${JOIN_CAP} at once, with the run's recap and no secret`, async () => {
    expect(bootstrap.status, `${bootstrap.stdout.slice(-4000)}\n${bootstrap.stderr.slice(-2000)}`).toBe(0);
    const page = opened.page;
    expect(opened.consoleErrors).toEqual([]);
    expect(opened.requests).toEqual([pathToFileURL(join(kdir, 'k8s.html')).href]);
    expect(await page.$$eval('.gantt .row[data-host]', (els) => els.map((e) => e.getAttribute('data-host')))).toEqual(['cp01', ...K8S_PIS]);
    expect(await recapTable(page)).toEqual(recapOfPlain(bootstrap.stdout));

    const joins = await barsOf(page, 'Join a worker');
    const workerJoins = joins.filter((b) => K8S_PIS.includes(b.host));
    expect(workerJoins.map((b) => b.host)).toEqual(K8S_PIS);
    expect(maxConcurrent(workerJoins)).toBe(JOIN_CAP);

    // the tokens kubeadm issued were redacted in the events, so they are nowhere in the report
    expect(secrets.tokens.length).toBeGreaterThan(0);
    expect(findSecrets(secrets, new Map([['report', html]]))).toEqual([]);
    await page.screenshot({ path: join(REPO, 'test-artifacts', 'report-k8s.png'), fullPage: true });
  });
});
