import { describe, expect, it } from 'vitest';
import { systemdModule, parseSystemctlShow } from '../../src/modules/systemd.js';
import { serviceModule } from '../../src/modules/service.js';
import { scriptedContext } from '../support/file-module-context.js';
import type { ScriptedRule } from '../support/file-module-context.js';

const SHOW_INACTIVE = 'Id=nginx.service\nLoadState=loaded\nActiveState=inactive\nExecStart={ path=/usr/sbin/nginx ; argv[]=/usr/sbin/nginx ;\n status=0/0 }\nDescription=web\n';
const SHOW_ACTIVE = SHOW_INACTIVE.replace('ActiveState=inactive', 'ActiveState=active');

function rules(show: string, enabled: { rc: number; out: string }): ScriptedRule[] {
  return [
    { match: /^command -v systemctl$/, result: { stdout: '/usr/bin/systemctl\n' } },
    { match: /^systemctl show nginx$/, result: { stdout: show } },
    { match: /^systemctl is-enabled nginx/, result: { rc: enabled.rc, stdout: `${enabled.out}\n` } },
  ];
}

describe('systemd', () => {
  it('parses systemctl show like Ansible (multi-line Exec values only)', () => {
    expect(parseSystemctlShow(SHOW_INACTIVE)).toEqual({
      Id: 'nginx.service',
      LoadState: 'loaded',
      ActiveState: 'inactive',
      ExecStart: '{ path=/usr/sbin/nginx ; argv[]=/usr/sbin/nginx ;\n status=0/0 }',
      Description: 'web',
    });
  });

  it('starts and enables a stopped, disabled unit', async () => {
    const ctx = scriptedContext(rules(SHOW_INACTIVE, { rc: 1, out: 'disabled' }));
    const r = await systemdModule.run({ name: 'nginx', state: 'started', enabled: true }, ctx);
    expect(r.changed).toBe(true);
    expect(r.values).toMatchObject({ name: 'nginx', state: 'started', enabled: true, status: { ActiveState: 'inactive' } });
    expect(ctx.planned.map((p) => p.command)).toEqual(['systemctl enable nginx', 'systemctl start nginx']);
  });

  it('does nothing for a running, enabled unit', async () => {
    const ctx = scriptedContext(rules(SHOW_ACTIVE, { rc: 0, out: 'enabled' }));
    const r = await systemdModule.run({ name: 'nginx', state: 'started', enabled: true }, ctx);
    expect(r.changed).toBe(false);
    expect(ctx.planned).toEqual([]);
  });

  it('restarted always acts; check mode records without running', async () => {
    const ctx = scriptedContext(rules(SHOW_ACTIVE, { rc: 0, out: 'enabled' }), { check: true });
    const r = await systemdModule.run({ name: 'nginx', state: 'restarted', daemon_reload: true }, ctx);
    expect(r.changed).toBe(true);
    expect(r.values?.state).toBe('started');
    expect(ctx.planned).toEqual([
      { command: 'systemctl daemon-reload', kind: 'exec', executed: false },
      { command: 'systemctl restart nginx', kind: 'exec', executed: false },
    ]);
  });

  it('fails for unknown units and hosts without systemctl', async () => {
    const missing = scriptedContext([
      { match: /^command -v systemctl$/, result: {} },
      { match: /^systemctl show nope$/, result: { stdout: 'Id=nope.service\nLoadState=not-found\nActiveState=inactive\n' } },
      { match: /^test -e \/etc\/init.d\/nope$/, result: { rc: 1 } },
    ]);
    await expect(systemdModule.run({ name: 'nope', state: 'started' }, missing)).rejects.toThrow('Could not find the requested service nope: host');
    const none = scriptedContext([
      { match: /^command -v systemctl$/, result: { rc: 1 } },
      { match: /PATH/, result: { stdout: '/usr/bin:/bin' } },
    ]);
    await expect(systemdModule.run({ name: 'x', state: 'started' }, none)).rejects.toThrow(
      'Failed to find required executable "systemctl" in paths: /usr/bin:/bin',
    );
  });

  it('service delegates to systemd and rejects other service managers', async () => {
    const ctx = scriptedContext(rules(SHOW_ACTIVE, { rc: 0, out: 'enabled' }));
    const r = await serviceModule.run({ name: 'nginx', state: 'stopped' }, ctx);
    expect(r.changed).toBe(true);
    expect(ctx.planned.map((p) => p.command)).toEqual(['systemctl stop nginx']);
    const sysv = scriptedContext([], { vars: { ansible_service_mgr: 'sysvinit' } });
    await expect(serviceModule.run({ name: 'nginx', state: 'started' }, sysv)).rejects.toThrow(/only supports systemd/);
  });
});

