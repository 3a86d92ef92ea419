import { describe, expect, it } from 'vitest';
import { listedTokens, parseCaHashes, parseCertificateKey, parseInitToken, parseJoinCommand, JoinCommandError } from '../../../src/modules/k8s/join-command.js';
import {
  assertCaHash, goDuration, kubeletMaySetLabel, labelValueProblem, nodeNameProblem, parseDuration, parseEndpoint, parseTaint, qualifiedKeyProblem, taintString, tokenId,
} from '../../../src/modules/k8s/validate.js';
import { nodeInfo, scrub, kubeadmErrorLine, unreachableReason } from '../../../src/modules/k8s/common.js';
import { ModuleFailure } from '../../../src/modules/types.js';

const HASH = `sha256:${'a1'.repeat(32)}`;
const HASH2 = `sha256:${'0f'.repeat(32)}`;
const TOKEN = 'abcdef.0123456789abcdef';
const KEY = 'f'.repeat(64);

describe('parseJoinCommand', () => {
  it('reads the plain --print-join-command line with its trailing space', () => {
    const j = parseJoinCommand(`kubeadm join 10.4.0.10:6443 --token ${TOKEN} --discovery-token-ca-cert-hash ${HASH} \n`);
    expect(j).toEqual({
      endpoint: '10.4.0.10:6443',
      token: TOKEN,
      caCertHashes: [HASH],
      controlPlane: false,
      extraArgs: [],
      command: `kubeadm join 10.4.0.10:6443 --token ${TOKEN} --discovery-token-ca-cert-hash ${HASH}`,
    });
  });

  it('skips klog lines printed before the command', () => {
    const out = [
      'W0612 10:01:02.123456    4242 version.go:104] could not fetch a Kubernetes version from the internet: unable to get URL "https://dl.k8s.io/release/stable-1.txt"',
      'W0612 10:01:02.123789    4242 version.go:105] falling back to the local client version: v1.30.2',
      `kubeadm join k8s-api.lab.internal:6443 --token ${TOKEN} --discovery-token-ca-cert-hash ${HASH} `,
      '',
    ].join('\n');
    const j = parseJoinCommand(out);
    expect(j.endpoint).toBe('k8s-api.lab.internal:6443');
    expect(j.token).toBe(TOKEN);
  });

  it('handles irregular whitespace, tabs and several CA hashes', () => {
    const j = parseJoinCommand(`  kubeadm   join\t10.0.0.1:6443   --token\t${TOKEN}  --discovery-token-ca-cert-hash ${HASH}\t--discovery-token-ca-cert-hash=${HASH2}   \r\n`);
    expect(j.caCertHashes).toEqual([HASH, HASH2]);
    expect(j.endpoint).toBe('10.0.0.1:6443');
  });

  it('reads the control-plane form from kubeadm init output with line continuations', () => {
    const out = `You can now join any number of the control-plane node running the following command on each as root:

  kubeadm join k8s-api:6443 --token ${TOKEN} \\
\t--discovery-token-ca-cert-hash ${HASH} \\
\t--control-plane --certificate-key ${KEY}

Please note that the certificate-key gives access to cluster sensitive data, keep it secret!
`;
    const j = parseJoinCommand(out);
    expect(j.controlPlane).toBe(true);
    expect(j.certificateKey).toBe(KEY);
    expect(j.caCertHashes).toEqual([HASH]);
  });

  it('keeps unknown flags (with values) as extra args, and takes the last join command', () => {
    const out = `kubeadm join old:6443 --token zzzzzz.zzzzzzzzzzzzzzzz\nkubeadm join 10.0.0.2:6443 --token ${TOKEN} --v 5 --discovery-token-ca-cert-hash ${HASH} --skip-phases=preflight\n`;
    const j = parseJoinCommand(out);
    expect(j.endpoint).toBe('10.0.0.2:6443');
    expect(j.extraArgs).toEqual(['--v', '5', '--skip-phases=preflight']);
    expect(j.command.endsWith('--v 5 --skip-phases=preflight')).toBe(true);
  });

  it('rejects output without a join command or without a token', () => {
    expect(() => parseJoinCommand('error: something went wrong\n')).toThrow(JoinCommandError);
    expect(() => parseJoinCommand('kubeadm join 10.0.0.1:6443 --discovery-token-ca-cert-hash x\n')).toThrow(/no --token/);
    expect(() => parseJoinCommand('kubeadm join 10.0.0.1:6443 --token\n')).toThrow(/has no value/);
  });
});

