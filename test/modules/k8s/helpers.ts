import { ScriptedConnection } from '../../support/scripted-connection.js';
import { createModuleContext, type TestModuleContext } from '../../support/module-context.js';
import type { Module, ModuleResult } from '../../../src/modules/types.js';
import { ModuleFailure } from '../../../src/modules/types.js';

export const TOKEN = 'abcdef.0123456789abcdef';
export const HASH = `sha256:${'a1'.repeat(32)}`;
export const KEY = 'c0'.repeat(32);

export function setup(host = 'pi01', options: { check?: boolean; vars?: Record<string, unknown> } = {}): { conn: ScriptedConnection; ctx: TestModuleContext } {
  const conn = new ScriptedConnection(host);
  const ctx = createModuleContext({ connection: conn, host, check: options.check, vars: { inventory_hostname: host, ...options.vars } });
  return { conn, ctx };
}

/** Runs a module; a ModuleFailure becomes a failed result (as the engine does). */
export async function runModule(module: Module, args: Record<string, unknown>, ctx: TestModuleContext): Promise<ModuleResult> {
  try {
    return await module.run(args, ctx);
  } catch (err) {
    if (err instanceof ModuleFailure) return { changed: Boolean(err.values.changed), failed: true, msg: err.message, values: err.values };
    throw err;
  }
}

/** A Node object as kubectl get node -o json prints it. */
export function nodeJson(name: string, ready: 'True' | 'False' | 'Unknown', extra: { labels?: Record<string, string>; taints?: unknown[]; reason?: string; message?: string } = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...extra.labels } },
    spec: extra.taints ? { taints: extra.taints } : {},
    status: {
      conditions: [
        { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: '' },
        { type: 'Ready', status: ready, reason: extra.reason ?? (ready === 'True' ? 'KubeletReady' : 'KubeletNotReady'), message: extra.message ?? '' },
      ],
    },
  };
}

export function nodeListJson(nodes: Record<string, unknown>[]): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items: nodes });
}
