import { statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { EventListener, HostStats, RunEvent, TaskInfo, TaskResult, TaskStatus } from '../events/types.js';
import { UsageError } from '../model/errors.js';
import { formatSource } from '../model/source.js';
import { dispatch, type EventHandlers } from './types.js';

/**
 * `--report FILE`: a self-contained HTML page of one run (per-host timeline, recap, task results).
 * collect (events + receive times) -> model (pure) -> render (pure, an HTML string). Everything shown
 * comes from the events, which are already redacted; nothing else is added.
 */

// ------------------------------------------------------------------------------------ collect

export interface RecordedResult {
  readonly task: TaskInfo;
  readonly result: TaskResult;
  /** Clock times (ms): when the host started the task, and start + the task's own duration. */
  readonly startMs: number;
  readonly endMs: number;
}

export interface RunRecord {
  readonly playbooks: readonly string[];
  readonly check: boolean;
  readonly startedAt?: string;
  readonly originMs: number;
  readonly endMs: number;
  readonly plays: readonly { readonly name: string; readonly hosts: readonly string[]; readonly atMs: number }[];
  readonly results: readonly RecordedResult[];
  readonly warnings: readonly string[];
  readonly recap?: Readonly<Record<string, HostStats>>;
  /** interrupted: SIGINT/SIGTERM (recap or not); complete: a recap was emitted; aborted: the run stopped on an error. */
  readonly outcome: 'complete' | 'interrupted' | 'aborted';
}

export interface ReportCollector {
  readonly listener: EventListener;
  /** The run so far; `end` fills in what the events cannot tell (stats of an interrupted run). */
  record(end?: { readonly stats?: Readonly<Record<string, HostStats>>; readonly interrupted?: boolean }): RunRecord;
}

const sameTask = (a: TaskInfo, b: TaskInfo): boolean =>
  a === b || (a.name === b.name && a.action === b.action && formatSource(a.source) === formatSource(b.source));

/**
 * Events carry durations but no start times, so starts are receive times of `host_task_start`
 * (emitted right before the host's execution begins). `task_result` arrives in host order, possibly
 * later than the host finished, so the end is start + durationMs rather than its receive time.
 */
export function reportCollector(clock: () => number = Date.now): ReportCollector {
  let origin: number | undefined;
  let last = 0;
  let playbooks: readonly string[] = [];
  let check = false;
  let startedAt: string | undefined;
  let recap: Readonly<Record<string, HostStats>> | undefined;
  const plays: { name: string; hosts: readonly string[]; atMs: number }[] = [];
  const results: RecordedResult[] = [];
  const warnings: string[] = [];
  const pending = new Map<string, { task: TaskInfo; at: number }>();
  const ignore = () => undefined;

  const handlers: EventHandlers = {
    run_start: (e) => {
      playbooks = e.playbooks;
      check = e.check;
      startedAt = e.time;
    },
    play_start: (e) => void plays.push({ name: e.name, hosts: e.hosts, atMs: last }),
    host_task_start: (e) => void pending.set(e.host, { task: e.task, at: last }),
    task_result: (e) => {
      const open = pending.get(e.result.host);
      const matched = open !== undefined && sameTask(open.task, e.task);
      if (matched) pending.delete(e.result.host);
      const startMs = matched ? open.at : last - e.result.durationMs;
      results.push({ task: e.task, result: e.result, startMs, endMs: Math.min(last, startMs + e.result.durationMs) });
    },
    warning: (e) => void warnings.push(e.message),
    recap: (e) => void (recap = e.hosts),
    no_hosts: ignore,
    task_start: ignore,
    item_result: ignore,
    host_unreachable: ignore,
    task_progress: ignore,
    handler_notified: ignore,
    include: ignore,
    task_retry: ignore,
    no_hosts_remaining: ignore,
    connection_open: ignore,
    play_end: ignore,
  };
  return {
    listener: (event: RunEvent) => {
      last = clock();
      origin ??= last;
      dispatch(handlers, event);
    },
    record: (end = {}) => ({
      playbooks,
      check,
      startedAt,
      originMs: origin ?? last,
      endMs: last,
      plays: [...plays],
      results: [...results],
      warnings: [...warnings],
      recap: recap ?? end.stats,
      outcome: end.interrupted ? 'interrupted' : recap ? 'complete' : 'aborted',
    }),
  };
}

// ------------------------------------------------------------------------------------ model

export type ReportStatus = TaskStatus | 'rescued';

export interface ReportEntry {
  readonly id: string;
  readonly host: string;
  readonly task: TaskInfo;
  readonly status: ReportStatus;
  readonly result: TaskResult;
  /** Relative to the run's start, in ms. */
  readonly startMs: number;
  readonly endMs: number;
}

export interface ReportModel {
  readonly title: string;
  readonly startedAt?: string;
  readonly check: boolean;
  readonly outcome: RunRecord['outcome'];
  readonly spanMs: number;
  readonly hosts: readonly string[];
  /** Chronological. */
  readonly entries: readonly ReportEntry[];
  /** Failed and unreachable first, then rescued, then the rest; chronological within each. */
  readonly details: readonly ReportEntry[];
  readonly plays: readonly { readonly name: string; readonly atMs: number }[];
  readonly ticks: readonly { readonly atMs: number; readonly label: string }[];
  readonly recap?: readonly { readonly host: string; readonly stats: HostStats }[];
  readonly warnings: readonly string[];
}

/**
 * The engine marks failures a rescue caught (`rescued`). For event streams without the mark: after
 * an unrescued failure a host only runs `always` sections, so its last `failed` (recap) failures
 * are the unrescued ones and the earlier failures were rescued.
 */
function statuses(results: readonly RecordedResult[], recap: RunRecord['recap']): ReportStatus[] {
  const out: ReportStatus[] = results.map((r) => (r.result.rescued ? 'rescued' : r.result.status));
  if (!recap || results.some((r) => r.result.rescued !== undefined)) return out;
  const failuresByHost = new Map<string, number[]>();
  results.forEach((r, i) => {
    if (r.result.status !== 'failed' || r.result.ignored) return;
    failuresByHost.set(r.result.host, [...(failuresByHost.get(r.result.host) ?? []), i]);
  });
  for (const [host, indexes] of failuresByHost) {
    const unrescued = recap[host]?.failed ?? indexes.length;
    for (const i of indexes.slice(0, Math.max(0, indexes.length - unrescued))) out[i] = 'rescued';
  }
  return out;
}

const SEVERITY: Readonly<Record<ReportStatus, number>> = { failed: 0, unreachable: 0, rescued: 1, changed: 2, ok: 2, skipped: 2 };
const severity = (e: ReportEntry): number => (e.result.ignored ? SEVERITY.ok : SEVERITY[e.status]);

function niceStep(spanMs: number, target: number): number {
  const raw = spanMs / target;
  const pow = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow;
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(ms < 10_000 ? 2 : 1))} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

