/**
 * Parses the ssh command-line arguments users put in ansible_ssh_args, ansible_ssh_common_args and
 * ansible_ssh_extra_args. Only options that change how tsbook connects are kept; others (-C,
 * ControlMaster, ControlPersist...) are listed in `ignored`. As with ssh, the first value wins.
 */

export interface SshArgs {
  /** `-o Key=Value` options in order, keys lower-cased. Includes -p, -l, -i, -J, -F as their -o equivalents. */
  readonly options: ReadonlyArray<readonly [string, string]>;
  /** Arguments that tsbook does not act on. */
  readonly ignored: readonly string[];
}

/** Splits a string into words like POSIX sh (and Python's shlex.split): quotes and backslashes. */
export function splitShellWords(text: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated single quote in: ${text}`);
      cur += text.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      let closed = false;
      while (i < text.length) {
        const d = text[i];
        if (d === '"') {
          closed = true;
          i++;
          break;
        }
        if (d === '\\' && i + 1 < text.length && '"\\$`\n'.includes(text[i + 1])) {
          cur += text[i + 1];
          i += 2;
        } else {
          cur += d;
          i++;
        }
      }
      if (!closed) throw new Error(`unterminated double quote in: ${text}`);
      inWord = true;
    } else if (c === '\\') {
      if (i + 1 < text.length) cur += text[i + 1];
      inWord = true;
      i += 2;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      i++;
    } else {
      cur += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

/** Splits `Key=Value` or `Key Value` (as given to -o) into a lower-cased key and its value. */
export function splitOption(text: string): readonly [string, string] | undefined {
  const m = /^\s*([A-Za-z][A-Za-z0-9]*)\s*(?:=\s*|\s+)(.*?)\s*$/.exec(text);
  if (!m) return undefined;
  let value = m[2];
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
  return [m[1].toLowerCase(), value];
}

const FLAG_TO_OPTION: Readonly<Record<string, string>> = {
  p: 'port',
  l: 'user',
  i: 'identityfile',
  J: 'proxyjump',
  F: 'configfile',
};

/** ssh flags that take an argument (from ssh(1) synopsis) but that tsbook ignores. */
const IGNORED_WITH_ARG = new Set(['B', 'b', 'c', 'D', 'E', 'e', 'I', 'L', 'm', 'O', 'P', 'Q', 'R', 'S', 'W', 'w']);

/** Parses one or more argument strings, in order (earlier strings win, like earlier ssh arguments). */
export function parseSshArgs(...texts: ReadonlyArray<string | undefined>): SshArgs {
  const options: Array<readonly [string, string]> = [];
  const ignored: string[] = [];
  for (const text of texts) {
    if (!text) continue;
    const words = splitShellWords(text);
    for (let i = 0; i < words.length; i++) {
      const w = words[i];
      if (!w.startsWith('-') || w.length < 2) {
        ignored.push(w);
        continue;
      }
      // A cluster such as -vC or -o Foo=bar / -oFoo=bar / -p22.
      for (let j = 1; j < w.length; j++) {
        const flag = w[j];
        const takesArg = flag === 'o' || flag in FLAG_TO_OPTION || IGNORED_WITH_ARG.has(flag);
        if (!takesArg) {
          ignored.push(`-${flag}`);
          continue;
        }
        let arg: string | undefined = w.slice(j + 1);
        if (arg === '') {
          arg = words[i + 1];
          if (arg !== undefined) i++;
        }
        if (arg === undefined) {
          ignored.push(`-${flag}`);
          break;
        }
        if (flag === 'o') {
          const opt = splitOption(arg);
          if (opt) options.push(opt);
          else ignored.push(`-o ${arg}`);
        } else if (flag in FLAG_TO_OPTION) {
          options.push([FLAG_TO_OPTION[flag], arg]);
        } else {
          ignored.push(`-${flag} ${arg}`);
        }
        break;
      }
    }
  }
  return { options, ignored };
}

/** The first value of an option (keys are case-insensitive), as ssh uses it. */
export function firstOption(args: SshArgs, key: string): string | undefined {
  const k = key.toLowerCase();
  return args.options.find(([name]) => name === k)?.[1];
}

/** Every value of an option, in order (IdentityFile accumulates). */
export function allOptions(args: SshArgs, key: string): string[] {
  const k = key.toLowerCase();
  return args.options.filter(([name]) => name === k).map(([, v]) => v);
}
