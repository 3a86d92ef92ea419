import { setMaxListeners } from 'node:events';
import { createConnection } from '../connection/factory.js';
import type { BecomeOptions, Connection } from '../connection/types.js';
import { liveSecrets, type Redactor } from '../events/redact.js';
import type { EventListener, HostStats, TaskInfo } from '../events/types.js';
import { RunError } from '../model/errors.js';
import type { Inventory } from '../model/inventory.js';
import type { Playbook, Vars } from '../model/playbook.js';
import type { Module } from '../modules/types.js';
import type { VaultText } from '../model/values.js';
import { defaultDeps } from './default-deps.js';
import type { EngineDeps } from './deps.js';
import { PlayRunner, RunAbort } from './play.js';
import { RunState, RuntimeInventory } from './state.js';

export interface RunOptions {
  readonly playbooks: readonly Playbook[];
  readonly inventory: Inventory;
  readonly limit?: string;
  readonly tags?: readonly string[];
  readonly skipTags?: readonly string[];
  readonly check?: boolean;
  readonly diff?: boolean;
  readonly extraVars?: Vars;
  /** Parallel hosts per task (default 5). */
  readonly forks?: number;
  readonly startAtTask?: string;
  readonly step?: (task: TaskInfo) => Promise<'yes' | 'no' | 'continue'>;
  readonly become?: boolean;
  readonly becomeUser?: string;
  readonly becomeMethod?: string;
  readonly becomePassword?: string;
  readonly remoteUser?: string;
  /** Connection timeout in seconds. */
  readonly connectionTimeout?: number;
  readonly privateKey?: string;
  readonly connectionPassword?: string;
  readonly forceHandlers?: boolean;
  readonly verbosity?: number;
  readonly onEvent?: EventListener;
  /** Opens a host's connection (lazily used). Default: local for `ansible_connection: local`, else SSH. */
  readonly connect?: (host: string, vars: Readonly<Record<string, unknown>>) => Connection;
  /** Module lookup. Default: the registry's findModule. */
  readonly modules?: (name: string) => Module | undefined;
  /**
   * Stops the run: no new task (or loop item) starts, handlers and later plays are skipped, and the
   * recap of what ran is still reported (exit code 99). Tasks in flight are cancelled (their remote
   * processes killed) when `cancelSignal` aborts, or at once when there is no `cancelSignal`.
   */
  readonly signal?: AbortSignal;
  /** Cancels tasks in flight: modules see their signal abort and remote process groups are killed. Implies `signal`. */
  readonly cancelSignal?: AbortSignal;
  /** Decrypts inline `!vault` values when they are used (see src/load/vault.ts VaultKeyring). */
  readonly decryptVault?: (value: VaultText) => string;
  /**
   * Known secret values (become/connection passwords, vault plaintexts) hidden as '********' in every
   * event and in errors the run throws. Iterated again before each event, so a live collection (the
   * vault keyring's decryptedValues(), which fills as values are decrypted) keeps working. The run
   * also hides, without being told: becomePassword/connectionPassword, inline vault values that
   * runPlaybook's decryptVault returns, ansible_password/ansible_ssh_pass/ansible_become_password/
   * ansible_become_pass values (inventory, play vars, extra vars, and as resolved for each connection
   * and become), and the values of each module's declared `secrets` result keys.
   */
  readonly secrets?: Iterable<string>;
}

export interface RunResult {
  readonly stats: Record<string, HostStats>;
  /** ansible-playbook's: 0 ok, 2 a host failed, 4 a host was unreachable, 99 interrupted. */
  readonly exitCode: number;
}

/**
 * Runs playbooks against an inventory with ansible-core 2.14's semantics. Reports everything through
 * `onEvent`; never prints. Errors that stop the run (a notified handler that does not exist...) are
 * thrown as TsbookError (RunError, LoadError, ...).
 */
export async function runPlaybook(options: RunOptions): Promise<RunResult> {
  const decrypt = options.decryptVault;
  // every inline vault plaintext the run decrypts, and every generated password, is a secret
  const plaintexts = new Set<string>();
  const onSecret = (value: string): void => void plaintexts.add(value);
  const decryptVault = decrypt
    ? (value: VaultText): string => {
        const plaintext = decrypt(value);
        plaintexts.add(plaintext);
        return plaintext;
      }
    : undefined;
  return runPlaybookWith({ ...options, secrets: liveSecrets(options.secrets, plaintexts) }, defaultDeps({ decryptVault, onSecret }));
}

/** Variables whose values are connection or become passwords. */
const PASSWORD_VARS = ['ansible_password', 'ansible_ssh_pass', 'ansible_become_password', 'ansible_become_pass'] as const;

/** Registers the literal password variables of `vars` (a `{{ template }}` is registered once resolved). */
function addPasswordVars(redactor: Redactor, vars: Readonly<Record<string, unknown>> | undefined): void {
  if (!vars) return;
  for (const name of PASSWORD_VARS) {
    const value = vars[name];
    if (typeof value === 'string' && (value.includes('{{') || value.includes('{%'))) continue;
    redactor.add(value);
  }
}

