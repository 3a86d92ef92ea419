const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** Python's `str(datetime.datetime.now())`: `2024-01-31 12:00:00.123000` in local time. */
export function pythonDateTime(date: Date): string {
  const base = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  const ms = date.getMilliseconds();
  return ms === 0 ? base : `${base}.${pad(ms * 1000, 6)}`;
}

/** Python's `str(timedelta)` for a non-negative duration: `0:00:01.250000`, `1 day, 2:00:00`. */
export function pythonTimedelta(milliseconds: number): string {
  const ms = Math.max(0, Math.round(milliseconds));
  const days = Math.floor(ms / 86_400_000);
  const rest = ms % 86_400_000;
  const h = Math.floor(rest / 3_600_000);
  const m = Math.floor((rest % 3_600_000) / 60_000);
  const s = Math.floor((rest % 60_000) / 1000);
  const frac = rest % 1000;
  const clock = `${h}:${pad(m)}:${pad(s)}${frac === 0 ? '' : `.${pad(frac * 1000, 6)}`}`;
  return days === 0 ? clock : `${days} day${days === 1 ? '' : 's'}, ${clock}`;
}

/** Waits `ms`, or less when `signal` aborts (at once when it already has). Never rejects. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || ms <= 0) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
