import { describe, expect, it } from 'vitest';
import { userModule } from '../../src/modules/user.js';
import { groupModule } from '../../src/modules/group.js';
import { scriptedContext } from '../support/file-module-context.js';
import type { ScriptedRule } from '../support/file-module-context.js';

const GROUPS = 'root:x:0:\nsudo:x:27:alice\ndocker:x:999:\nalice:x:1000:\n';
const ALICE = 'alice:x:1000:1000:Alice:/home/alice:/bin/bash\n';

describe('group', () => {
  it('creates a missing group with gid and system flags', async () => {
    let created = false;
    const ctx = scriptedContext([
      { match: /^getent group web$/, result: { rc: 2 } },
      { match: /^groupadd/, result: {} },
    ]);
    const r = await groupModule.run({ name: 'web', gid: 1500, system: true }, ctx);
    created = r.changed;
    expect(created).toBe(true);
    expect(ctx.planned.map((p) => p.command)).toEqual(['groupadd -g 1500 -r web']);
    expect(r.values).toEqual({ name: 'web', state: 'present' });
  });

  it('is unchanged when the group matches, and changes the gid when it differs', async () => {
    const rules: ScriptedRule[] = [{ match: /^getent group docker$/, result: { stdout: 'docker:x:999:\n' } }];
    const same = await groupModule.run({ name: 'docker' }, scriptedContext(rules));
    expect(same).toEqual({ changed: false, values: { name: 'docker', state: 'present', system: false, gid: 999 } });
    const ctx = scriptedContext(rules);
    expect((await groupModule.run({ name: 'docker', gid: 990 }, ctx)).changed).toBe(true);
    expect(ctx.planned.map((p) => p.command)).toEqual(['groupmod -g 990 docker']);
  });

  it('removes, and check mode only records', async () => {
    const rules: ScriptedRule[] = [{ match: /^getent group docker$/, result: { stdout: 'docker:x:999:\n' } }];
    const ctx = scriptedContext(rules, { check: true });
    expect(await groupModule.run({ name: 'docker', state: 'absent' }, ctx)).toEqual({ changed: true });
    expect(ctx.planned).toEqual([]);
    const real = scriptedContext(rules);
    await groupModule.run({ name: 'docker', state: 'absent' }, real);
    expect(real.planned.map((p) => p.command)).toEqual(['groupdel docker']);
  });
});

describe('user', () => {
  const existing: ScriptedRule[] = [
    { match: /^getent passwd alice$/, result: { stdout: ALICE } },
    { match: /^getent group$/, result: { stdout: GROUPS } },
    { match: /^getent shadow alice$/, result: { stdout: 'alice:$6$old:19000:0:99999:7:::\n' } },
    { match: /^test -d/, result: {} },
  ];

  it('creates a user with useradd and sets the password through stdin only', async () => {
    const ctx = scriptedContext([
      { match: /^getent passwd bob$/, result: { rc: 2 } },
      { match: /^getent group$/, result: { stdout: GROUPS } },
      { match: /^test -d/, result: {} },
    ]);
    const r = await userModule.run({ name: 'bob', groups: ['sudo', 'docker'], shell: '/bin/zsh', password: '$6$secret' }, ctx);
    expect(r.changed).toBe(true);
    expect(ctx.planned.map((p) => p.command)).toEqual(['useradd -G sudo,docker -s /bin/zsh -m bob', 'chpasswd -e']);
    expect(ctx.stdins).toContain('bob:$6$secret\n');
    expect(ctx.commands.join('\n')).not.toContain('secret');
    expect(r.values).toMatchObject({ name: 'bob', state: 'present', password: 'NOT_LOGGING_PASSWORD', system: false, create_home: true });
  });

  it('modifies only what differs, and reports Ansible keys', async () => {
    const ctx = scriptedContext(existing);
    const r = await userModule.run({ name: 'alice', shell: '/bin/zsh', groups: 'docker', append: true, comment: 'Alice' }, ctx);
    expect(r.changed).toBe(true);
    expect(ctx.planned.map((p) => p.command)).toEqual(['usermod -a -G docker -s /bin/zsh alice']);
    expect(r.values).toMatchObject({ name: 'alice', uid: 1000, group: 1000, home: '/home/alice', shell: '/bin/bash', groups: 'docker', append: true, move_home: false });
  });

  it('is unchanged when everything matches (password hash included)', async () => {
    const ctx = scriptedContext(existing);
    const r = await userModule.run({ name: 'alice', groups: ['sudo'], comment: 'Alice', password: '$6$old' }, ctx);
    expect(r.changed).toBe(false);
    expect(ctx.planned).toEqual([]);
  });

  it('fails for a missing primary group and removes users', async () => {
    await expect(userModule.run({ name: 'alice', group: 'nope' }, scriptedContext(existing))).rejects.toThrow('Group nope does not exist');
    const ctx = scriptedContext(existing);
    const r = await userModule.run({ name: 'alice', state: 'absent', remove: true }, ctx);
    expect(r).toEqual({ changed: true, values: { name: 'alice', state: 'absent', force: false, remove: true } });
    expect(ctx.planned.map((p) => p.command)).toEqual(['userdel -r alice']);
  });
});
