import type { Module, ModuleContext, ModuleResult } from './types.js';
import { sleep } from './util/time.js';
import { ModuleFailure } from './types.js';
import { argInt, argString } from './util/args.js';
import { pathInfo } from './util/path-info.js';
import { shellQuote } from './util/quote.js';

/** Exit code of a port probe when the host has neither bash nor nc. */
export const NO_PORT_TOOL = 99;

/** A probe that exits 0 when `host:port` accepts a TCP connection (from the host itself). */
export function portProbe(host: string, port: number, connectTimeout: number, read: boolean): string {
  const h = shellQuote(host);
  const t = Math.max(1, connectTimeout);
  const bashBody = read ? `exec 3<>/dev/tcp/$0/$1 || exit 1; cat <&3` : `exec 3<>/dev/tcp/$0/$1`;
  return (
    `T=; if command -v timeout >/dev/null 2>&1; then T="timeout ${t}"; fi; ` +
    `if command -v bash >/dev/null 2>&1; then $T bash -c ${shellQuote(bashBody)} ${h} ${port} 2>/dev/null; ` +
    `elif command -v nc >/dev/null 2>&1; then ${read ? `$T nc -w ${t} ${h} ${port} </dev/null` : `nc -z -w ${t} ${h} ${port}`} 2>/dev/null; ` +
    `else exit ${NO_PORT_TOOL}; fi`
  );
}