describe('kubeadm output readers', () => {
  const init = `[upload-certs] Storing the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace
[upload-certs] Using certificate key:
${KEY}
[bootstrap-token] Using token: ${TOKEN}
kubeadm join 10.0.0.1:6443 --token ${TOKEN} \\
\t--discovery-token-ca-cert-hash ${HASH} `;
  it('finds the certificate key, the init token and the CA hashes', () => {
    expect(parseCertificateKey(init)).toBe(KEY);
    expect(parseInitToken(init)).toBe(TOKEN);
    expect(parseCaHashes(init)).toEqual([HASH]);
    expect(parseCertificateKey('[upload-certs] Skipping phase. Please see --upload-certs')).toBeUndefined();
  });

  it('lists tokens from the table and the JSON stream', () => {
    const table = `TOKEN                     TTL         EXPIRES                USAGES                   DESCRIPTION   EXTRA GROUPS\n${TOKEN}   29m         2024-06-12T10:31:02Z   authentication,signing   <none>        system:bootstrappers:kubeadm:default-node-token\n`;
    expect(listedTokens(table)).toEqual([TOKEN]);
    const json = `{\n    "kind": "BootstrapToken",\n    "token": "${TOKEN}"\n}\n{\n    "kind": "BootstrapToken",\n    "token": "qwerty.qwertyqwertyqwer"\n}\n`;
    expect(listedTokens(json)).toEqual([TOKEN, 'qwerty.qwertyqwertyqwer']);
  });

  it('scrubs secrets, including tokens and keys it was not told about', () => {
    const text = scrub(`token ${TOKEN} key ${KEY} other zzzzzz.zzzzzzzzzzzzzzzz --certificate-key ${'e'.repeat(64)}`, [TOKEN, KEY]);
    expect(text).not.toContain('0123456789abcdef');
    expect(text).not.toContain(KEY);
    expect(text).not.toContain('zzzzzzzzzzzzzzzz');
    expect(text).not.toContain('e'.repeat(64));
    expect(text).toContain('zzzzzz.****************');
  });

  it('picks kubeadm\'s error line out of stderr', () => {
    const stderr = `W0612 10:00:00.000000 1 join.go:1] warning\nerror execution phase preflight: couldn't validate the identity of the API Server: boom\nTo see the stack trace of this error execute with --v=5 or higher\n`;
    expect(kubeadmErrorLine(stderr, '')).toBe("error execution phase preflight: couldn't validate the identity of the API Server: boom");
  });

  it('explains why an endpoint did not answer', () => {
    expect(unreachableReason(1, 'bash: connect: Connection refused\nbash: line 1: /dev/tcp/10.0.0.1/6443: Connection refused')).toBe('connection refused');
    expect(unreachableReason(124, '')).toMatch(/timed out/);
    expect(unreachableReason(1, 'bash: connect: No route to host')).toBe('no route to host');
  });

  it('finds the Ready condition by type, wherever it is in the list', () => {
    const n = nodeInfo({
      metadata: { name: 'pi01', labels: { a: 'b' } },
      spec: { taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }] },
      status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'ok' }, { type: 'MemoryPressure', status: 'False' }] },
    });
    expect(n.ready).toEqual({ status: 'True', reason: 'KubeletReady', message: 'ok' });
    expect(n.taints).toEqual([{ key: 'k', value: 'v', effect: 'NoSchedule' }]);
  });
});

