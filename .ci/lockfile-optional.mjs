#!/usr/bin/env node
// The npm registry reachable here serves only the platform packages this machine can use, so
// `npm install` leaves other platforms' optional packages (rollup's native builds) out of
// package-lock.json, and npm 11's `npm ci` then refuses the lockfile ("Missing: ... from lock file").
// This adds a lockfile entry, marked optional with its os/cpu/libc, for every optional dependency
// that is missing; npm ci skips them on this platform, as it would skip a real entry.
// Run it after `npm install` changes the lockfile: node .ci/lockfile-optional.mjs
import { readFileSync, writeFileSync } from 'node:fs';

const PLATFORM = /^(android|darwin|freebsd|linux|openbsd|openharmony|win32)-(arm64|arm|x64|ia32|loong64|ppc64|riscv64|s390x)(?:-(gnueabihf|musleabihf|gnu|musl|msvc|eabi))?$/;

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
let added = 0;
for (const [key, entry] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const at = `node_modules/${name}`;
    if (lock.packages[at]) continue;
    const m = PLATFORM.exec(name.split('/').pop().replace(/^rollup-/, ''));
    if (!m) throw new Error(`${key}: cannot tell the platform of missing optional dependency ${name}`);
    const [, os, cpu, abi] = m;
    const libc = abi === undefined || os !== 'linux' ? undefined : /musl/.test(abi) ? ['musl'] : ['glibc'];
    lock.packages[at] = { version, cpu: [cpu], dev: entry.dev, ...(libc ? { libc } : {}), optional: true, os: [os] };
    added += 1;
  }
}
lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0)));
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`lockfile: added ${added} optional platform entries`);
