import { groupNamesOf, groupsMap, inventoryVarsFor } from '../load/inventory.js';
import { selectHosts } from '../load/patterns.js';
import { loadRole, loadTaskFile, loadVarsFile } from '../load/playbook.js';
import { findModule } from '../modules/registry.js';
import { OMIT_PLACEHOLDER, Templar } from '../template/index.js';
import type { EngineDeps } from './deps.js';
import type { VaultText } from '../model/values.js';

/** The real loader, inventory, templating and module registry. */
export function defaultDeps(options: { decryptVault?: (value: VaultText) => string; onSecret?: (value: string) => void } = {}): EngineDeps {
  const { decryptVault, onSecret } = options;
  return {
    newTemplar: (vars, source) => new Templar(vars, { source, decryptVault, onSecret }),
    omitPlaceholder: OMIT_PLACEHOLDER,
    inventoryVarsFor: (inv, host) => inventoryVarsFor(inv, host),
    groupNamesOf: (inv, host) => groupNamesOf(inv, host),
    groupsMap: (inv) => groupsMap(inv),
    selectHosts: (inv, pattern, options) => selectHosts(inv, pattern, { limit: options.limit }),
    loadTaskFile: (path, options) => loadTaskFile(path, options),
    loadRole: (name, options) => loadRole(name, options),
    loadVarsFile: (path, source) => loadVarsFile(path, source),
    findModule,
  };
}
