import ssh2 from 'ssh2';
import { describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../src/lab/keys.js';

describe('lab key pairs', () => {
  // ssh2's generator yields an unparseable ed25519 public key about once in 250 draws; the lab
  // must never hand one out (it made `npm run demo` fail at random).
  it('every generated pair parses, over 1,500 draws', () => {
    for (let i = 0; i < 1500; i++) {
      const pair = generateKeyPair('tsbook-lab');
      expect(ssh2.utils.parseKey(pair.publicLine)).not.toBeInstanceOf(Error);
      expect(ssh2.utils.parseKey(pair.privateKey)).not.toBeInstanceOf(Error);
    }
  });
});