export function reportModel(record: RunRecord): ReportModel {
  const origin = record.originMs;
  const status = statuses(record.results, record.recap);
  const entries = record.results.map(
    (r, i): ReportEntry => ({
      id: `r${i + 1}`,
      host: r.result.host,
      task: r.task,
      status: status[i]!,
      result: r.result,
      startMs: Math.max(0, r.startMs - origin),
      endMs: Math.max(0, r.endMs - origin),
    }),
  );
  const spanMs = Math.max(1, record.endMs - origin, ...entries.map((e) => e.endMs));
  const hosts = [...new Set([...record.plays.flatMap((p) => p.hosts), ...entries.map((e) => e.host), ...Object.keys(record.recap ?? {})])];
  const step = niceStep(spanMs, 8);
  const ticks = Array.from({ length: Math.floor(spanMs / step) + 1 }, (_, i) => ({ atMs: i * step, label: formatMs(i * step) }));
  const details = entries
    .map((e, i) => ({ e, i }))
    .sort((a, b) => severity(a.e) - severity(b.e) || a.i - b.i)
    .map(({ e }) => e);
  return {
    title: record.playbooks.length > 0 ? record.playbooks.join(', ') : 'tsbook run',
    startedAt: record.startedAt,
    check: record.check,
    outcome: record.outcome,
    spanMs,
    hosts,
    entries,
    details,
    plays: record.plays.map((p) => ({ name: p.name, atMs: Math.max(0, p.atMs - origin) })),
    ticks,
    recap: record.recap && Object.keys(record.recap).sort().map((host) => ({ host, stats: record.recap![host]! })),
    warnings: record.warnings,
  };
}

