import { describe, expect, it } from 'vitest';
import { expandTokens, hostPatternsMatch, parseSshConfig, resolveSshConfig } from '../../src/connection/ssh-config.js';

const CONFIG = `
# global defaults
ServerAliveInterval 30

Host web-* !web-legacy
  User deploy
  IdentityFile ~/.ssh/web_key
  Port=2201

Host web-1
  User ignored-because-first-wins
  HostName 10.0.0.11

Host "db*"
  HostName %h.internal
  ProxyJump bastion
  StrictHostKeyChecking accept-new

Match host web-legacy
  User legacy

Match exec "true"
  User never

Host *
  User fallback
  IdentityFile ~/.ssh/id_default
  UserKnownHostsFile ~/.ssh/kh1 ~/.ssh/kh2
`;

describe('ssh_config', () => {
  const sections = parseSshConfig(CONFIG, '/home/u/.ssh/config');

  it('applies matching sections with first value winning and IdentityFile accumulating', () => {
    const r = resolveSshConfig(sections, 'web-1');
    expect(r.values.get('user')).toBe('deploy');
    expect(r.values.get('hostname')).toBe('10.0.0.11');
    expect(r.values.get('port')).toBe('2201');
    expect(r.values.get('serveraliveinterval')).toBe('30');
    expect(r.identityFiles).toEqual(['~/.ssh/web_key', '~/.ssh/id_default']);
  });

  it('honours negated patterns and Match host; unsupported Match criteria never match', () => {
    const r = resolveSshConfig(sections, 'web-legacy');
    expect(r.values.get('user')).toBe('legacy');
    expect(r.values.get('port')).toBeUndefined();
    expect(resolveSshConfig(sections, 'other').values.get('user')).toBe('fallback');
  });

  it('keeps quoted patterns and multi-word values', () => {
    const r = resolveSshConfig(sections, 'db7');
    expect(r.values.get('proxyjump')).toBe('bastion');
    expect(r.values.get('hostname')).toBe('%h.internal');
    expect(r.values.get('userknownhostsfile')).toBe('~/.ssh/kh1 ~/.ssh/kh2');
  });

  it('follows Include through the reader, inside the including section', () => {
    const secs = parseSshConfig('Host a\n  Include extra.conf\nHost b\n  User bee\n', '/c', (p) =>
      p === 'extra.conf' ? [{ file: '/extra.conf', text: 'User from-include\nHost c\n  User see\n' }] : [],
    );
    expect(resolveSshConfig(secs, 'a').values.get('user')).toBe('from-include');
    expect(resolveSshConfig(secs, 'b').values.get('user')).toBe('bee');
    expect(resolveSshConfig(secs, 'c').values.get('user')).toBe('see');
  });

  it('matches pattern lists and expands tokens', () => {
    expect(hostPatternsMatch(['*.prod', '!db.prod'], 'web.prod')).toBe(true);
    expect(hostPatternsMatch(['*.prod', '!db.prod'], 'db.prod')).toBe(false);
    expect(hostPatternsMatch(['a,b'], 'b')).toBe(true);
    const ctx = { host: 'db7.internal', originalHost: 'db7', port: 22, remoteUser: 'r', localUser: 'me', home: '/home/me' };
    expect(expandTokens('~/.ssh/%r@%h:%p-%n-%u-%%', ctx)).toBe('/home/me/.ssh/r@db7.internal:22-db7-me-%');
  });
});
