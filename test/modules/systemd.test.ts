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