// ------------------------------------------------------------------------------------ render

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const RECAP_COLUMNS = ['ok', 'changed', 'unreachable', 'failed', 'skipped', 'rescued', 'ignored'] as const;
const STATUSES: readonly ReportStatus[] = ['ok', 'changed', 'skipped', 'failed', 'unreachable', 'rescued'];

const taskTitle = (t: TaskInfo): string => `${t.isHandler ? 'HANDLER ' : ''}${t.role ? `${t.role} : ` : ''}${t.name}`;
const pct = (ms: number, span: number): string => `${Number(((ms / span) * 100).toFixed(5))}%`;
const toJson = (value: unknown): string =>
  JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2) ?? 'null';

function statusLabel(e: ReportEntry): string {
  return e.result.ignored ? `${e.status} (ignored)` : e.status;
}

function renderBar(e: ReportEntry, span: number): string {
  const width = e.endMs - e.startMs;
  const tip = `${e.host}: ${taskTitle(e.task)} — ${statusLabel(e)}, ${formatMs(e.result.durationMs)}`;
  const cls = ['bar', `st-${e.status}`, e.result.ignored ? 'ignored' : '', width / span < 0.003 ? 'thin' : ''].filter(Boolean).join(' ');
  return (
    `<a class="${cls}" href="#${e.id}" style="left:${pct(e.startMs, span)};width:${pct(width, span)}"` +
    ` data-task="${escapeHtml(taskTitle(e.task))}" data-status="${e.status}" data-start-ms="${e.startMs}" data-end-ms="${e.endMs}"` +
    ` title="${escapeHtml(tip)}"><span>${escapeHtml(taskTitle(e.task))}</span></a>`
  );
}

function renderTimeline(m: ReportModel): string {
  const ticks = m.ticks.map((t) => `<span class="tick" style="left:${pct(t.atMs, m.spanMs)}">${escapeHtml(t.label)}</span>`).join('');
  const plays = m.plays.map((p) => `<span class="play" style="left:${pct(p.atMs, m.spanMs)}" title="${escapeHtml(`PLAY [${p.name}]`)}"></span>`).join('');
  const rows = m.hosts.map((host) => {
    const bars = m.entries.filter((e) => e.host === host).map((e) => renderBar(e, m.spanMs)).join('');
    return `<div class="row" data-host="${escapeHtml(host)}"><div class="host">${escapeHtml(host)}</div><div class="lane">${plays}${bars}</div></div>`;
  });
  const legend = STATUSES.map((s) => `<span class="key st-${s}"></span>${s}`).join(' ');
  return `<section id="timeline"><h2>Timeline</h2><p class="legend">${legend} <span class="key play-key"></span>play start</p>
<div class="gantt"><div class="row axis"><div class="host"></div><div class="lane">${ticks}</div></div>${rows.join('\n')}</div></section>`;
}

function renderRecap(m: ReportModel): string {
  if (!m.recap) return '<section id="recap"><h2>Play recap</h2><p>The run ended before its recap.</p></section>';
  const head = `<tr><th>host</th>${RECAP_COLUMNS.map((c) => `<th>${c}</th>`).join('')}</tr>`;
  const rows = m.recap.map(({ host, stats }) => {
    const cells = RECAP_COLUMNS.map((c) => `<td class="${stats[c] !== 0 ? `n-${c}` : ''}" data-col="${c}">${stats[c]}</td>`).join('');
    return `<tr data-host="${escapeHtml(host)}"><th scope="row">${escapeHtml(host)}</th>${cells}</tr>`;
  });
  return `<section id="recap"><h2>Play recap</h2><table class="recap"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table></section>`;
}

