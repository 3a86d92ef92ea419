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
  /** `ansible_group_priority` (default 1). Ansible keeps it out of `vars` and sorts groups by it. */
  readonly priority?: number;
}

/**
 * Vars that the host_group_vars plugin finds next to one inventory source (`group_vars/`, `host_vars/`).
 * Ansible applies these over the inline inventory vars, source by source.
 */
export interface InventoryVarsLayer {
  /** The directory holding group_vars/ and host_vars/ (the source itself, or its parent for a file). */
  readonly dir: string;
  /** Group name -> merged vars of its group_vars files (only groups that have files). */
  readonly groupVars: ReadonlyMap<string, Vars>;
  /** Host name -> merged vars of its host_vars files (only hosts that have files). */
  readonly hostVars: ReadonlyMap<string, Vars>;
}

/**
 * A merged inventory. `all` and `ungrouped` always exist. Host order is the order in which hosts
 * were first seen, which is the order Ansible uses for patterns.
 */
export interface Inventory {
  readonly hosts: ReadonlyMap<string, InventoryHost>;
  readonly groups: ReadonlyMap<string, InventoryGroup>;
  readonly sources: readonly string[];
  /** group_vars/host_vars layers, one per inventory source that has them, in source order. */
  readonly varsLayers?: readonly InventoryVarsLayer[];
}
