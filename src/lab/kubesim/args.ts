/**
 * A spf13/pflag-compatible argument parser: `--name=value`, `--name value`, `--bool`, `--bool=false`,
 * `-o json`, `-ojson`, `-o=json`, `--` and interspersed positionals, with pflag's error texts.
 */

export type FlagType = 'bool' | 'string' | 'stringSlice' | 'stringArray';

export interface FlagSpec {
  readonly type: FlagType;
  readonly short?: string;
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

export interface ParsedArgs {
  readonly positionals: readonly string[];
  /** Flag values by long name; bools are 'true'/'false', lists hold every value in order. */
  readonly flags: ReadonlyMap<string, readonly string[]>;
}

export class FlagError extends Error {}

function parseBool(name: string, value: string): string {
  const v = value.toLowerCase();
  if (['1', 't', 'true'].includes(v) || value === 'TRUE' || value === 'True') return 'true';
  if (['0', 'f', 'false'].includes(v) || value === 'FALSE' || value === 'False') return 'false';
  throw new FlagError(`invalid argument "${value}" for "--${name}" flag: strconv.ParseBool: parsing "${value}": invalid syntax`);
}

export function parseArgs(argv: readonly string[], specs: FlagSpecs): ParsedArgs {
  const positionals: string[] = [];
  const flags = new Map<string, string[]>();
  const shorts = new Map(Object.entries(specs).flatMap(([name, s]) => (s.short ? [[s.short, name] as const] : [])));
  const add = (name: string, value: string) => {
    const spec = specs[name]!;
    const values = spec.type === 'stringSlice' ? (value === '' ? [] : value.split(',')) : [spec.type === 'bool' ? parseBool(name, value) : value];
    const prior = spec.type === 'stringSlice' || spec.type === 'stringArray' ? (flags.get(name) ?? []) : [];
    flags.set(name, [...prior, ...values]);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      const spec = specs[name];
      if (!spec) throw new FlagError(`unknown flag: --${name}`);
      if (eq >= 0) add(name, arg.slice(eq + 1));
      else if (spec.type === 'bool') add(name, 'true');
      else if (i + 1 < argv.length) add(name, argv[++i]!);
      else throw new FlagError(`flag needs an argument: --${name}`);
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      // shorthand cluster: -o json, -ojson, -o=json, -f file
      for (let j = 1; j < arg.length; j++) {
        const c = arg[j]!;
        const name = shorts.get(c);
        if (!name) throw new FlagError(`unknown shorthand flag: '${c}' in ${arg}`);
        const spec = specs[name]!;
        if (spec.type === 'bool') {
          if (arg[j + 1] === '=') {
            add(name, arg.slice(j + 2));
            break;
          }
          add(name, 'true');
          continue;
        }
        const rest = arg.slice(j + 1);
        if (rest !== '') add(name, rest.startsWith('=') ? rest.slice(1) : rest);
        else if (i + 1 < argv.length) add(name, argv[++i]!);
        else throw new FlagError(`flag needs an argument: '${c}' in -${c}`);
        break;
      }
      continue;
    }
    positionals.push(arg);
  }
  return { positionals, flags };
}

export function flagString(p: ParsedArgs, name: string): string | undefined {
  const v = p.flags.get(name);
  return v === undefined ? undefined : v[v.length - 1];
}

export function flagBool(p: ParsedArgs, name: string): boolean {
  return flagString(p, name) === 'true';
}

export function flagList(p: ParsedArgs, name: string): readonly string[] {
  return p.flags.get(name) ?? [];
}

export function flagSet(p: ParsedArgs, name: string): boolean {
  return p.flags.has(name);
}
