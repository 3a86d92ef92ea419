import { existsSync } from 'node:fs';
import { loadConfig, type EffectiveConfig } from '../load/config.js';
import type { VaultKeyring } from '../load/vault.js';
import { parsePositiveInt, type RunCliOptions } from './options.js';
import { keyringForRun } from './vault.js';

/** What `run` and `adhoc` resolve before loading anything: ansible.cfg + env, CLI flags over them. */
export interface RunSettings {
  readonly config: EffectiveConfig;
  readonly keyring: VaultKeyring;
  readonly inventorySources: readonly string[];
  readonly forks: number;
  readonly timeout: number;
  readonly remoteUser?: string;
  readonly privateKey?: string;
  readonly become: boolean;
  readonly becomeUser?: string;
  readonly becomeMethod?: string;
  readonly askBecomePass: boolean;
  readonly hostKeyChecking?: string;
  /** retry_files_enabled / retry_files_save_path: where `<playbook>.retry` goes after failures. */
  readonly retryFiles?: { readonly dir?: string };
}

const warn = (message: string) => void process.stderr.write(`[WARNING]: ${message}\n`);

function stringSetting(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export async function resolveRunSettings(options: RunCliOptions): Promise<RunSettings> {
  const config = await loadConfig();
  for (const warning of config.warnings) warn(warning);
  // The keyring installs the whole-file vault decryptor, so it must exist before anything is loaded.
  const keyring = await keyringForRun(options, config, { onWarning: warn });
  const s = config.settings;
  const configuredInventory = s.inventory.origin === 'default' ? s.inventory.value.filter((p) => existsSync(p)) : s.inventory.value;
  if (!process.env.ANSIBLE_ROLES_PATH && s.rolesPath.origin !== 'default') process.env.ANSIBLE_ROLES_PATH = s.rolesPath.value.join(':');
  const hostKeyChecking = options.hostKeyChecking ?? (s.hostKeyChecking.origin !== 'default' && s.hostKeyChecking.value === false ? 'off' : undefined);
  return {
    config,
    keyring,
    inventorySources: options.inventory && options.inventory.length > 0 ? options.inventory : [...configuredInventory],
    forks: parsePositiveInt('--forks', options.forks, s.forks.value),
    timeout: parsePositiveInt('--timeout', options.timeout, s.timeout.value),
    remoteUser: options.user ?? stringSetting(s.remoteUser.value),
    privateKey: options.privateKey ?? stringSetting(s.privateKeyFile.value),
    become: options.become ?? s.become.value,
    becomeUser: options.becomeUser ?? stringSetting(s.becomeUser.value),
    becomeMethod: options.becomeMethod ?? stringSetting(s.becomeMethod.value),
    askBecomePass: Boolean(options.askBecomePass || s.becomeAskPass.value),
    hostKeyChecking,
    ...(s.retryFilesEnabled.value ? { retryFiles: { dir: stringSetting(s.retryFilesSavePath.value) } } : {}),
  };
}
