/** Inventories compared against ansible-inventory (paths relative to test/fixtures/inventories). */
export const INVENTORY_CASES: readonly (readonly string[])[] = [
  ['yaml-basic.yml'],
  ['ini-basic.ini'],
  ['ranges.ini'],
  ['nested.yaml'],
  ['inventory.json'],
  ['multi-a.ini', 'multi-b.yaml'],
  ['multi-b.yaml', 'multi-a.ini'],
  ['ungrouped.yaml'],
  ['vault.yaml'],
  ['dir-mixed'],
  ['file-vars/hosts.yaml'],
  ['precedence/hosts.yml'],
  ['../../../inventory/homelab.yaml'],
  ['alpha,beta:2222,[2001:db8::2]:22,gamma,alpha'],
  ['precedence/hosts.yml', 'file-vars/hosts.yaml'],
  ['dir-mixed', 'yaml-basic.yml'],
];
