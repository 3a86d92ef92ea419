import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isPresent, pipModule, pipPackage, recoverPackageNames, satisfies } from '../../src/modules/pip.js';
import type { PipArgs } from '../../src/modules/pip.js';
import type { ModuleResult } from '../../src/modules/types.js';
import { ModuleFailure } from '../../src/modules/types.js';
import { localContext, scriptedContext, tempDir } from '../support/file-module-context.js';
import type { ScriptedRule } from '../support/file-module-context.js';
import { ansibleAvailable, runAnsibleTasks } from '../support/ansible-oracle.js';

const ansible = await ansibleAvailable();
/** The python that builds the wheels and virtualenvs: the machine's python3 (with pip). */
const PYTHON = 'python3';
/** ansible's pip module needs setuptools (pkg_resources) in the interpreter ansible runs it with. */
const oracleReady = ansible && (await localContext().probe("/usr/bin/python3 -c 'import pkg_resources'")).rc === 0;
if (!oracleReady && process.env.CI) throw new Error('CI needs python3-setuptools for the live pip comparison against ansible');

/** Builds pure-python wheels of a tiny package in `dir` (no network, no build backend). */
function wheelScript(dir: string, versions: readonly string[]): string {
  const py = `
import sys, zipfile
d = sys.argv[1]
for v in sys.argv[2:]:
    di = "tsbookdemo-%s.dist-info/" % v
    with zipfile.ZipFile("%s/tsbookdemo-%s-py3-none-any.whl" % (d, v), "w") as z:
        z.writestr("tsbookdemo/__init__.py", "VERSION = %r\\n" % v)
        z.writestr(di + "METADATA", "Metadata-Version: 2.1\\nName: tsbookdemo\\nVersion: %s\\n" % v)
        z.writestr(di + "WHEEL", "Wheel-Version: 1.0\\nGenerator: tsbook-test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n")
        z.writestr(di + "RECORD", "tsbookdemo/__init__.py,,\\n%sMETADATA,,\\n%sWHEEL,,\\n%sRECORD,,\\n" % (di, di, di))
`;
  return `mkdir -p '${dir}' && ${PYTHON} -c '${py.replace(/'/g, `'\\''`)}' '${dir}' ${versions.join(' ')}`;
}

/** A fast virtualenv: no bundled pip (the system pip runs inside it through a pip3 wrapper). */
function venvScript(venv: string): string {
  return `${PYTHON} -m venv --without-pip --system-site-packages '${venv}' && printf '#!/bin/sh\\nexec "$(dirname "$0")/python" -m pip --disable-pip-version-check "$@"\\n' > '${venv}/bin/pip3' && chmod +x '${venv}/bin/pip3'`;
}

async function sh(script: string): Promise<void> {
  const r = await localContext().probe(script);
  if (r.rc !== 0) throw new Error(`${script}: ${r.stderr}`);
}

describe('pip: requirements and versions', () => {
  it('renders requirements like pkg_resources and combines the version argument', () => {
    expect(pipPackage('Django >= 1.0 , <2').text).toBe('Django<2,>=1.0');
    expect(pipPackage('Foo_Bar[b,a]==1').name).toBe('foo-bar');
    expect(pipPackage('Foo_Bar[b,a]==1').text).toBe('Foo_Bar[a,b]==1');
    expect(pipPackage('foo', '1.2').text).toBe('foo==1.2');
    expect(pipPackage('foo', '>=1.2').text).toBe('foo>=1.2');
    expect(pipPackage('git+https://example.invalid/x.git').plain).toBe(false);
  });

  it('rejoins specifiers split at commas', () => {
    expect(recoverPackageNames(['django>1.11.1', '<1.11.3', 'ipaddress', 'simpleproject>1.1.0', '<2.0.0'])).toEqual([
      'django>1.11.1,<1.11.3',
      'ipaddress',
      'simpleproject>1.1.0,<2.0.0',
    ]);
  });

  it('matches PEP 440 specifiers', () => {
    expect(satisfies('1.4.5', { op: '~=', version: '1.4.2' })).toBe(true);
    expect(satisfies('1.5.0', { op: '~=', version: '1.4.2' })).toBe(false);
    expect(satisfies('2.0.1', { op: '==', version: '2.0.*' })).toBe(true);
    expect(satisfies('2.0rc1', { op: '<', version: '2.0' })).toBe(true);
    expect(satisfies('2.0.post1', { op: '>', version: '2.0' })).toBe(true);
    expect(satisfies('1.0', { op: '==', version: '1.0.0' })).toBe(true);
    expect(satisfies('1.0+local', { op: '==', version: '1.0' })).toBe(true);
    expect(isPresent(pipPackage('tsbook.demo>=1'), ['tsbook-demo==1.2', 'pip==23'])).toBe(true);
    expect(isPresent(pipPackage('tsbook.demo>=2'), ['tsbook-demo==1.2'])).toBe(false);
  });
});

describe('pip: command lines', () => {
  const rules = (freeze: string): ScriptedRule[] => [
    { match: /find_spec\("pip"\)/, result: { rc: 0 } },
    { match: /for p in \/usr\/bin\/python3/, result: { stdout: '/usr/bin/python3\n' } },
    { match: /list --format=freeze/, result: { stdout: freeze } },
    { match: / install /, result: { stdout: 'Successfully installed foo-1.0\n' } },
  ];

  it('installs through the host python (python -m pip.__main__) in /tmp', async () => {
    const ctx = scriptedContext(rules(''));
    const r = await pipModule.run({ name: ['foo', 'bar>=2,<3'], extra_args: '--no-index --find-links "/w h"', umask: '0022' }, ctx);
    expect(r).toMatchObject({ changed: true, values: { cmd: ['/usr/bin/python3', '-m', 'pip.__main__', 'install', '--no-index', '--find-links', '/w h', 'foo', 'bar<3,>=2'] } });
    expect(ctx.planned.map((p) => p.command)).toEqual([
      "cd /tmp && umask 0022 && /usr/bin/python3 -m pip.__main__ install --no-index --find-links '/w h' foo 'bar<3,>=2'",
    ]);
  });

  it('check mode reads pip list and plans nothing', async () => {
    const ctx = scriptedContext(rules('foo==1.0\nbar==2.5\n'), { check: true });
    const ok = await pipModule.run({ name: 'foo', version: '1.0' }, ctx);
    expect(ok).toMatchObject({ changed: false, values: { cmd: '/usr/bin/python3 -m pip.__main__ list --format=freeze' } });
    expect((await pipModule.run({ name: 'bar', state: 'absent' }, ctx)).changed).toBe(true);
    expect((await pipModule.run({ name: 'foo', extra_args: '-q' }, ctx)).changed).toBe(true);
    expect(ctx.planned).toEqual([]);
  });

  it('creates a missing virtualenv with virtualenv_command, then uses its pip', async () => {
    const ctx = scriptedContext([
      { match: /LC_ALL=C stat/, result: { stdout: 'stat: No such file or directory\n#tsbook-rc=1\nstat: No such file or directory\n#tsbook-rc=1\n' } },
      { match: /IFS=:.*python3/, result: { stdout: '/usr/bin/python3\n' } },
      { match: /\[ -f '?\/srv\/venv\/bin\/pip3/, result: { rc: 0 } },
      { match: / install /, result: { stdout: 'Requirement already satisfied: foo\n' } },
    ]);
    const r = await pipModule.run({ name: 'foo', virtualenv: '/srv/venv', virtualenv_command: 'python3 -m venv' }, ctx);
    expect(r.changed).toBe(true);
    expect(ctx.planned.map((p) => p.command)).toEqual([
      'cd /tmp && /usr/bin/python3 -m venv /srv/venv',
      'cd /tmp && PATH=/srv/venv/bin:"$PATH" /srv/venv/bin/pip3 install foo',
    ]);
    const check = scriptedContext([{ match: /LC_ALL=C stat/, result: { stdout: 'stat: No such file or directory\n#tsbook-rc=1\nstat: No such file or directory\n#tsbook-rc=1\n' } }], { check: true });
    expect(await pipModule.run({ name: 'foo', virtualenv: '/srv/venv' }, check)).toEqual({ changed: true });
  });

  it('validates arguments with ansible messages', async () => {
    const ctx = scriptedContext(rules(''));
    await expect(pipModule.run({}, ctx)).rejects.toThrow('one of the following is required: name, requirements');
    await expect(pipModule.run({ name: 'a', state: 'latest', version: '1' }, ctx)).rejects.toThrow('version is incompatible with state=latest');
    await expect(pipModule.run({ name: ['a', 'b'], version: '1' }, ctx)).rejects.toThrow(/'version' argument is ambiguous/);
    await expect(pipModule.run({ name: 'a>1', version: '1' }, ctx)).rejects.toThrow(/conflicts with any version specifier/);
  });
});

describe('pip with a local wheelhouse (no network)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(async () => cleanup());

  const steps = (root: string, wheels: string): { args: PipArgs; check?: boolean }[] => {
    const venv = join(root, 'venv');
    const extra = `--no-index --find-links ${wheels}`;
    return [
      { args: { name: 'tsbookdemo', version: '1.0', virtualenv: venv, extra_args: extra } },
      { args: { name: 'tsbookdemo', version: '1.0', virtualenv: venv, extra_args: extra } },
      { args: { name: 'tsbookdemo', virtualenv: venv }, check: true },
      { args: { name: 'tsbookdemo>=2.0', virtualenv: venv }, check: true },
      { args: { name: 'tsbookdemo', state: 'latest', virtualenv: venv, extra_args: extra } },
      { args: { name: 'tsbookdemo', state: 'absent', virtualenv: venv } },
      { args: { name: 'tsbookdemo', state: 'absent', virtualenv: venv } },
      { args: { name: 'tsbook-not-there', virtualenv: venv, extra_args: extra } },
    ];
  };

  async function runTsbookSteps(root: string, wheels: string): Promise<Record<string, unknown>[]> {
    const results: Record<string, unknown>[] = [];
    for (const s of steps(root, wheels)) {
      let r: ModuleResult;
      try {
        r = await pipModule.run(s.args, localContext({ check: s.check }));
      } catch (e) {
        if (!(e instanceof ModuleFailure)) throw e;
        r = { changed: false, failed: true, msg: e.message, values: e.values };
      }
      results.push({ changed: r.changed, failed: Boolean(r.failed), cmd: r.values?.cmd, msg: r.msg });
    }
    return results;
  }

  async function prepare(roots: readonly string[]): Promise<string> {
    const wheels = join(dir, 'wheels');
    await sh(wheelScript(wheels, ['1.0', '2.0']));
    for (const root of roots) await sh(venvScript(join(root, 'venv')));
    return wheels;
  }

  it('installs, upgrades and removes from a local wheelhouse with ansible\'s changed flags and commands', async () => {
    const roots = { a: join(dir, 'a'), t: join(dir, 't') };
    const wheels = await prepare(oracleReady ? [roots.a, roots.t] : [roots.t]);
    const oracle = oracleReady ? runAnsibleTasks(steps(roots.a, wheels).map((s) => ({ pip: s.args, ...(s.check ? { check_mode: true } : {}) }))) : undefined;
    void oracle?.catch(() => undefined);
    const results = await runTsbookSteps(roots.t, wheels);
    // recorded from ansible-core 2.14's pip module on the same steps
    expect(results.map((r) => r.changed)).toEqual([true, false, false, true, true, true, false, false]);
    const pip3 = join(roots.t, 'venv', 'bin', 'pip3');
    expect(results[0]!.cmd).toEqual([pip3, 'install', '--no-index', '--find-links', wheels, 'tsbookdemo==1.0']);
    expect(results[2]!.cmd).toBe(`${pip3} list --format=freeze`);
    expect(results[4]!.cmd).toEqual([pip3, 'install', '-U', '--no-index', '--find-links', wheels, 'tsbookdemo']);
    expect(results[5]!.cmd).toEqual([pip3, 'uninstall', '-y', 'tsbookdemo']);
    expect(results[7]).toMatchObject({ failed: true, msg: expect.stringMatching(/^stdout: [\s\S]*\n:stderr: [\s\S]*No matching distribution found for tsbook-not-there/) });
    // live oracle where ansible's pip module can run (it needs setuptools in /usr/bin/python3)
    if (oracle) {
      const theirs = (await oracle).map((o) => JSON.parse(JSON.stringify({ changed: o.changed, failed: Boolean(o.failed), cmd: o.cmd, msg: o.msg }).split(roots.a).join(roots.t)) as unknown);
      expect(results).toEqual(theirs);
    }
  }, 240_000);
});
