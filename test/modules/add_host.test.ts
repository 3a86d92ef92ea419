import { describe, expect, it } from 'vitest';
import { addHostModule, splitHostPort } from '../../src/modules/add_host.js';
import { groupByModule } from '../../src/modules/group_by.js';
import { setStatsModule } from '../../src/modules/set_stats.js';
import { createModuleContext } from '../support/module-context.js';

const ctx = createModuleContext();

describe('add_host', () => {
  it('returns the host, its groups and its variables as Ansible does', async () => {
    expect((await addHostModule.run({ name: 'newhost', groups: ['g1', 'g2'], foo: 'bar' }, ctx)).values).toEqual({
      add_host: { host_name: 'newhost', groups: ['g1', 'g2'], host_vars: { foo: 'bar' } },
    });
  });

  it('accepts aliases, comma-separated groups and a port', async () => {
    expect((await addHostModule.run({ hostname: 'h:2222', group: 'a, b,a' }, ctx)).values).toEqual({
      add_host: { host_name: 'h', groups: ['a', 'b'], host_vars: { group: 'a, b,a', ansible_ssh_port: 2222 } },
    });
    expect(splitHostPort('[::1]:22')).toEqual({ host: '::1', port: 22 });
    expect(splitHostPort('fe80::1')).toEqual({ host: 'fe80::1' });
  });

  it('requires a name', async () => {
    await expect(addHostModule.run({ groups: 'x' }, ctx)).rejects.toThrow('name, host or hostname needs to be provided');
  });
});

describe('group_by', () => {
  it('returns the group and its parents with spaces as dashes', async () => {
    expect((await groupByModule.run({ key: 'grp world', parents: ['p 1'] }, ctx)).values).toEqual({ add_group: 'grp-world', parent_groups: ['p-1'] });
    expect((await groupByModule.run({ key: 'g' }, ctx)).values).toEqual({ add_group: 'g', parent_groups: ['all'] });
    expect((await groupByModule.run({ key: 'g', parents: 'p' }, ctx)).values).toEqual({ add_group: 'g', parent_groups: ['p'] });
  });
});

describe('set_stats', () => {
  it('returns ansible_stats with defaults', async () => {
    expect((await setStatsModule.run({ data: { x: 1 } }, ctx)).values).toEqual({ ansible_stats: { data: { x: 1 }, per_host: false, aggregate: true } });
    expect((await setStatsModule.run({ data: { x: 1 }, per_host: 'yes', aggregate: false }, ctx)).values).toEqual({
      ansible_stats: { data: { x: 1 }, per_host: true, aggregate: false },
    });
  });

  it('rejects non-mapping data and bad names', async () => {
    expect(await setStatsModule.run({ data: [1] }, ctx)).toMatchObject({ failed: true, msg: "The 'data' option needs to be a dictionary/hash" });
    expect((await setStatsModule.run({ data: { 'a-b': 1 } }, ctx)).msg).toContain("The variable name 'a-b' is not valid.");
  });
});
