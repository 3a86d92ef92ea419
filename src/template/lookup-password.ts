/**
 * The `password` lookup with Ansible's file-backed semantics: a password file on the controller is
 * created (with its directory) on first use and read afterwards; `/dev/null` generates every time.
 * `seed=` picks what Python's random.Random(seed) picks; `encrypt=` returns a crypt string and keeps
 * the salt in the file, as Ansible does.
 */
import { randomInt } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { DEFAULT_ROUNDS, shaCrypt, shaCryptSupported } from './crypt.js';
import { PyRandom } from './pyrandom.js';
import { PyError, pyStr } from './pyvalues.js';

const VALID_PARAMS = new Set(['length', 'encrypt', 'chars', 'ident', 'seed']);
const DEFAULT_CHARS = ['ascii_letters', 'digits', '.,:-_'];
const DEV_NULL = '/dev/null';

/** Python's `string` module constants (getattr(string, spec, spec)). */
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = LOWER.toUpperCase();
const DIGITS = '0123456789';
const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
const STRING_CONSTANTS: Readonly<Record<string, string>> = {
  ascii_letters: LOWER + UPPER,
  ascii_lowercase: LOWER,
  ascii_uppercase: UPPER,
  digits: DIGITS,
  hexdigits: `${DIGITS}abcdefABCDEF`,
  octdigits: '01234567',
  punctuation: PUNCTUATION,
  whitespace: ' \t\n\r\x0b\x0c',
  printable: `${DIGITS}${LOWER}${UPPER}${PUNCTUATION} \t\n\r\x0b\x0c`,
};

/** Salt sizes of passlib's algorithms (Ansible's BaseHash.algorithms). */
const SALT_SIZE: Readonly<Record<string, number>> = { md5_crypt: 8, bcrypt: 22, sha256_crypt: 16, sha512_crypt: 16 };

interface Params {
  length: number;
  encrypt?: string;
  chars: string[];
  ident?: string;
  seed?: string | number;
}

/** Splits `k=v k2="v 2"` like Ansible's parse_kv (quotes removed; words without `=` are raw). */
function parseKv(text: string): { options: Record<string, string>; raw: string[] } {
  const options: Record<string, string> = {};
  const raw: string[] = [];
  const tokens = text.match(/(?:[^\s"']+|"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')+/g) ?? [];
  for (const token of tokens) {
    const eq = token.search(/(?<!\\)=/);
    if (eq <= 0) {
      raw.push(token);
      continue;
    }
    let value = token.slice(eq + 1);
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0]!)) value = value.slice(1, -1);
    options[token.slice(0, eq).trim()] = value;
  }
  return { options, raw };
}

function charsOption(value: unknown): string[] {
  if (Array.isArray(value)) return value.map((v) => pyStr(v));
  const text = pyStr(value);
  const out: string[] = text.includes(',,') ? [','] : [];
  out.push(...text.replace(/,,/g, ',').split(',').filter((c) => c !== ''));
  return out;
}

function intOption(value: unknown): number {
  const n = typeof value === 'number' ? value : Number.parseInt(pyStr(value).trim(), 10);
  if (!Number.isInteger(n)) throw new PyError(`invalid literal for int() with base 10: '${pyStr(value)}'`);
  return n;
}

/** LookupModule._parse_parameters: the path, then key=value options over the lookup's keyword options. */
function parseTerm(term: string, kwargs: Readonly<Record<string, unknown>>): { relpath: string; params: Params } {
  const space = term.indexOf(' ');
  let relpath = space < 0 ? term : term.slice(0, space);
  let given: Record<string, string> = {};
  if (space >= 0) {
    const parsed = parseKv(term.slice(space + 1));
    given = parsed.options;
    if (parsed.raw.length > 0) {
      relpath = [relpath, ...parsed.raw].join(' ');
      if (!term.startsWith(relpath)) throw new PyError('Unrecognized value after key=value parameters given to password lookup');
    }
  }
  const invalid = Object.keys(given).filter((k) => !VALID_PARAMS.has(k));
  if (invalid.length > 0) throw new PyError(`Unrecognized parameter(s) given to password lookup: ${invalid.join(', ')}`);
  const pick = (key: string): unknown => given[key] ?? kwargs[key];
  const seed = pick('seed');
  const encrypt = pick('encrypt');
  const ident = pick('ident');
  const chars = pick('chars');
  return {
    relpath,
    params: {
      length: intOption(pick('length') ?? 20),
      encrypt: encrypt === undefined || encrypt === null || encrypt === '' ? undefined : pyStr(encrypt),
      ident: ident === undefined || ident === null || ident === '' ? undefined : pyStr(ident),
      seed: seed === undefined || seed === null ? undefined : typeof seed === 'number' ? seed : pyStr(seed),
      chars: chars === undefined || chars === null || (Array.isArray(chars) && chars.length === 0) ? DEFAULT_CHARS : charsOption(chars),
    },
  };
}

