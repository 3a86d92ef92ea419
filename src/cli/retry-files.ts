import { mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { HostStats } from '../events/types.js';

/** The hosts ansible-playbook lists in a retry file: failed or unreachable ones, sorted. */
export function retryHosts(stats: Readonly<Record<string, HostStats>>): string[] {
  return Object.keys(stats).filter((h) => stats[h].failed > 0 || stats[h].unreachable > 0).sort();
}

/** `<dir or the playbook's dir>/<playbook name without extension>.retry`, as PlaybookExecutor names it. */
export function retryFileFor(playbookPath: string, dir: string | undefined): string {
  const base = dir !== undefined ? resolve(dir.replace(/^~(?=$|\/)/, homedir())) : dirname(resolve(playbookPath));
  return join(base, `${basename(playbookPath, extname(playbookPath))}.retry`);
}

/**
 * Writes one retry file per playbook when hosts failed (retry_files_enabled) and returns the lines
 * ansible-playbook prints: "\tto retry, use: --limit @FILE", or its warning when a file cannot be written.
 */
export function writeRetryFiles(playbookPaths: readonly string[], stats: Readonly<Record<string, HostStats>>, dir: string | undefined): string[] {
  const hosts = retryHosts(stats);
  if (hosts.length === 0) return [];
  const lines: string[] = [];
  for (const playbook of playbookPaths) {
    const file = retryFileFor(playbook, dir);
    try {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, hosts.map((h) => `${h}\n`).join(''));
      lines.push(`\tto retry, use: --limit @${file}\n`);
    } catch (err) {
      lines.push(`[WARNING]: Could not create retry file '${file}'. ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }
  return lines;
}
