import type { Module, ModuleResult } from './types.js';
import { argBool, invalidVariableName, isIdentifier } from './util/args.js';

export const setStatsModule: Module = {
  name: 'set_stats',
  description: 'Sets custom statistics shown at the end of the run (per host or aggregated).',
  args: {
    type: 'object',
    additionalProperties: false,
    properties: {
      data: { type: 'object', description: 'The statistics to set: variable names and values.' },
      per_host: { type: 'boolean', default: false, description: 'Keep the stats per host instead of for the whole run.' },
      aggregate: { type: 'boolean', default: true, description: 'Add to (numbers, lists, mappings) existing stats instead of replacing them.' },
    },
  },
  checkMode: 'full',
  controllerOnly: true,
  async run(args): Promise<ModuleResult> {
    const data = args['data'] ?? {};
    if (data === null || typeof data !== 'object' || Array.isArray(data)) {
      const msg = "The 'data' option needs to be a dictionary/hash";
      return { changed: false, failed: true, msg, values: { msg } };
    }
    const stats = { data: {} as Record<string, unknown>, per_host: argBool(args, 'per_host', false), aggregate: argBool(args, 'aggregate', true) };
    for (const [k, v] of Object.entries(data)) {
      if (!isIdentifier(k)) return { changed: false, failed: true, msg: invalidVariableName(k), values: { msg: invalidVariableName(k) } };
      stats.data[k] = v;
    }
    return { changed: false, values: { ansible_stats: stats } };
  },
};