function renderDetail(e: ReportEntry): string {
  const r = e.result;
  const parts = [
    `<p class="meta">${escapeHtml(r.host)}${r.delegatedTo && r.delegatedTo !== r.host ? ` → ${escapeHtml(r.delegatedTo)}` : ''} · ${escapeHtml(e.task.action)} · ${escapeHtml(formatSource(e.task.source))} · started at ${escapeHtml(formatMs(e.startMs))}, took ${escapeHtml(formatMs(r.durationMs))}</p>`,
  ];
  if (r.msg !== undefined) parts.push(`<p class="msg">${escapeHtml(r.msg)}</p>`);
  if (r.error) parts.push(`<p class="msg">${escapeHtml(r.error.message)}${r.error.source ? ` (${escapeHtml(formatSource(r.error.source))})` : ''}</p>`);
  for (const w of r.warnings ?? []) parts.push(`<p class="warn">[WARNING]: ${escapeHtml(w)}</p>`);
  if (r.commands && r.commands.length > 0) {
    parts.push(`<pre class="commands">${r.commands.map((c) => `${c.executed ? '$' : '(would run) $'} ${escapeHtml(c.command)}`).join('\n')}</pre>`);
  }
  parts.push(`<pre class="values">${escapeHtml(toJson(r.values))}</pre>`);
  return (
    `<details id="${e.id}" class="result st-${e.status}" data-status="${e.status}" data-host="${escapeHtml(e.host)}">` +
    `<summary><span class="badge st-${e.status}">${escapeHtml(statusLabel(e))}</span> <b>${escapeHtml(e.host)}</b> ${escapeHtml(taskTitle(e.task))}</summary>` +
    `${parts.join('')}</details>`
  );
}

const CSS = `
:root{--ok:#2e9d4f;--changed:#d99a00;--skipped:#3a9fbf;--failed:#d0342c;--unreachable:#7a1fa2;--rescued:#e8743b;--line:#ddd;font-family:system-ui,sans-serif;color:#222;background:#fff}
body{margin:1.5rem;max-width:1400px}h1{font-size:1.3rem;margin:0 0 .3rem}h2{font-size:1.05rem;margin:1.5rem 0 .5rem}
.sub{color:#666;margin:0}.outcome-interrupted,.outcome-aborted{color:var(--failed);font-weight:600}
.legend{font-size:.85rem;color:#444}.key{display:inline-block;width:.9em;height:.9em;vertical-align:middle;margin:0 .2em 0 .6em;border-radius:2px}
.gantt{border:1px solid var(--line);border-radius:4px;padding:.4rem 0}
.row{display:flex;align-items:center;height:22px}.row:nth-child(even){background:#f7f7f7}
.host{width:12rem;flex:none;padding:0 .6rem;font:12px ui-monospace,monospace;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.lane{position:relative;flex:1;height:100%;margin-right:2.5rem}
.axis{height:20px;border-bottom:1px solid var(--line)}.tick{position:absolute;bottom:2px;font-size:11px;color:#666;border-left:1px solid #bbb;padding-left:3px;height:14px}
.play{position:absolute;top:0;bottom:0;border-left:1px dashed #888}.play-key{border-left:1px dashed #888;width:0;border-radius:0}
.bar{position:absolute;top:4px;bottom:4px;border-radius:2px;background:var(--c);opacity:.9;box-sizing:border-box}
.bar span{display:block;overflow:hidden;white-space:nowrap;font-size:10px;line-height:14px;padding:0 3px;color:#fff}
.bar:hover,.bar:focus{opacity:1;outline:2px solid #000;z-index:1}.bar.thin{box-shadow:0 0 0 1px var(--c)}
.bar.ignored{background:repeating-linear-gradient(45deg,var(--c) 0 4px,#fff 4px 6px)}
.st-ok{--c:var(--ok)}.st-changed{--c:var(--changed)}.st-skipped{--c:var(--skipped)}.st-failed{--c:var(--failed)}.st-unreachable{--c:var(--unreachable)}.st-rescued{--c:var(--rescued)}
.key,.badge{background:var(--c)}.badge{color:#fff;border-radius:3px;padding:0 .4em;font-size:.8rem}
table.recap{border-collapse:collapse;font:13px ui-monospace,monospace}.recap th,.recap td{border:1px solid var(--line);padding:.2rem .6rem;text-align:right}
.recap th[scope=row]{text-align:left}.n-ok{color:var(--ok)}.n-changed{color:var(--changed)}.n-unreachable{color:var(--unreachable)}.n-failed{color:var(--failed)}.n-skipped{color:var(--skipped)}.n-rescued{color:var(--rescued)}.n-ignored{color:#a0a}
details.result{border:1px solid var(--line);border-left:4px solid var(--c);border-radius:3px;margin:.3rem 0;padding:.3rem .6rem}
details.result summary{cursor:pointer}details.result:target{outline:2px solid #000}
.meta{color:#555;font-size:.85rem}.msg{font-weight:600}.warn{color:#a0a}
pre{background:#f4f4f4;padding:.5rem;overflow:auto;max-height:24rem;font-size:12px}
`;

