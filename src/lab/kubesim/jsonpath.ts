/**
 * The subset of kubectl's JSONPath templates used with `-o jsonpath=`: literal text, `{.a.b}`,
 * `{.a['k.e/y']}`, `{.a.k\.e/y}`, `[N]`, `[*]`, `[?(@.f=="v")]` (==, !=), `{range ...}{end}`, and
 * string literals `{"\n"}`. Missing keys print nothing (kubectl's --allow-missing-template-keys).
 */
import type { Json } from './format.js';

type Step = { kind: 'key'; key: string } | { kind: 'index'; index: number } | { kind: 'all' } | { kind: 'filter'; path: Step[]; op: '==' | '!='; value: string } | { kind: 'exists'; path: Step[] };

type Node = { kind: 'text'; text: string } | { kind: 'path'; steps: Step[] } | { kind: 'range'; steps: Step[]; body: Node[] };

export class JsonPathError extends Error {}

function parsePath(expr: string): Step[] {
  const steps: Step[] = [];
  let i = 0;
  const s = expr.trim();
  if (s === '' || s === '.' || s === '$' || s === '@') return steps;
  if (s[0] === '$' || s[0] === '@') i = 1;
  while (i < s.length) {
    const c = s[i]!;
    if (c === '.') {
      i++;
      let key = '';
      while (i < s.length && s[i] !== '.' && s[i] !== '[') {
        if (s[i] === '\\' && i + 1 < s.length) {
          key += s[i + 1];
          i += 2;
        } else key += s[i++];
      }
      if (key !== '') steps.push({ kind: 'key', key });
    } else if (c === '[') {
      const close = findClose(s, i);
      const inner = s.slice(i + 1, close).trim();
      i = close + 1;
      if (inner === '*') steps.push({ kind: 'all' });
      else if (/^-?\d+$/.test(inner)) steps.push({ kind: 'index', index: Number(inner) });
      else if (/^'.*'$|^".*"$/.test(inner)) steps.push({ kind: 'key', key: inner.slice(1, -1) });
      else if (inner.startsWith('?(') && inner.endsWith(')')) {
        const body = inner.slice(2, -1).trim();
        const m = /^(@[^=!<>]*?)\s*(==|!=)\s*(.+)$/.exec(body);
        if (m) steps.push({ kind: 'filter', path: parsePath(m[1]!), op: m[2] as '==' | '!=', value: m[3]!.trim().replace(/^['"]|['"]$/g, '') });
        else steps.push({ kind: 'exists', path: parsePath(body) });
      } else throw new JsonPathError(`unrecognized identifier ${inner}`);
    } else throw new JsonPathError(`unrecognized character in action: ${c}`);
  }
  return steps;
}

function findClose(s: string, open: number): number {
  let depth = 0;
  let quote: string | null = null;
  for (let i = open; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[') depth++;
    else if (c === ']' && --depth === 0) return i;
  }
  throw new JsonPathError('unclosed array expect ]');
}

function parseTemplate(tpl: string): Node[] {
  const root: Node[] = [];
  const stack: { body: Node[] }[] = [{ body: root }];
  let i = 0;
  while (i < tpl.length) {
    const open = tpl.indexOf('{', i);
    if (open < 0) {
      stack[stack.length - 1]!.body.push({ kind: 'text', text: tpl.slice(i) });
      break;
    }
    if (open > i) stack[stack.length - 1]!.body.push({ kind: 'text', text: tpl.slice(i, open) });
    const close = tpl.indexOf('}', open);
    if (close < 0) throw new JsonPathError('unclosed action');
    const action = tpl.slice(open + 1, close).trim();
    i = close + 1;
    const top = stack[stack.length - 1]!;
    if (action.startsWith('range ')) {
      const node: Node = { kind: 'range', steps: parsePath(action.slice(6)), body: [] };
      top.body.push(node);
      stack.push(node);
    } else if (action === 'end') {
      if (stack.length === 1) throw new JsonPathError('not in range, nothing to end');
      stack.pop();
    } else if (/^".*"$/.test(action)) {
      top.body.push({ kind: 'text', text: JSON.parse(action) as string });
    } else if (/^'.*'$/.test(action)) {
      top.body.push({ kind: 'text', text: action.slice(1, -1) });
    } else {
      top.body.push({ kind: 'path', steps: parsePath(action) });
    }
  }
  return root;
}

function evalSteps(values: readonly Json[], steps: readonly Step[]): Json[] {
  let cur: Json[] = [...values];
  for (const step of steps) {
    const next: Json[] = [];
    for (const v of cur) {
      if (step.kind === 'key') {
        if (v !== null && typeof v === 'object' && !Array.isArray(v) && step.key in (v as object)) next.push((v as Record<string, Json>)[step.key]!);
      } else if (Array.isArray(v)) {
        const arr = v as readonly Json[];
        if (step.kind === 'all') next.push(...arr);
        else if (step.kind === 'index') {
          const item = arr[step.index < 0 ? arr.length + step.index : step.index];
          if (item !== undefined) next.push(item);
        } else if (step.kind === 'filter') {
          next.push(...arr.filter((item) => evalSteps([item], step.path).some((x) => (scalar(x) === step.value) === (step.op === '=='))));
        } else next.push(...arr.filter((item) => evalSteps([item], step.path).length > 0));
      } else if (step.kind === 'all' && v !== null && typeof v === 'object') {
        next.push(...Object.values(v as Record<string, Json>));
      }
    }
    cur = next;
  }
  return cur;
}

function scalar(v: Json): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function render(nodes: readonly Node[], data: Json): string {
  let out = '';
  for (const n of nodes) {
    if (n.kind === 'text') out += n.text;
    else if (n.kind === 'path') out += evalSteps([data], n.steps).map(scalar).join(' ');
    else for (const item of evalSteps([data], n.steps)) out += render(n.body, item);
  }
  return out;
}

export function jsonpath(template: string, data: Json): string {
  return render(parseTemplate(template), data);
}
