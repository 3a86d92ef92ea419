import type { Source } from './source.js';
import type { Vars } from './playbook.js';

export interface InventoryHost {
  readonly name: string;
  /** Vars set on the host itself (inventory line, host_vars/). */
  readonly vars: Vars;
  readonly source?: Source;
}

export interface InventoryGroup {
  readonly name: string;
  readonly vars: Vars;
  /** Names of hosts listed directly in this group. */
  readonly hosts: readonly string[];
  /** Names of child groups. */
  readonly children: readonly string[];
  readonly source?: Source;
}

/**
 * A merged inventory. `all` and `ungrouped` always exist. Host order is the order in which hosts
 * were first seen, which is the order Ansible uses for patterns.
 */
export interface Inventory {
  readonly hosts: ReadonlyMap<string, InventoryHost>;
  readonly groups: ReadonlyMap<string, InventoryGroup>;
  readonly sources: readonly string[];
}
