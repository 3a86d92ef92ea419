/**
 * Node objects as the API server returns them, computed from the stored records, the clock, the
 * config and the injected faults. Pure functions.
 */
import { createHash } from 'node:crypto';
import type { Json } from './format.js';
import { rfc3339 } from './format.js';
import type { Cluster, FaultMap, NodeRecord, SimConfig, TaintRecord } from './state.js';
import { faultsFor } from './state.js';

export const CNI_NOT_READY =
  'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized';

export interface ReadyCondition {
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: string;
  readonly message: string;
  /** Epoch ms of the last transition. */
  readonly since: number;
}

export function readyCondition(node: NodeRecord, cluster: Cluster, config: SimConfig, faults: FaultMap, now: number): ReadyCondition {
  if (node.kubeletStopped !== undefined) {
    return { status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', since: node.kubeletStopped };
  }
  const never = faultsFor(faults, node.name).find((f) => f.kind === 'neverReady');
  if (never && never.kind === 'neverReady') {
    return { status: 'False', reason: never.reason ?? 'KubeletNotReady', message: never.message ?? CNI_NOT_READY, since: node.registered };
  }
  let readyAt = node.registered + config.readyDelayMs;
  if (config.requireCni) {
    if (cluster.cniApplied === null) return { status: 'False', reason: 'KubeletNotReady', message: CNI_NOT_READY, since: node.registered };
    readyAt = Math.max(readyAt, cluster.cniApplied + config.readyDelayMs);
  }
  if (now < readyAt) return { status: 'False', reason: 'KubeletNotReady', message: CNI_NOT_READY, since: node.registered };
  return { status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', since: readyAt };
}

/** Taints the node lifecycle controller adds while a node is not Ready. */
export function effectiveTaints(node: NodeRecord, ready: ReadyCondition): readonly TaintRecord[] {
  if (ready.status === 'False') return [...node.taints, { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }];
  if (ready.status === 'Unknown') {
    return [...node.taints, { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }, { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' }];
  }
  return node.taints;
}

/** ROLES column: node-role.kubernetes.io/<role> labels, sorted, or <none>. */
export function nodeRoles(labels: Readonly<Record<string, string>>): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(labels)) {
    if (k.startsWith('node-role.kubernetes.io/')) roles.add(k.slice('node-role.kubernetes.io/'.length));
    else if (k === 'kubernetes.io/role' && v !== '') roles.add(v);
  }
  return roles.size === 0 ? '<none>' : [...roles].filter((r) => r !== '').sort().join(',');
}

const stableId = (seed: string, len: number): string => createHash('sha256').update(seed).digest('hex').slice(0, len);

export const OS_IMAGE = 'Ubuntu 22.04.4 LTS';
export const KERNEL_VERSION = '5.15.0-112-generic';
export const CONTAINER_RUNTIME = 'containerd://1.7.12';

export function nodeObject(node: NodeRecord, cluster: Cluster, config: SimConfig, faults: FaultMap, now: number): Json {
  const ready = readyCondition(node, cluster, config, faults, now);
  const taints = effectiveTaints(node, ready);
  const heartbeat = rfc3339(ready.status === 'Unknown' ? node.kubeletStopped! : now);
  const pressure = (type: string, reason: string, message: string): Json =>
    ready.status === 'Unknown'
      ? { type, status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastHeartbeatTime: heartbeat, lastTransitionTime: heartbeat }
      : { type, status: 'False', reason, message, lastHeartbeatTime: heartbeat, lastTransitionTime: rfc3339(node.registered) };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      annotations: {
        'kubeadm.alpha.kubernetes.io/cri-socket': 'unix:///var/run/containerd/containerd.sock',
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
      creationTimestamp: rfc3339(node.created),
      labels: { ...node.labels },
      name: node.name,
      resourceVersion: String(node.resourceVersion),
      uid: node.uid,
    },
    spec: {
      podCIDR: node.podCidr,
      podCIDRs: [node.podCidr],
      ...(taints.length > 0
        ? { taints: taints.map((t) => ({ effect: t.effect, key: t.key, ...(t.value !== undefined ? { value: t.value } : {}), ...(t.key.startsWith('node.kubernetes.io/') ? { timeAdded: rfc3339(ready.since) } : {}) })) }
        : {}),
    },
    status: {
      addresses: [
        { address: node.address, type: 'InternalIP' },
        { address: node.name, type: 'Hostname' },
      ],
      allocatable: { cpu: '4', 'ephemeral-storage': '28447967825', memory: '7902592Ki', pods: '110' },
      capacity: { cpu: '4', 'ephemeral-storage': '30868016Ki', memory: '8004992Ki', pods: '110' },
      conditions: [
        pressure('MemoryPressure', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        pressure('DiskPressure', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        pressure('PIDPressure', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        { type: 'Ready', status: ready.status, reason: ready.reason, message: ready.message, lastHeartbeatTime: heartbeat, lastTransitionTime: rfc3339(ready.since) },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        architecture: node.arch,
        bootID: stableId(`${node.uid}/boot/${node.registered}`, 32).replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-'),
        containerRuntimeVersion: CONTAINER_RUNTIME,
        kernelVersion: KERNEL_VERSION,
        kubeProxyVersion: config.version,
        kubeletVersion: config.version,
        machineID: stableId(`${node.hostId}/machine`, 32),
        operatingSystem: 'linux',
        osImage: OS_IMAGE,
        systemUUID: stableId(`${node.hostId}/uuid`, 32).replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-'),
      },
    },
  };
}