describe('systemd: the rest of Ansible 2.14 systemd.py', () => {
  const base = (show: string, extra: ScriptedRule[] = []): ScriptedRule[] => [
    ...extra,
    { match: /^command -v systemctl$/, result: { stdout: '/usr/bin/systemctl\n' } },
    { match: /systemctl( --\w+)* show nginx$/, result: { stdout: show } },
    { match: /^test -e /, result: { rc: 1 } },
  ];

  it('masked, daemon_reexec, no_block and force go where Ansible puts them', async () => {
    const ctx = scriptedContext(base(SHOW_ACTIVE, [{ match: /is-enabled nginx$/, result: { rc: 1, stdout: 'enabled\n' } }]));
    const r = await systemdModule.run({ name: 'nginx', masked: true, daemon_reexec: true, no_block: true, force: true }, ctx);
    expect(r.changed).toBe(true);
    expect(ctx.planned.map((p) => p.command)).toEqual([
      'systemctl --no-block --force daemon-reexec',
      'systemctl --no-block --force mask nginx',
    ]);
    const unmask = scriptedContext(base(SHOW_ACTIVE, [{ match: /is-enabled nginx$/, result: { rc: 1, stdout: 'masked\n' } }]));
    await systemdModule.run({ name: 'nginx', masked: false }, unmask);
    expect(unmask.planned.map((p) => p.command)).toEqual(['systemctl unmask nginx']);
    const same = scriptedContext(base(SHOW_ACTIVE, [{ match: /is-enabled nginx$/, result: { rc: 1, stdout: 'masked\n' } }]));
    expect((await systemdModule.run({ name: 'nginx', masked: true }, same)).changed).toBe(false);
  });

  it('scope user/global adds --user/--global and a default XDG_RUNTIME_DIR, as Ansible', async () => {
    const ctx = scriptedContext(base(SHOW_INACTIVE));
    await systemdModule.run({ name: 'nginx', state: 'started', scope: 'user', daemon_reload: true }, ctx);
    const xdg = 'XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/run/user/$(id -u)}" systemctl --user';
    expect(ctx.planned.map((p) => p.command)).toEqual([`${xdg} daemon-reload`, `${xdg} start nginx`]);
    expect(ctx.commands).toContain(`${xdg} show nginx`);
  });

  it('returns the systemctl show dict as status, with enabled/state keys as Ansible', async () => {
    const show = 'Type=simple\nActiveState=active\nSubState=running\nLoadState=loaded\nUnitFileState=enabled\nMainPID=42\nFragmentPath=/lib/systemd/system/nginx.service\n';
    const ctx = scriptedContext(base(show, [{ match: /is-enabled nginx -l$/, result: { rc: 0, stdout: 'enabled\n' } }]));
    const r = await systemdModule.run({ name: 'nginx', state: 'reloaded', enabled: true }, ctx);
    expect(r).toEqual({
      changed: true,
      values: {
        name: 'nginx', state: 'started', enabled: true,
        status: { Type: 'simple', ActiveState: 'active', SubState: 'running', LoadState: 'loaded', UnitFileState: 'enabled', MainPID: '42', FragmentPath: '/lib/systemd/system/nginx.service' },
      },
    });
    expect(ctx.planned.map((p) => p.command)).toEqual(['systemctl reload nginx']);
  });

  it('stops a deactivating unit; "indirect" alone counts as disabled; failures quote systemctl', async () => {
    const ctx = scriptedContext(base(SHOW_ACTIVE.replace('=active', '=deactivating'), [{ match: /is-enabled nginx -l$/, result: { stdout: 'indirect\n' } }]));
    await systemdModule.run({ name: 'nginx', state: 'stopped', enabled: true }, ctx);
    expect(ctx.planned.map((p) => p.command)).toEqual(['systemctl enable nginx', 'systemctl stop nginx']);
    const bad = scriptedContext(base(SHOW_INACTIVE, [{ match: /^systemctl start/, result: { rc: 5, stderr: 'Job failed' } }]));
    await expect(systemdModule.run({ name: 'nginx', state: 'started' }, bad)).rejects.toThrow('Unable to start service nginx: Job failed');
    const reload = scriptedContext(base(SHOW_INACTIVE, [{ match: /daemon-reload/, result: { rc: 1, stderr: 'denied' } }]));
    await expect(systemdModule.run({ daemon_reload: true }, reload)).rejects.toThrow('failure 1 during daemon-reload: denied');
  });

  it('an init script unknown to systemd is found (with Ansible\'s warning) and enabled through rc?.d links', async () => {
    const notFound = 'Id=legacy.service\nLoadState=not-found\nActiveState=inactive\n';
    const ctx = scriptedContext([
      { match: /^command -v systemctl$/, result: {} },
      { match: /^systemctl show legacy$/, result: { stdout: notFound } },
      { match: /^test -e \/etc\/init.d\/legacy$/, result: { rc: 0 } },
      { match: /^systemctl is-enabled legacy -l$/, result: { rc: 1, stdout: '' } },
      { match: /^ls \/etc\/rc\?\.d\/S\?\?legacy /, result: { rc: 0 } },
    ]);
    const r = await systemdModule.run({ name: 'legacy', enabled: true }, ctx);
    expect(r).toEqual({ changed: false, values: { name: 'legacy', status: { Id: 'legacy.service', LoadState: 'not-found', ActiveState: 'inactive' }, enabled: true } });
    expect(ctx.warnings).toEqual(['The service (legacy) is actually an init script but the system is managed by systemd']);
  });

  it("works around 'Failed to parse bus message' with list-unit-files and is-active", async () => {
    const ctx = scriptedContext([
      { match: /^command -v systemctl$/, result: {} },
      { match: /^systemctl show 'getty@tty1'$|^systemctl show getty@tty1$/, result: { rc: 1, stdout: 'Id=getty@tty1.service\n', stderr: 'Failed to parse bus message: Invalid argument' } },
      { match: /list-unit-files 'getty@\*'$/, result: { stdout: 'getty@.service enabled\n' } },
      { match: /is-active getty@tty1$/, result: { rc: 3, stdout: 'inactive\n' } },
    ]);
    const r = await systemdModule.run({ name: 'getty@tty1', state: 'started' }, ctx);
    expect(r.values?.status).toEqual({ Id: 'getty@tty1.service', ActiveState: 'inactive' });
    expect(ctx.planned.map((p) => p.command)).toEqual(['systemctl start getty@tty1']);
  });

  it('service warns for the arguments systemd does not use, as the service action does', async () => {
    const ctx = scriptedContext(base(SHOW_ACTIVE));
    await serviceModule.run({ name: 'nginx', state: 'started', pattern: 'nginx', sleep: 2 }, ctx);
    expect(ctx.warnings).toEqual(['Ignoring "pattern" as it is not used in "systemd"', 'Ignoring "sleep" as it is not used in "systemd"']);
  });
});