/** _gen_candidate_chars: named sets or literal characters, quotes removed. */
function candidateChars(specs: readonly string[]): string {
  return specs
    .map((spec) => STRING_CONSTANTS[spec] ?? spec)
    .join('')
    .replace(/["']/g, '');
}

/** ansible.utils.encrypt.random_password: SystemRandom, or random.Random(seed) when seeded. */
export function randomPassword(length: number, chars: string, seed?: string | number): string {
  const pool = [...chars];
  if (pool.length === 0) throw new PyError('Cannot choose from an empty sequence');
  const rng = seed === undefined ? undefined : new PyRandom(seed);
  let out = '';
  for (let i = 0; i < length; i++) out += rng ? rng.choice(pool) : pool[randomInt(pool.length)];
  return out;
}

/** _parse_content: `password[ salt=...[ ident=...]]`. */
function parseContent(content: string): { password: string; salt?: string; ident?: string } {
  const saltAt = content.lastIndexOf(' salt=');
  if (saltAt < 0) return { password: content };
  const password = content.slice(0, saltAt);
  const rest = content.slice(saltAt + ' salt='.length);
  if (rest === '') return { password };
  const identAt = rest.lastIndexOf(' ident=');
  if (identAt < 0) return { password, salt: rest };
  return { password, salt: rest.slice(0, identAt), ident: rest.slice(identAt + ' ident='.length) };
}

function formatContent(password: string, salt: string | undefined, ident: string | undefined): string {
  if (salt === undefined) return password;
  return ident ? `${password} salt=${salt} ident=${ident}` : `${password} salt=${salt}`;
}

/** DataLoader.path_dwim: `~` expanded, relative paths under the loader's base directory. */
function pathDwim(relpath: string, basedir: string): string {
  if (relpath.startsWith('~')) return join(homedir(), relpath.slice(1));
  return isAbsolute(relpath) ? relpath : resolve(basedir, relpath);
}

/** _get_lock/_release_lock: a `<sha1>.ansible_lockfile` next to the password file. */
function withLock<T>(path: string, fn: () => T): T {
  if (path === DEV_NULL) return fn();
  const lock = join(dirname(path), `${createHash('sha1').update(path).digest('hex')}.ansible_lockfile`);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  let fd: number;
  try {
    fd = openSync(lock, 'wx');
  } catch {
    throw new PyError(
      `Password lookup cannot get the lock in 7 seconds, abort...This may caused by un-removed lockfileyou can manually remove it from controller machine at ${lock} and try again`,
    );
  }
  closeSync(fd);
  try {
    return fn();
  } finally {
    unlinkSync(lock);
  }
}

function encryptPassword(password: string, algorithm: string, salt: string): string {
  if (!shaCryptSupported(algorithm)) {
    throw new PyError(`tsbook's password lookup supports encrypt=sha256_crypt and encrypt=sha512_crypt, not ${algorithm}`);
  }
  return shaCrypt(algorithm, password, salt, DEFAULT_ROUNDS[algorithm]);
}

/** One term of lookup('password', ...): the password (or its crypt string with encrypt=). */
export function passwordLookup(term: string, kwargs: Readonly<Record<string, unknown>>, basedir: string): string {
  const { relpath, params } = parseTerm(term, kwargs);
  const path = pathDwim(relpath, basedir);
  const chars = candidateChars(params.chars);
  let plaintext = '';
  let salt: string | undefined;
  withLock(path, () => {
    const content = path !== DEV_NULL && existsSync(path) ? readFileSync(path, 'utf8').replace(/\s+$/, '') : undefined;
    let changed = false;
    let ident: string | undefined;
    if (content === undefined) {
      plaintext = randomPassword(params.length, chars, params.seed);
      changed = true;
    } else {
      ({ password: plaintext, salt, ident } = parseContent(content));
    }
    if (params.encrypt && salt === undefined) {
      salt = randomPassword(SALT_SIZE[params.encrypt] ?? 8, `${STRING_CONSTANTS.ascii_letters}${DIGITS}./`);
      changed = true;
    }
    if (params.ident && ident !== undefined && ident !== params.ident) {
      throw new PyError(`The ident parameter provided (${params.ident}) does not match the stored one (${ident}).`);
    }
    ident ??= params.ident;
    if (changed && path !== DEV_NULL) {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      writeFileSync(path, `${formatContent(plaintext, params.encrypt ? salt : undefined, ident)}\n`, { mode: 0o600 });
      chmodSync(path, 0o600);
    }
  });
  return params.encrypt ? encryptPassword(plaintext, params.encrypt, salt!) : plaintext;
}
