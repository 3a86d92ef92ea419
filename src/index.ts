// The library API. The CLI is a thin layer over these exports.
export * from './model/index.js';
export type { Connection, ExecOptions, ExecResult, PutOptions, PutSource, BecomeOptions } from './connection/types.js';
export type { Module, ModuleContext, ModuleResult } from './modules/types.js';
export type { RunEvent, TaskResult, HostStats, TaskStatus } from './events/types.js';
export { runPlaybook, type RunOptions, type RunResult } from './engine/run.js';
export { loadInventory, inventoryVarsFor, groupNamesOf, groupsMap } from './load/inventory.js';
export { selectHosts } from './load/patterns.js';
export { loadPlaybook, loadTaskFile, loadRole, loadVarsFile, parseExtraVars } from './load/playbook.js';
export { playbookSchema, inventorySchema } from './load/schemas.js';
export { Templar } from './template/index.js';
export { createConnection } from './connection/factory.js';
export { LocalConnection } from './connection/local.js';
export { allModules, findModule } from './modules/registry.js';
export { plainRenderer } from './output/plain.js';
export { jsonRenderer } from './output/json.js';
