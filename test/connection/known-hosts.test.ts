import { describe, expect, it } from 'vitest';
import { createHmac, createHash } from 'node:crypto';
import {
  checkHostKey,
  fingerprintSha256,
  hashHostName,
  hostFieldMatches,
  hostLookupName,
  keyTypeOfBlob,
  parseKnownHosts,
  preferredHostKeyAlgorithms,
  wildcardMatch,
} from '../../src/connection/known-hosts.js';

function blob(type: string, body: string): Buffer {
  const t = Buffer.from(type);
  const b = Buffer.from(body);
  const out = Buffer.alloc(8 + t.length + b.length);
  out.writeUInt32BE(t.length, 0);
  t.copy(out, 4);
  out.writeUInt32BE(b.length, 4 + t.length);
  b.copy(out, 8 + t.length);
  return out;
}
const ED_A = blob('ssh-ed25519', 'A'.repeat(32)).toString('base64');
const ED_B = blob('ssh-ed25519', 'B'.repeat(32)).toString('base64');
const RSA_A = blob('ssh-rsa', 'rsa-key-a').toString('base64');

function hashed(name: string, salt = Buffer.from('0123456789abcdef0123')): string {
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

describe('known_hosts parsing', () => {
  it('reads plain, hashed, bracketed, marked lines and skips comments and junk', () => {
    const text = [
      '# comment',
      '',
      `web1,10.0.0.1 ssh-ed25519 ${ED_A} comment here`,
      `${hashed('db1')} ssh-rsa ${RSA_A}`,
      `[bastion]:2222 ssh-ed25519 ${ED_B}`,
      `@revoked * ssh-ed25519 ${ED_B}`,
      `@cert-authority *.example.com ssh-ed25519 ${ED_A}`,
      '@bogus x ssh-ed25519 AAAA',
      'only-two fields',
    ].join('\n');
    const entries = parseKnownHosts(text, '/k');
    expect(entries.map((e) => [e.line, e.marker, e.keyType])).toEqual([
      [3, undefined, 'ssh-ed25519'],
      [4, undefined, 'ssh-rsa'],
      [5, undefined, 'ssh-ed25519'],
      [6, 'revoked', 'ssh-ed25519'],
      [7, 'cert-authority', 'ssh-ed25519'],
    ]);
    expect(entries[0].file).toBe('/k');
  });
});

describe('host matching', () => {
  it('uses [host]:port for non-standard ports only', () => {
    expect(hostLookupName('Web1', 22)).toBe('web1');
    expect(hostLookupName('127.0.2.1', 2222)).toBe('[127.0.2.1]:2222');
  });

  it('matches wildcards and negations', () => {
    expect(wildcardMatch('*.example.com', 'a.example.com')).toBe(true);
    expect(wildcardMatch('web?', 'web1')).toBe(true);
    expect(wildcardMatch('web?', 'web12')).toBe(false);
    expect(hostFieldMatches('*.example.com,!bad.example.com', 'good.example.com')).toBe(true);
    expect(hostFieldMatches('*.example.com,!bad.example.com', 'bad.example.com')).toBe(false);
    expect(hostFieldMatches('[127.0.0.1]:2222', '[127.0.0.1]:2222')).toBe(true);
    expect(hostFieldMatches('127.0.0.1', '[127.0.0.1]:2222')).toBe(false);
  });

  it('matches hashed names with HMAC-SHA1 (HashKnownHosts)', () => {
    const field = hashed('[10.1.1.1]:2200');
    expect(hostFieldMatches(field, '[10.1.1.1]:2200')).toBe(true);
    expect(hostFieldMatches(field, '10.1.1.1')).toBe(false);
    const salt = Buffer.alloc(20, 7).toString('base64');
    expect(hashHostName('x', salt)).toBe(createHmac('sha1', Buffer.alloc(20, 7)).update('x').digest('base64'));
  });
});

describe('checkHostKey', () => {
  const entries = parseKnownHosts(
    [`web1 ssh-ed25519 ${ED_A}`, `web1 ssh-rsa ${RSA_A}`, `${hashed('[db]:2222')} ssh-ed25519 ${ED_B}`, `@revoked web9 ssh-ed25519 ${ED_B}`, `web9 ssh-ed25519 ${ED_B}`].join('\n'),
    '/kh',
  );

  it('accepts a listed key among several key types', () => {
    expect(checkHostKey(entries, 'web1', 'ssh-rsa', RSA_A).kind).toBe('match');
    expect(checkHostKey(entries, 'web1', 'ssh-ed25519', ED_A).kind).toBe('match');
    expect(checkHostKey(entries, '[db]:2222', 'ssh-ed25519', ED_B).kind).toBe('match');
  });

  it('reports a changed key of the same type with the old entry', () => {
    const v = checkHostKey(entries, 'web1', 'ssh-ed25519', ED_B);
    expect(v.kind).toBe('changed');
    if (v.kind === 'changed') expect(v.entries[0].line).toBe(1);
  });

  it('reports unknown hosts, listing other known key types', () => {
    expect(checkHostKey(entries, 'web2', 'ssh-ed25519', ED_A)).toEqual({ kind: 'unknown', otherTypes: [] });
    const onlyRsa = parseKnownHosts(`web3 ssh-rsa ${RSA_A}`, '/x');
    expect(checkHostKey(onlyRsa, 'web3', 'ssh-ed25519', ED_A)).toEqual({ kind: 'unknown', otherTypes: ['ssh-rsa'] });
    // The hashed entry is for port 2222 only.
    expect(checkHostKey(entries, 'db', 'ssh-ed25519', ED_B).kind).toBe('unknown');
  });

  it('refuses a revoked key even if another line lists it', () => {
    expect(checkHostKey(entries, 'web9', 'ssh-ed25519', ED_B).kind).toBe('revoked');
  });

  it('orders host key algorithms so known types come first', () => {
    expect(preferredHostKeyAlgorithms(entries, 'web1')).toEqual(['ssh-ed25519', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    expect(preferredHostKeyAlgorithms(entries, 'nobody')).toEqual([]);
  });
});

describe('key blobs', () => {
  it('reads the type and fingerprints like ssh-keygen -l', () => {
    const b = Buffer.from(ED_A, 'base64');
    expect(keyTypeOfBlob(b)).toBe('ssh-ed25519');
    expect(fingerprintSha256(b)).toBe(`SHA256:${createHash('sha256').update(b).digest('base64').replace(/=+$/, '')}`);
    expect(fingerprintSha256(b)).not.toContain('=');
  });
});
