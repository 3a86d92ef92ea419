/** Helpers to run ansible-core as the oracle in differential tests. */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const FIXTURES = fileURLToPath(new URL('../fixtures/inventories/', import.meta.url));
export const TOOLS = `${FIXTURES}_tools/`;

function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** The Python interpreter ansible-inventory runs with (its shebang), or undefined without ansible. */
export function ansiblePython(): string | undefined {
  const bin = which('ansible-inventory');
  if (!bin) return undefined;
  const first = readFileSync(bin, 'utf8').split('\n')[0] ?? '';
  const m = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(first);
  if (!m) return undefined;
  return m[1]!.endsWith('/env') ? which(m[2]!) : m[1];
}

export const HAVE_ANSIBLE = ansiblePython() !== undefined;
/** Locally a missing ansible skips the differential tests; in CI it fails them. */
export const RUN_ORACLE = HAVE_ANSIBLE || Boolean(process.env.CI);

export const ANSIBLE_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  ANSIBLE_NOCOLOR: '1',
  ANSIBLE_RETRY_FILES_ENABLED: '0',
  ANSIBLE_DEPRECATION_WARNINGS: '0',
  ANSIBLE_LOCALHOST_WARNING: '0',
  ANSIBLE_INVENTORY_UNPARSED_WARNING: '0',
  ANSIBLE_HOST_KEY_CHECKING: '0',
};

export function requireAnsible(): string {
  const python = ansiblePython();
  if (!python) throw new Error('ansible-core is required for this differential test (install ansible-core 2.14)');
  return python;
}

/** Runs one of the _tools/*.py oracles with a JSON request; returns its parsed JSON answer. */
export function runOracle<T>(script: string, request: unknown, cwd: string = FIXTURES): T {
  const python = requireAnsible();
  const out = execFileSync(python, [`${TOOLS}${script}`], {
    cwd,
    input: JSON.stringify(request),
    env: ANSIBLE_ENV,
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(out) as T;
}
