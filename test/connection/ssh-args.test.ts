import { describe, expect, it } from 'vitest';
import { allOptions, firstOption, parseSshArgs, splitShellWords } from '../../src/connection/ssh-args.js';

describe('splitShellWords', () => {
  it('handles quotes and backslashes like shlex', () => {
    expect(splitShellWords(`-o 'ProxyCommand=ssh -W %h:%p b' -o "A=b c" x\\ y ''`)).toEqual(['-o', 'ProxyCommand=ssh -W %h:%p b', '-o', 'A=b c', 'x y', '']);
    expect(() => splitShellWords(`-o 'open`)).toThrow(/unterminated/);
  });
});

describe('parseSshArgs', () => {
  it('reads -o in both forms, -p, -i, -J, -l, -F and clusters', () => {
    const a = parseSshArgs(
      '-C -o ControlMaster=auto -o ControlPersist=60s',
      '-o UserKnownHostsFile=/tmp/kh -oStrictHostKeyChecking=accept-new -o "ConnectTimeout 5" -p 2200 -i ~/.ssh/k1 -J jump@bastion:2222',
      '-l deploy -vi/k2 -F /cfg -o Port=9999',
    );
    expect(firstOption(a, 'UserKnownHostsFile')).toBe('/tmp/kh');
    expect(firstOption(a, 'stricthostkeychecking')).toBe('accept-new');
    expect(firstOption(a, 'connecttimeout')).toBe('5');
    expect(firstOption(a, 'port')).toBe('2200'); // first wins over the later -o Port=9999
    expect(allOptions(a, 'identityfile')).toEqual(['~/.ssh/k1', '/k2']);
    expect(firstOption(a, 'proxyjump')).toBe('jump@bastion:2222');
    expect(firstOption(a, 'user')).toBe('deploy');
    expect(firstOption(a, 'configfile')).toBe('/cfg');
    expect(a.ignored).toEqual(['-C', '-v']);
  });

  it('keeps -o ProxyJump and -o User, and ignores flags with arguments it does not use', () => {
    const a = parseSshArgs('-o ProxyJump=a,b -o User=ops -L 8080:localhost:80 -o');
    expect(firstOption(a, 'proxyjump')).toBe('a,b');
    expect(firstOption(a, 'user')).toBe('ops');
    expect(a.ignored).toEqual(['-L 8080:localhost:80', '-o']);
  });
});
