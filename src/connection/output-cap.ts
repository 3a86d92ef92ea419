/**
 * Bounded collection of a command's stdout/stderr. A command may print far more than a controller
 * should hold (`yes | head -c 100M`); each stream keeps its first `limit` bytes, counts the rest
 * and drops it, so memory stays bounded however much arrives. Streaming callbacks (onStdout) still
 * see every chunk.
 */

/** Bytes of each stream an ExecResult keeps by default (10 MiB). */
export const DEFAULT_MAX_OUTPUT_BYTES = 10 * 1024 * 1024;

export class CappedCollector {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  /** Every byte received, kept or not. */
  total = 0;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    this.total += chunk.length;
    const room = this.limit - this.kept;
    if (room <= 0) return;
    const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
    // Copy a partial chunk so the rest of the big buffer can be freed.
    this.chunks.push(part === chunk ? chunk : Buffer.from(part));
    this.kept += part.length;
  }

  get truncated(): boolean {
    return this.total > this.kept;
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks, this.kept);
  }

  /**
   * The kept bytes as text. Invalid UTF-8 becomes U+FFFD, as Ansible decodes module output with
   * errors='surrogate_or_replace'; a character cut in half by the limit is dropped, not replaced.
   */
  text(): string {
    const data = this.bytes();
    return (this.truncated ? data.subarray(0, utf8Boundary(data)) : data).toString('utf8');
  }
}

/** The length of `data` without a trailing incomplete UTF-8 sequence. */
export function utf8Boundary(data: Buffer): number {
  const end = data.length;
  for (let back = 1; back <= 3 && back <= end; back++) {
    const b = data[end - back]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead byte
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? end - back : end;
  }
  return end;
}

/** A command with a NUL byte cannot be passed to a shell (execve cuts it there); Python says the same. */
export function assertNoNul(command: string): void {
  if (command.includes('\0')) throw new Error('embedded null byte in the command');
}

/** What an exec result reports about a stream it cut: the total it received. */
export interface OutputTruncation {
  readonly stdout?: number;
  readonly stderr?: number;
}

export function truncation(out: CappedCollector, err: CappedCollector): OutputTruncation | undefined {
  if (!out.truncated && !err.truncated) return undefined;
  return { ...(out.truncated ? { stdout: out.total } : {}), ...(err.truncated ? { stderr: err.total } : {}) };
}
