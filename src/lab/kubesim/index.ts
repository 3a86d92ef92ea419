/**
 * kubesim: a kubeadm/kubectl simulator for tests and the lab (Kubernetes cannot run here).
 */
export { installKubesim, kubesimMainScript, wrapperScript } from './install.js';
export type { KubesimInstallOptions } from './install.js';
export { caCertHash, clearFaults, createKubesimCluster, listTokens, maxConcurrent, nodes, readJoinLog, setFault } from './api.js';
export type { JoinInterval, JoinLog, KubesimCluster, NodeInfo, TokenInfo } from './api.js';
export { startFakeApiServer } from './fakeapi.js';
export type { FakeApiServer } from './fakeapi.js';
export { runKubesim } from './run.js';
export type { RunOptions } from './run.js';
export { DEFAULT_CONFIG, readConfig, writeConfig } from './state.js';
export type { KubesimFault, SimConfig } from './state.js';
