import { Option } from 'commander';
import { createConnection } from '../connection/factory.js';
import type { HostKeyChecking } from '../connection/known-hosts.js';
import type { Connection } from '../connection/types.js';
import { promptSecret } from './prompt.js';

export const hostKeyCheckingOption = new Option('--host-key-checking <mode>', 'host key checking: yes (default), accept-new or off').choices([
  'yes',
  'accept-new',
  'off',
]);

export interface ConnectCliOptions {
  readonly hostKeyChecking?: string;
  readonly privateKey?: string;
  readonly user?: string;
  readonly connection?: string;
}

/** How `run` and `adhoc` open a host's connection: the CLI's connection flags over the factory. */
export function connectFor(
  options: ConnectCliOptions,
  timeout: number,
  password: string | undefined,
): (host: string, vars: Readonly<Record<string, unknown>>) => Connection {
  const interactive = Boolean(process.stdin.isTTY);
  return (host, vars) =>
    createConnection(host, vars, {
      timeout,
      hostKeyChecking: options.hostKeyChecking as HostKeyChecking | undefined,
      privateKey: options.privateKey,
      password,
      user: options.user,
      connection: options.connection,
      askPassphrase: interactive ? (file) => promptSecret(`Enter passphrase for key '${file}': `) : undefined,
    });
}
