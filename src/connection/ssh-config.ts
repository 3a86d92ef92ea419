import { wildcardMatch } from './known-hosts.js';
import { splitShellWords } from './ssh-args.js';

/**
 * A small reader for ssh_config(5): Host and Match sections, `Keyword value` / `Keyword=value`,
 * quoted arguments, comments, Include. As in ssh, the first obtained value of a keyword wins, except
 * IdentityFile (every value accumulates). Pure: Include files come from a caller-given reader.
 */

export interface SshConfigSection {
  /** `Host` patterns, `Match` criteria, or neither for lines before the first section. */
  readonly condition:
    | { readonly kind: 'all' }
    | { readonly kind: 'host'; readonly patterns: readonly string[] }
    | { readonly kind: 'match'; readonly criteria: readonly string[] };
  /** Keywords lower-cased, in file order. */
  readonly options: ReadonlyArray<readonly [string, string]>;
  readonly file: string;
  readonly line: number;
}

/** Returns the files (and their text) an `Include` argument names; relative names are the caller's to resolve. */
export type IncludeReader = (pattern: string) => ReadonlyArray<{ readonly file: string; readonly text: string }>;

const ACCUMULATING = new Set(['identityfile', 'certificatefile', 'localforward', 'remoteforward', 'dynamicforward', 'sendenv', 'setenv']);

export function parseSshConfig(text: string, file: string, include?: IncludeReader, depth = 0): SshConfigSection[] {
  const sections: Array<{ condition: SshConfigSection['condition']; options: Array<readonly [string, string]>; file: string; line: number }> = [];
  let current = { condition: { kind: 'all' } as SshConfigSection['condition'], options: [] as Array<readonly [string, string]>, file, line: 1 };
  sections.push(current);
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const stripped = lines[i].trim();
    if (stripped === '' || stripped.startsWith('#')) continue;
    const m = /^([A-Za-z][A-Za-z0-9]*)\s*(?:=\s*|\s+|$)(.*)$/.exec(stripped);
    if (!m) continue;
    const keyword = m[1].toLowerCase();
    let args: string[];
    try {
      args = splitShellWords(m[2].replace(/\s#.*$/, ''));
    } catch {
      continue;
    }
    if (keyword === 'host') {
      current = { condition: { kind: 'host', patterns: args }, options: [], file, line: i + 1 };
      sections.push(current);
    } else if (keyword === 'match') {
      current = { condition: { kind: 'match', criteria: args }, options: [], file, line: i + 1 };
      sections.push(current);
    } else if (keyword === 'include') {
      if (!include || depth >= 16) continue;
      for (const arg of args) {
        for (const inc of include(arg)) {
          // Lines of an included file belong to the section the Include appears in, until the
          // included file opens its own Host/Match section.
          for (const sub of parseSshConfig(inc.text, inc.file, include, depth + 1)) {
            if (sub.condition.kind === 'all') {
              current.options.push(...sub.options);
            } else {
              sections.push({ ...sub, options: [...sub.options] });
            }
          }
          // After an include, later lines of this file continue in a fresh copy of the section.
          current = { condition: current.condition, options: [], file, line: i + 1 };
          sections.push(current);
        }
      }
    } else if (args.length > 0) {
      current.options.push([keyword, args.join(' ')]);
    }
  }
  return sections;
}

/** `Host` pattern list: matches when some pattern matches and no negated pattern does. */
export function hostPatternsMatch(patterns: readonly string[], host: string): boolean {
  let matched = false;
  for (const raw of patterns) {
    for (const p of raw.split(',')) {
      if (p === '') continue;
      if (p.startsWith('!')) {
        if (wildcardMatch(p.slice(1), host)) return false;
      } else if (wildcardMatch(p, host)) {
        matched = true;
      }
    }
  }
  return matched;
}

/** `Match` support: all, host, originalhost, user; any other criterion never matches. */
function matchCriteria(criteria: readonly string[], host: string, user: string | undefined): boolean {
  if (criteria.length === 1 && criteria[0].toLowerCase() === 'all') return true;
  for (let i = 0; i < criteria.length; i++) {
    const c = criteria[i].toLowerCase();
    const arg = criteria[i + 1];
    if ((c === 'host' || c === 'originalhost') && arg !== undefined) {
      if (!hostPatternsMatch([arg], host)) return false;
      i++;
    } else if (c === 'user' && arg !== undefined) {
      if (user === undefined || !hostPatternsMatch([arg], user)) return false;
      i++;
    } else if (c === 'all') {
      continue;
    } else {
      return false;
    }
  }
  return true;
}

export interface ResolvedSshConfig {
  /** First value per keyword (lower-cased), except accumulating keywords. */
  readonly values: ReadonlyMap<string, string>;
  readonly identityFiles: readonly string[];
}

/** Applies every matching section to `host` (the name as given on the command line). */
export function resolveSshConfig(sections: readonly SshConfigSection[], host: string, user?: string): ResolvedSshConfig {
  const values = new Map<string, string>();
  const identityFiles: string[] = [];
  for (const s of sections) {
    const c = s.condition;
    const applies = c.kind === 'all' || (c.kind === 'host' ? hostPatternsMatch(c.patterns, host) : matchCriteria(c.criteria, host, user));
    if (!applies) continue;
    for (const [k, v] of s.options) {
      if (k === 'identityfile') {
        if (v.toLowerCase() === 'none') continue;
        if (!identityFiles.includes(v)) identityFiles.push(v);
      } else if (!ACCUMULATING.has(k) && !values.has(k)) {
        values.set(k, v);
      }
    }
  }
  return { values, identityFiles };
}

export interface TokenContext {
  /** %h: the remote host name (after HostName). */
  readonly host: string;
  /** %n: the name as given. */
  readonly originalHost: string;
  readonly port: number;
  /** %r */
  readonly remoteUser: string;
  /** %u */
  readonly localUser: string;
  /** %d */
  readonly home: string;
}

/** Expands `~/` and the %-tokens ssh allows in IdentityFile, UserKnownHostsFile and friends. */
export function expandTokens(value: string, ctx: TokenContext): string {
  let v = value.replace(/%([%hnprud])/g, (_m, t: string) => {
    switch (t) {
      case '%': return '%';
      case 'h': return ctx.host;
      case 'n': return ctx.originalHost;
      case 'p': return String(ctx.port);
      case 'r': return ctx.remoteUser;
      case 'u': return ctx.localUser;
      default: return ctx.home;
    }
  });
  if (v === '~') v = ctx.home;
  else if (v.startsWith('~/')) v = `${ctx.home}${v.slice(1)}`;
  return v;
}
