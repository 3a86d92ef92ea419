/** Shell-style patterns (`web*`, `ansible_*_mb`, `1.2.*`) with Python's fnmatch semantics. */

function escapeRegex(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** Python's fnmatch.translate, as a JS regex source anchored at both ends. */
export function fnmatchToRegex(pat: string): string {
  let res = '';
  let i = 0;
  const n = pat.length;
  while (i < n) {
    const c = pat[i]!;
    i++;
    if (c === '*') {
      while (pat[i] === '*') i++;
      res += '.*';
    } else if (c === '?') {
      res += '.';
    } else if (c === '[') {
      let j = i;
      if (j < n && pat[j] === '!') j++;
      if (j < n && pat[j] === ']') j++;
      while (j < n && pat[j] !== ']') j++;
      if (j >= n) {
        res += '\\[';
        continue;
      }
      let stuff = pat.slice(i, j);
      if (!stuff.includes('-')) {
        stuff = stuff.replace(/\\/g, '\\\\');
      } else {
        const chunks: string[] = [];
        let k = pat[i] === '!' ? i + 2 : i + 1;
        let start = i;
        for (;;) {
          k = pat.indexOf('-', k);
          if (k < 0 || k >= j) break;
          chunks.push(pat.slice(start, k));
          start = k + 1;
          k = k + 3;
        }
        const chunk = pat.slice(start, j);
        if (chunk) chunks.push(chunk);
        else chunks[chunks.length - 1] += '-';
        for (let m = chunks.length - 1; m > 0; m--) {
          const prev = chunks[m - 1]!;
          if (prev[prev.length - 1]! > chunks[m]![0]!) {
            chunks[m - 1] = prev.slice(0, -1) + chunks[m]!.slice(1);
            chunks.splice(m, 1);
          }
        }
        stuff = chunks.map((s) => s.replace(/\\/g, '\\\\').replace(/-/g, '\\-')).join('-');
      }
      stuff = stuff.replace(/([&~|])/g, '\\$1');
      i = j + 1;
      if (!stuff) res += '(?!)';
      else if (stuff === '!') res += '.';
      else {
        if (stuff[0] === '!') stuff = `^${stuff.slice(1)}`;
        else if (stuff[0] === '^' || stuff[0] === '[') stuff = `\\${stuff}`;
        // JS needs a literal `[` escaped inside a class when the `v`/`u` flags are off only for readability.
        res += `[${stuff.replace(/\[/g, '\\[')}]`;
      }
    } else {
      res += escapeRegex(c);
    }
  }
  return `^(?:${res})$`;
}

/** fnmatch.translate as a RegExp (`.` matches newlines too, as Python's `(?s:...)`). */
export function fnmatchRegex(pattern: string): RegExp {
  return new RegExp(fnmatchToRegex(pattern), 's');
}

/** Python's fnmatch.fnmatchcase. */
export function fnmatch(name: string, pattern: string): boolean {
  return fnmatchRegex(pattern).test(name);
}