// opens the <details> a timeline bar links to
const SCRIPT = `function openTarget(){var d=location.hash&&document.getElementById(location.hash.slice(1));if(d&&d.tagName==='DETAILS')d.open=true}
window.addEventListener('hashchange',openTarget);openTarget();`;

export function renderReport(m: ReportModel): string {
  const outcome =
    m.outcome === 'complete' ? '' : `<p class="sub outcome-${m.outcome}">The run was ${m.outcome === 'interrupted' ? 'interrupted' : 'stopped by an error'}.</p>`;
  const warnings = m.warnings.length === 0 ? '' : `<section id="warnings"><h2>Warnings</h2>${m.warnings.map((w) => `<p class="warn">${escapeHtml(w)}</p>`).join('')}</section>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tsbook report: ${escapeHtml(m.title)}</title>
<style>${CSS}</style></head>
<body>
<h1>tsbook report: ${escapeHtml(m.title)}</h1>
<p class="sub">${m.startedAt ? `started ${escapeHtml(m.startedAt)} · ` : ''}${escapeHtml(formatMs(m.spanMs))} · ${m.hosts.length} hosts · ${m.entries.length} task results${m.check ? ' · check mode' : ''}</p>
${outcome}
${renderTimeline(m)}
${renderRecap(m)}
<section id="results"><h2>Task results</h2>
${m.details.map(renderDetail).join('\n')}
</section>
${warnings}
<script>${SCRIPT}</script>
</body></html>
`;
}

// ------------------------------------------------------------------------------------ file

export interface ReportWriter {
  readonly listener: EventListener;
  /** Writes the file once (later calls do nothing); returns false when it could not be written. */
  finish(end?: { readonly stats?: Readonly<Record<string, HostStats>>; readonly interrupted?: boolean }): boolean;
}

/** Checks up front that the file can be created, so a long run does not end without its report. */
export function reportWriter(path: string, onError: (message: string) => void, clock?: () => number): ReportWriter {
  const file = resolve(path);
  const dir = statSync(dirname(file), { throwIfNoEntry: false });
  if (!dir?.isDirectory()) throw new UsageError(`--report: directory ${dirname(file)} does not exist`);
  const collector = reportCollector(clock);
  let done = false;
  return {
    listener: collector.listener,
    finish: (end) => {
      if (done) return true;
      done = true;
      try {
        writeFileSync(file, renderReport(reportModel(collector.record(end))));
        return true;
      } catch (err) {
        onError(`could not write the report ${file}: ${err instanceof Error ? err.message : String(err)}`);
        return false;
      }
    },
  };
}
