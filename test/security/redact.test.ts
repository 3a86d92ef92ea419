import { describe, expect, it } from 'vitest';
import { isRedactable, liveSecrets, REDACTED, Redactor } from '../../src/events/redact.js';
import { RunError } from '../../src/model/errors.js';

describe('Redactor', () => {
  it('ignores values that are too short or common scalar words', () => {
    const r = new Redactor();
    for (const v of ['abc', '  ab ', 'true', 'False', 'NONE', 'null', 'yes', 'off', '', undefined, null, true, { a: 'secret-xyz' }]) r.add(v);
    expect(r.size).toBe(0);
    expect(isRedactable('abcd')).toBe(true);
    expect(isRedactable('true')).toBe(false);
    r.add('abcd');
    expect(r.redactText('xabcdx true abc')).toBe(`x${REDACTED}x true abc`);
  });

  it('replaces every occurrence, longest secret first', () => {
    const r = new Redactor();
    r.add('abcdef');
    r.add('abcdef.0123456789abcdef');
    expect(r.redactText('join --token abcdef.0123456789abcdef; id abcdef; again abcdef.0123456789abcdef')).toBe(
      `join --token ${REDACTED}; id ${REDACTED}; again ${REDACTED}`,
    );
  });

  it('escapes regular-expression characters in secrets', () => {
    const r = new Redactor();
    r.add('p@ss.(w*rd)?');
    expect(r.redactText('x p@ss.(w*rd)? y pXss.(wwrd)')).toBe(`x ${REDACTED} y pXss.(wwrd)`);
  });

  it('registers the trimmed form of a value with surrounding whitespace, and numbers by their text', () => {
    const r = new Redactor();
    r.add('hunter22\n');
    r.add(12345678);
    expect(r.redactText('pw=hunter22.')).toBe(`pw=${REDACTED}.`);
    expect(r.redact({ n: 12345678, m: 5 })).toEqual({ n: REDACTED, m: 5 });
  });

  it('addDeep registers strings nested in arrays and objects', () => {
    const r = new Redactor();
    r.addDeep({ a: ['first-secret', { b: 'second-secret' }], c: 7 });
    expect(r.redactText('first-secret second-secret')).toBe(`${REDACTED} ${REDACTED}`);
  });

  it('redacts deeply without mutating, leaves keys alone, and copies only what changes', () => {
    const r = new Redactor();
    r.add('s3cr3t-key');
    const untouched = { deep: ['plain'] };
    const input = { 's3cr3t-key': 's3cr3t-key', list: ['a s3cr3t-key b', 1, null], untouched };
    const out = r.redact(input);
    expect(out).toEqual({ 's3cr3t-key': REDACTED, list: [`a ${REDACTED} b`, 1, null], untouched: { deep: ['plain'] } });
    expect(input.list[0]).toBe('a s3cr3t-key b');
    expect(input['s3cr3t-key']).toBe('s3cr3t-key');
    expect(out.untouched).toBe(untouched);
    const clean = { a: { b: 'nothing here' } };
    expect(r.redact(clean)).toBe(clean);
  });

  it('returns the value itself while no secret is known', () => {
    const r = new Redactor();
    const event = { event: 'x', result: { msg: 'hello' } };
    expect(r.redact(event)).toBe(event);
    expect(r.redactText('hello')).toBe('hello');
  });

  it('handles cyclic values', () => {
    const r = new Redactor();
    r.add('cyclic-secret');
    const a: Record<string, unknown> = { s: 'cyclic-secret' };
    a.self = a;
    const out = r.redact(a) as Record<string, unknown>;
    expect(out.s).toBe(REDACTED);
  });

  it('reads live sources again before each redaction', () => {
    const r = new Redactor();
    const live = new Set<string>();
    r.addSource(() => live);
    expect(r.redactText('vault-plain')).toBe('vault-plain');
    live.add('vault-plain');
    expect(r.redactText('vault-plain')).toBe(REDACTED);
    expect(r.redact({ x: ['vault-plain'] })).toEqual({ x: [REDACTED] });
  });

  it('redacts an error in place, keeping its class, message, stack and string fields', () => {
    const r = new Redactor();
    r.add('leaky-pass');
    const err = new RunError("handler 'leaky-pass' not found", { frame: '> 3 | notify: leaky-pass' });
    const same = r.redactError(err);
    expect(same).toBe(err);
    expect(err).toBeInstanceOf(RunError);
    expect(err.message).toBe(`handler '${REDACTED}' not found`);
    expect(err.stack).not.toContain('leaky-pass');
    expect(err.frame).toBe(`> 3 | notify: ${REDACTED}`);
    expect(err.describe()).not.toContain('leaky-pass');
    expect(r.redactError('not an error')).toBe('not an error');
  });
});

describe('liveSecrets', () => {
  it('iterates its sources afresh each time, skipping undefined', () => {
    const set = new Set<string>(['one-secret']);
    const live = liveSecrets(set, undefined, 'fixed-secret');
    expect([...live]).toEqual(['one-secret', 'fixed-secret']);
    set.add('two-secret');
    expect([...live]).toEqual(['one-secret', 'two-secret', 'fixed-secret']);
  });
});