/** Python regex syntax to JavaScript (named groups), compiled with re.MULTILINE. */
export function compilePythonRegex(source: string): RegExp {
  return new RegExp(source.replace(/\(\?P<([A-Za-z_][A-Za-z0-9_]*)>/g, '(?<$1>').replace(/\(\?P=([A-Za-z_][A-Za-z0-9_]*)\)/g, '\\k<$1>'), 'm');
}

type Match = { groups: (string | null)[]; groupdict: Record<string, string | null> } | undefined;

function search(re: RegExp, text: string): Match {
  const m = re.exec(text);
  if (!m) return undefined;
  return { groups: m.slice(1).map((g) => g ?? null), groupdict: m.groups ? Object.fromEntries(Object.entries(m.groups).map(([k, v]) => [k, v ?? null])) : {} };
}

export const waitForModule: Module = {
  name: 'wait_for',
  description:
    'Waits, from the host, until a TCP port accepts connections (or stops), a file exists (optionally containing a pattern) or is removed, or simply for a time.',
  args: {
    type: 'object',
    additionalProperties: false,
    properties: {
      host: { type: 'string', default: '127.0.0.1', description: 'The address to connect to, as seen from the host.' },
      port: { type: ['integer', 'string'], description: 'The TCP port to wait for. Cannot be used with `path`.' },
      path: { type: 'string', description: 'The file on the host to wait for. Cannot be used with `port`.' },
      state: {
        type: 'string',
        enum: ['started', 'present', 'stopped', 'absent'],
        default: 'started',
        description: 'started/present: wait until the port is open or the file exists; stopped: until the port is closed; absent: until the file is gone.',
      },
      search_regex: { type: 'string', description: 'A regular expression that the file (or the data the port sends) must match.' },
      timeout: { type: ['integer', 'string'], default: 300, description: 'Seconds to wait before failing.' },
      connect_timeout: { type: ['integer', 'string'], default: 5, description: 'Seconds to wait for one connection attempt.' },
      delay: { type: ['integer', 'string'], default: 0, description: 'Seconds to wait before the first check.' },
      sleep: { type: ['integer', 'string'], default: 1, description: 'Seconds between checks.' },
      msg: { type: 'string', description: 'The failure message, instead of the default one.' },
    },
  },
  checkMode: 'skip',
  async run(args, ctx: ModuleContext): Promise<ModuleResult> {
    const host = argString(args, 'host') ?? '127.0.0.1';
    const timeout = argInt(args, 'timeout') ?? 300;
    const connectTimeout = argInt(args, 'connect_timeout') ?? 5;
    const delay = argInt(args, 'delay') ?? 0;
    const sleepSeconds = argInt(args, 'sleep') ?? 1;
    const port = argInt(args, 'port');
    const path = argString(args, 'path');
    const state = argString(args, 'state') ?? 'started';
    const regexSource = argString(args, 'search_regex');
    const msg = argString(args, 'msg');

    let regex: RegExp | undefined;
    if (regexSource !== undefined) {
      try {
        regex = compilePythonRegex(regexSource);
      } catch (err) {
        throw new ModuleFailure(`Invalid regular expression: ${(err as Error).message}`);
      }
    }
    const failEarly = (text: string): ModuleResult => ({ changed: false, failed: true, msg: text, values: { msg: text, elapsed: 0 } });
    if (port && path) return failEarly('port and path parameter can not both be passed to wait_for');
    if (path && state === 'stopped') return failEarly('state=stopped should only be used for checking a port in the wait_for module');

    const start = Date.now();
    const elapsed = () => Math.floor((Date.now() - start) / 1000);
    const fail = (text: string): ModuleResult => {
      const m = msg ?? text;
      return { changed: false, failed: true, msg: m, values: { msg: m, elapsed: elapsed() } };
    };

    await sleep(delay * 1000, ctx.signal);
    const end = start + timeout * 1000;
    let match: Match = { groups: [], groupdict: {} };

    const portOpen = async (read: boolean): Promise<{ open: boolean; data: string }> => {
      const res = await ctx.probe(portProbe(host, port!, connectTimeout, read));
      if (res.rc === NO_PORT_TOOL) throw new ModuleFailure('wait_for needs bash or nc on the host to check a port');
      return { open: read ? res.rc === 0 || res.rc === 124 : res.rc === 0, data: res.stdout };
    };

    if (!port && !path) {
      await sleep(timeout * 1000, ctx.signal);
    } else if (state === 'absent' || state === 'stopped') {
      let done = false;
      while (Date.now() < end && !ctx.signal.aborted) {
        if (path) {
          if ((await ctx.probe(`test -e ${shellQuote(path)}`)).rc !== 0) {
            done = true;
            break;
          }
        } else if (!(await portOpen(false)).open) {
          done = true;
          break;
        }
        await sleep(sleepSeconds * 1000, ctx.signal);
      }
      if (!done) return fail(port ? `Timeout when waiting for ${host}:${port} to stop.` : `Timeout when waiting for ${path} to be absent.`);
    } else {
      let done = false;
      while (Date.now() < end && !ctx.signal.aborted) {
        if (path) {
          if (regex) {
            const res = await ctx.probe(`cat ${shellQuote(path)}`);
            const found = res.rc === 0 ? search(regex, res.stdout) : undefined;
            if (found) {
              match = found;
              done = true;
              break;
            }
          } else if ((await ctx.probe(`test -e ${shellQuote(path)}`)).rc === 0) {
            done = true;
            break;
          }
        } else {
          const { open, data } = await portOpen(regex !== undefined);
          if (open && (!regex || search(regex, data))) {
            done = true;
            break;
          }
        }
        await sleep(sleepSeconds * 1000, ctx.signal);
      }
      if (!done) {
        const target = port ? `${host}:${port}` : path!;
        if (regexSource !== undefined) return fail(`Timeout when waiting for search string ${regexSource} in ${target}`);
        return fail(port ? `Timeout when waiting for ${target}` : `Timeout when waiting for file ${target}`);
      }
    }

    const values: Record<string, unknown> = {
      state,
      port: port ?? null,
      search_regex: regexSource ?? null,
      match_groups: match?.groups ?? [],
      match_groupdict: match?.groupdict ?? {},
      path: path ?? null,
      elapsed: elapsed(),
    };
    if (path) {
      const info = await pathInfo(ctx, path);
      if (info) Object.assign(values, info);
    }
    return { changed: false, values };
  },
};