describe('Kubernetes syntax validation', () => {
  it('accepts RFC 1123 node names and rejects hostile ones', () => {
    for (const ok of ['pi01', 'gpu-01', 'node.lab.internal', 'a']) expect(nodeNameProblem(ok)).toBeUndefined();
    for (const bad of ['', 'Pi01', 'pi01;rm -rf /', '$(reboot)', '-pi', 'pi-', 'pi 01', "pi'01", 'a'.repeat(254), 'pi..01', 'pi01\n']) {
      expect(nodeNameProblem(bad), bad).toBeDefined();
    }
  });

  it('validates label keys and values', () => {
    expect(qualifiedKeyProblem('node-role.kubernetes.io/worker')).toBeUndefined();
    expect(qualifiedKeyProblem('nvidia.com/gpu')).toBeUndefined();
    expect(qualifiedKeyProblem('a/b/c')).toBeDefined();
    expect(qualifiedKeyProblem('Bad_Prefix/x')).toBeDefined();
    expect(qualifiedKeyProblem('x;reboot')).toBeDefined();
    expect(labelValueProblem('')).toBeUndefined();
    expect(labelValueProblem('rpi4b-8g')).toBeUndefined();
    expect(labelValueProblem('$(id)')).toBeDefined();
    expect(labelValueProblem('a'.repeat(64))).toBeDefined();
  });

  it('parses taints with the effect enum', () => {
    expect(parseTaint('nvidia.com/gpu=true:NoSchedule')).toEqual({ key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule' });
    expect(parseTaint('node-role.kubernetes.io/control-plane:NoSchedule')).toEqual({ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' });
    expect(taintString(parseTaint('a=b:NoExecute'))).toBe('a=b:NoExecute');
    expect(() => parseTaint('a=b')).toThrow(ModuleFailure);
    expect(() => parseTaint('a=b:Never')).toThrow(/effect/);
    expect(() => parseTaint('a=$(x):NoSchedule')).toThrow(/invalid value/);
  });

  it('knows which labels the kubelet may set on itself', () => {
    expect(kubeletMaySetLabel('nvidia.com/gpu')).toBe(true);
    expect(kubeletMaySetLabel('kubernetes.io/arch')).toBe(true);
    expect(kubeletMaySetLabel('node.kubernetes.io/instance-type')).toBe(true);
    expect(kubeletMaySetLabel('node-role.kubernetes.io/worker')).toBe(false);
    expect(kubeletMaySetLabel('example.k8s.io/x')).toBe(false);
  });

  it('parses endpoints, durations, hashes and token IDs', () => {
    expect(parseEndpoint('10.0.0.1').text).toBe('10.0.0.1:6443');
    expect(parseEndpoint('https://k8s-api.lab.internal:8443').text).toBe('k8s-api.lab.internal:8443');
    expect(parseEndpoint('[fd00::1]:6443').host).toBe('fd00::1');
    expect(() => parseEndpoint('10.0.0.1:6443;id')).toThrow(ModuleFailure);
    expect(parseDuration('30m', 'ttl')).toBe(1_800_000);
    expect(parseDuration('1h30m', 'ttl')).toBe(5_400_000);
    expect(parseDuration(90, 'ttl')).toBe(90_000);
    expect(() => parseDuration('soon', 'ttl')).toThrow(/invalid ttl/);
    expect(goDuration(1_800_000)).toBe('30m0s');
    expect(goDuration(5_400_000)).toBe('1h30m0s');
    expect(assertCaHash(HASH.toUpperCase().replace('SHA256', 'sha256'))).toBe(HASH);
    expect(() => assertCaHash('sha256:abc')).toThrow(/invalid CA/);
    expect(tokenId(TOKEN)).toBe('abcdef');
    expect(tokenId('abcdef')).toBe('abcdef');
    expect(tokenId('nope')).toBeUndefined();
  });
});