/** `conn`, registering the become password of each operation before it runs. */
function watchBecome(conn: Connection, redactor: Redactor): Connection {
  const note = (become: BecomeOptions | undefined) => redactor.add(become?.password);
  return {
    host: conn.host,
    transport: conn.transport,
    exec: (command, options) => {
      note(options?.become);
      return conn.exec(command, options);
    },
    put: (source, remotePath, options) => {
      note(options?.become);
      return conn.put(source, remotePath, options);
    },
    get: (remotePath, localPath, options) => {
      note(options?.become);
      return conn.get(remotePath, localPath, options);
    },
    close: () => conn.close(),
  };
}

/** Registers the secrets known before the run starts (see RunOptions.secrets). */
function seedSecrets(redactor: Redactor, options: RunOptions): void {
  const given = options.secrets;
  if (given) redactor.addSource(() => given);
  redactor.add(options.becomePassword);
  redactor.add(options.connectionPassword);
  for (const host of options.inventory.hosts.values()) addPasswordVars(redactor, host.vars);
  for (const group of options.inventory.groups.values()) addPasswordVars(redactor, group.vars);
  for (const playbook of options.playbooks) for (const play of playbook.plays) addPasswordVars(redactor, play.vars);
  addPasswordVars(redactor, options.extraVars);
}

/** runPlaybook with explicit dependencies (tests replace the templar, loader or modules). */
export async function runPlaybookWith(options: RunOptions, baseDeps: EngineDeps): Promise<RunResult> {
  const deps: EngineDeps = options.modules ? { ...baseDeps, findModule: options.modules } : baseDeps;
  // the run's own signals: every task in flight listens to them (forks may be well above 10)
  const given = options.signal ?? new AbortController().signal;
  const cancel = AbortSignal.any([options.cancelSignal ?? given]);
  const signal = AbortSignal.any(options.cancelSignal ? [given, options.cancelSignal] : [given]);
  setMaxListeners(0, cancel, signal);
  const run = new RunState(new RuntimeInventory(options.inventory), options.onEvent, options.startAtTask);
  seedSecrets(run.redactor, options);
  const open =
    options.connect ??
    ((host: string, vars: Readonly<Record<string, unknown>>) =>
      createConnection(host, vars, {
        timeout: options.connectionTimeout,
        privateKey: options.privateKey,
        password: options.connectionPassword,
        user: options.remoteUser,
      }));
  // the connection variables as resolved for the host (templated) carry its passwords
  const connect = (host: string, vars: Readonly<Record<string, unknown>>): Connection => {
    for (const name of PASSWORD_VARS) run.redactor.add(vars[name]);
    return watchBecome(open(host, vars), run.redactor);
  };
  run.emit({ event: 'run_start', playbooks: options.playbooks.map((p) => p.file), check: options.check ?? false, time: new Date().toISOString() });
  const settings = {
    check: options.check ?? false,
    diff: options.diff ?? false,
    verbosity: options.verbosity ?? 0,
    become: options.become ?? false,
    becomeUser: options.becomeUser,
    becomeMethod: options.becomeMethod,
    becomePassword: options.becomePassword,
    remoteUser: options.remoteUser,
    connectionTimeout: options.connectionTimeout,
    privateKey: options.privateKey,
    connectionPassword: options.connectionPassword,
  };
  try {
    playbooks: for (const playbook of options.playbooks) {
      let result = 0;
      for (const play of playbook.plays) {
        if (signal.aborted) break playbooks;
        const runner = new PlayRunner(play, run, deps, {
          settings,
          tags: options.tags ?? [],
          skipTags: options.skipTags ?? [],
          forks: options.forks ?? 5,
          extraVars: options.extraVars ?? {},
          limit: options.limit,
          startAtTask: options.startAtTask,
          step: options.step,
          forceHandlers: options.forceHandlers ?? false,
          signal,
          cancel,
          connect,
        });
        const outcome = await runner.runPlay();
        result = outcome.result;
        if (outcome.breakRun) break;
      }
      // ansible-playbook stops after a playbook whose last play did not end cleanly
      if (result !== 0) break;
    }
  } catch (err) {
    // errors reach the CLI's describeError: hide the run's secrets in them too
    if (err instanceof RunAbort) throw run.redactor.redactError(new RunError(err.message));
    throw run.redactor.redactError(err);
  } finally {
    await Promise.all([...run.connections.values()].map((c) => c.close().catch(() => undefined)));
    run.connections.clear();
  }
  const stats: Record<string, HostStats> = {};
  for (const [host, s] of run.stats) stats[host] = { ...s };
  // an interrupted run still reports what ran (ansible-playbook exits 99 without a recap)
  run.emit({ event: 'recap', hosts: stats });
  if (signal.aborted) return { stats, exitCode: 99 };
  const exitCode = run.unreachable.size > 0 ? 4 : run.failed.size > 0 ? 2 : 0;
  return { stats, exitCode };
}
