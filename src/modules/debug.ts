import { TsbookError } from '../model/errors.js';
import type { Module, ModuleContext, ModuleResult } from './types.js';
import { ModuleFailure } from './types.js';
import { argInt } from './util/args.js';

export const NOT_DEFINED = 'VARIABLE IS NOT DEFINED!';

const DOTTED = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$/;

function isUndefinedError(err: unknown): err is Error {
  return err instanceof Error && (err instanceof TsbookError || err.name === 'TemplateError') && /undefined/i.test(err.message);
}

function pyTypeName(value: unknown): string {
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'string') return 'str';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'boolean') return 'bool';
  if (value === null) return 'NoneType';
  return 'dict';
}

/** Why a dotted name is undefined, worded as Jinja2 does ("'x' is undefined", "'dict object' has no attribute 'y'"). */
function undefinedReason(expression: string, ctx: ModuleContext): string {
  const parts = expression.split('.');
  for (let i = 1; i < parts.length; i++) {
    const parent = ctx.lookupVar(parts.slice(0, i).join('.'));
    if (!parent.defined) break;
    if (!ctx.lookupVar(parts.slice(0, i + 1).join('.')).defined) return `'${pyTypeName(parent.value)} object' has no attribute '${parts[i]}'`;
  }
  return `'${parts[0]}' is undefined`;
}

/** The value `debug: var=<expression>` shows, or "VARIABLE IS NOT DEFINED!" (with the reason, twice as Ansible prints it, at -v). */
export function debugVarValue(expression: string, ctx: ModuleContext): unknown {
  const undefinedText = (reason: string) => (ctx.verbosity > 0 ? `${NOT_DEFINED}: ${reason}. ${reason}` : NOT_DEFINED);
  if (DOTTED.test(expression)) {
    const found = ctx.lookupVar(expression);
    if (!found.defined) return undefinedText(undefinedReason(expression, ctx));
    return found.value;
  }
  try {
    return ctx.template(`{{ ${expression} }}`);
  } catch (err) {
    if (isUndefinedError(err)) return undefinedText(err.message);
    throw err;
  }
}

function pythonTypeKey(value: unknown): string {
  return Array.isArray(value) ? "<class 'list'>" : "<class 'dict'>";
}

export const debugModule: Module = {
  name: 'debug',
  description: 'Prints a message or the value of a variable or expression, without touching the host.',
  args: {
    type: 'object',
    additionalProperties: false,
    properties: {
      msg: { description: 'The message to print (any value: strings, lists and mappings are shown as they are). Defaults to "Hello world!".' },
      var: {
        type: 'string',
        description: 'A variable name or Jinja2 expression (without braces) whose value to print; the result key is the expression itself. Cannot be used with `msg`.',
      },
      verbosity: {
        type: ['integer', 'string'],
        default: 0,
        description: 'Only print when the run is at least this verbose (`-v` is 1); otherwise the task is skipped.',
      },
    },
  },
  checkMode: 'full',
  controllerOnly: true,
  async run(args, ctx): Promise<ModuleResult> {
    if (args['msg'] !== undefined && args['var'] !== undefined) throw new ModuleFailure("'msg' and 'var' are incompatible options");
    const verbosity = argInt(args, 'verbosity') ?? 0;
    if (verbosity > ctx.verbosity) {
      return { changed: false, skipped: true, values: { skipped_reason: 'Verbosity threshold not met.' } };
    }
    if (args['msg'] !== undefined) {
      const msg = args['msg'];
      return { changed: false, msg: typeof msg === 'string' ? msg : undefined, values: { msg } };
    }
    const v = args['var'];
    if (v !== undefined && v !== null) {
      if (typeof v === 'object') return { changed: false, values: { [pythonTypeKey(v)]: ctx.template(v) } };
      const expression = String(v);
      return { changed: false, values: { [expression]: debugVarValue(expression, ctx) } };
    }
    return { changed: false, msg: 'Hello world!', values: { msg: 'Hello world!' } };
  },
};
