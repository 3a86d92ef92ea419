/**
 * Measurements for the SSH transport (not a test): `npx vite-node test/connection/bench-ssh.ts`.
 * - exec round trip on one connection, with and without TCP_NODELAY
 * - 12 parallel logins with different key exchange preferences
 */
import { startFleet } from '../support/fleet.js';
import { defaultResolveContext, resolveSshTarget } from '../../src/connection/factory.js';
import { SshConnection, PREFERRED_KEX, type SshTarget } from '../../src/connection/ssh.js';

const fleet = await startFleet({ hosts: 3 });
const base = (i: number): SshTarget => {
  const h = fleet.hosts[i % fleet.hosts.length];
  return resolveSshTarget(h.name, {
    ansible_host: h.address,
    ansible_port: h.port,
    ansible_user: fleet.user,
    ansible_ssh_private_key_file: fleet.clientKey.privateKeyFile,
    ansible_ssh_common_args: `-o UserKnownHostsFile=${fleet.knownHostsFile}`,
  }, {}, defaultResolveContext());
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function roundTrip(noDelay: boolean, n = 60): Promise<{ median: number; mean: number }> {
  const c = new SshConnection({ ...base(0), noDelay });
  await c.exec('true');
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await c.exec('echo hi');
    times.push(performance.now() - t);
  }
  await c.close();
  return { median: median(times), mean: times.reduce((a, b) => a + b, 0) / n };
}

async function parallelLogins(kex: readonly string[] | undefined, n = 12): Promise<number> {
  const conns = Array.from({ length: n }, (_, i) => new SshConnection({ ...base(i), kex }));
  const t = performance.now();
  await Promise.all(conns.map((c) => c.connect()));
  const ms = performance.now() - t;
  await Promise.all(conns.map((c) => c.close()));
  return ms;
}

try {
  for (let round = 0; round < 2; round++) {
    for (const noDelay of [true, false]) {
      const r = await roundTrip(noDelay);
      console.log(`exec round trip, TCP_NODELAY=${noDelay}: median ${r.median.toFixed(1)} ms, mean ${r.mean.toFixed(1)} ms`);
    }
  }
  const variants: Array<[string, readonly string[] | undefined]> = [
    ['curve25519-sha256 first (tsbook)', PREFERRED_KEX],
    ['ssh2 default list (curve25519-sha256@libssh.org first)', ['curve25519-sha256@libssh.org', ...PREFERRED_KEX.filter((k) => !k.startsWith('curve25519'))]],
    ['ecdh-sha2-nistp256', ['ecdh-sha2-nistp256']],
    ['diffie-hellman-group14-sha256', ['diffie-hellman-group14-sha256']],
  ];
  for (let round = 0; round < 2; round++) {
    for (const [label, kex] of variants) console.log(`12 parallel logins, ${label}: ${(await parallelLogins(kex)).toFixed(0)} ms`);
  }
} finally {
  await fleet.stop();
}
