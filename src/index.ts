// The library API. The CLI is a thin layer over these exports.
export * from './model/index.js';
export type { Connection, ExecOptions, ExecResult, PutOptions, PutSource, BecomeOptions } from './connection/types.js';
export type { Module, ModuleContext, ModuleResult } from './modules/types.js';
export type { RunEvent, TaskResult, HostStats, TaskStatus } from './events/types.js';
export { runPlaybook, type RunOptions, type RunResult } from './engine/run.js';
