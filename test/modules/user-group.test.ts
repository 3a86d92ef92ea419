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

describe('user: more of Ansible 2.14 user.py', () => {
  const HASH = `$6$saltsalt$${'a'.repeat(86)}`;
  const existing: ScriptedRule[] = [
    { match: /^getent passwd alice$/, result: { stdout: ALICE } },
    { match: /^getent group$/, result: { stdout: GROUPS } },
    { match: /^getent shadow alice$/, result: { stdout: 'alice:$6$old$xyz:19000:0:99999:7:::\n' } },
    { match: /^test -d/, result: {} },
  ];

  it('update_password: always changes a differing hash, on_create never touches an existing user', async () => {
    const always = scriptedContext(existing);
    expect((await userModule.run({ name: 'alice', password: HASH }, always)).changed).toBe(true);
    expect(always.planned.map((p) => p.command)).toEqual(['chpasswd -e']);
    expect(always.stdins).toContain(`alice:${HASH}\n`);
    const onCreate = scriptedContext(existing);
    expect((await userModule.run({ name: 'alice', password: HASH, update_password: 'on_create' }, onCreate)).changed).toBe(false);
    expect(onCreate.planned).toEqual([]);
    expect(always.warnings).toEqual([]);
  });

  it("warns like Ansible for a password that is not a hash, and for append without groups", async () => {
    const ctx = scriptedContext(existing, { check: true });
    await userModule.run({ name: 'alice', password: 'hunter2', append: true }, ctx);
    expect(ctx.warnings).toEqual([
      "The input password appears not to have been hashed. The 'password' argument must be encrypted for this module to work properly.",
      "'append' is set, but no 'groups' are specified. Use 'groups' for appending new groups.This will change to an error in Ansible 2.14.",
    ]);
  });

  it('creates a system user without home in useradd argument order', async () => {
    const ctx = scriptedContext([
      { match: /^getent passwd svc$/, result: { rc: 2 } },
      { match: /^getent group$/, result: { stdout: `${GROUPS}svc:x:998:\n` } },
    ]);
    const r = await userModule.run({ name: 'svc', uid: 998, home: '/srv/svc', shell: '/usr/sbin/nologin', create_home: false, system: true, comment: 'Service' }, ctx);
    expect(ctx.planned.map((p) => p.command)).toEqual(["useradd -u 998 -N -c Service -d /srv/svc -s /usr/sbin/nologin -M -r svc"]);
    expect(r.values).toMatchObject({ system: true, create_home: false });
    const home = scriptedContext([
      { match: /^getent passwd web$/, result: { rc: 2 } },
      { match: /^getent group$/, result: { stdout: GROUPS } },
    ]);
    await userModule.run({ name: 'web', home: '/srv/www/web', skeleton: '/etc/skel.web', umask: '0077' }, home);
    expect(home.planned.map((p) => p.command)).toEqual(['mkdir -p -- /srv/www', 'useradd -d /srv/www/web -m -k /etc/skel.web -K UMASK=0077 web']);
  });

  it("groups: '' removes every supplementary group; append only adds missing ones", async () => {
    const none = scriptedContext(existing);
    await userModule.run({ name: 'alice', groups: '' }, none);
    expect(none.planned.map((p) => p.command)).toEqual(["usermod -G '' alice"]);
    const already = scriptedContext(existing);
    expect((await userModule.run({ name: 'alice', groups: ['sudo'], append: true }, already)).changed).toBe(false);
    const exact = scriptedContext(existing);
    await userModule.run({ name: 'alice', groups: ['docker'] }, exact);
    expect(exact.planned.map((p) => p.command)).toEqual(['usermod -G docker alice']);
    const absent = scriptedContext(existing);
    await userModule.run({ name: 'alice', state: 'absent', force: true, remove: true }, absent);
    expect(absent.planned.map((p) => p.command)).toEqual(['userdel -f -r alice']);
  });

  describe('generate_ssh_key', () => {
    const PUB = 'ssh-ed25519 AAAAC3Nza alice@box';
    const keyRules = (flags: string, extra: ScriptedRule[] = []): ScriptedRule[] => [
      ...extra,
      { match: /^for p in /, result: { stdout: flags } },
      { match: /^uname -n$/, result: { stdout: 'box\n' } },
      { match: /ssh-keygen -l -f/, result: { stdout: '256 SHA256:abc alice@box (ED25519)\n' } },
      { match: /^cat -- /, result: { stdout: `${PUB}\n` } },
      ...existing,
    ];

    it('creates ~/.ssh and the key with ssh-keygen, and returns fingerprint, file and public key', async () => {
      const ctx = scriptedContext(keyRules('0\n0\n0\n1\n'));
      const r = await userModule.run({ name: 'alice', generate_ssh_key: true, ssh_key_type: 'ed25519' }, ctx);
      expect(r.changed).toBe(true);
      expect(ctx.planned.map((p) => p.command)).toEqual([
        'mkdir -m 0700 -- /home/alice/.ssh && chown 1000:1000 /home/alice/.ssh',
        "ssh-keygen -t ed25519 -C 'ansible-generated on box' -f /home/alice/.ssh/id_ed25519 -N '' && chown 1000:1000 /home/alice/.ssh/id_ed25519 /home/alice/.ssh/id_ed25519.pub",
      ]);
      expect(r.values).toMatchObject({
        ssh_fingerprint: '256 SHA256:abc alice@box (ED25519)',
        ssh_key_file: '/home/alice/.ssh/id_ed25519',
        ssh_public_key: PUB,
      });
    });

    it('keeps an existing key (warning) unless force; the passphrase goes through stdin', async () => {
      const keep = scriptedContext(keyRules('1\n1\n1\n1\n'));
      const r = await userModule.run({ name: 'alice', generate_ssh_key: true }, keep);
      expect(r.changed).toBe(false);
      expect(keep.warnings).toEqual(['Found existing ssh key private file "/home/alice/.ssh/id_rsa", no force, so skipping ssh-keygen generation']);
      const force = scriptedContext(keyRules('1\n1\n1\n1\n'));
      await userModule.run(
        { name: 'alice', generate_ssh_key: true, force: true, ssh_key_bits: 4096, ssh_key_file: '/etc/keys/alice', ssh_key_comment: 'me', ssh_key_passphrase: 's3cret' },
        force,
      );
      expect(force.planned.map((p) => p.command)).toEqual([
        'rm -f -- /etc/keys/alice.pub && { IFS= read -r P && ssh-keygen -t rsa -b 4096 -C me -f /etc/keys/alice -N "$P"; } && chown 1000:1000 /etc/keys/alice /etc/keys/alice.pub',
      ]);
      expect(force.stdins).toContain('s3cret\ny\n');
      expect(force.commands.join('\n')).not.toContain('s3cret');
    });

    it('check mode reports the change without running ssh-keygen', async () => {
      const ctx = scriptedContext(keyRules('0\n0\n1\n1\n', [{ match: /ssh-keygen -l/, result: { rc: 1 } }]), { check: true });
      const r = await userModule.run({ name: 'alice', generate_ssh_key: true }, ctx);
      expect(r.changed).toBe(true);
      expect(ctx.planned.every((p) => !p.executed)).toBe(true);
      expect(r.values).toMatchObject({ ssh_fingerprint: '', ssh_key_file: '/home/alice/.ssh/id_rsa' });
    });
  });
});
