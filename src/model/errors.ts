import type { Source } from './source.js';
import { formatSource } from './source.js';

/**
 * Every error a user can cause is one of these typed values. The CLI maps them to
 * ansible-playbook's exit codes in one place (src/cli/exit.ts).
 */
export abstract class TsbookError extends Error {
  abstract readonly kind: 'load' | 'template' | 'unreachable' | 'usage' | 'internal' | 'vault' | 'run';
  readonly source?: Source;
  /** 1-3 lines of the offending file with a caret, when the file is known. */
  readonly frame?: string;

  constructor(message: string, options: { source?: Source; frame?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.source = options.source;
    this.frame = options.frame;
  }

  /** `file:line:col: message` plus the code frame, the way every load error is shown. */
  describe(): string {
    const head = this.source ? `${formatSource(this.source)}: ${this.message}` : this.message;
    return this.frame ? `${head}\n${this.frame}` : head;
  }
}

/** YAML syntax, schema, unknown module/keyword, bad args, missing files, include cycles. Exit 4. */
export class LoadError extends TsbookError {
  readonly kind = 'load' as const;
}

/** Undefined variables, bad expressions, recursion. Fails the task that templated it. */
export class TemplateError extends TsbookError {
  readonly kind = 'template' as const;
}

/** A host that cannot be reached (DNS, refused, timeout, auth, host key). */
export class UnreachableError extends TsbookError {
  readonly kind = 'unreachable' as const;
}

/** Bad command-line options. Exit 5. */
export class UsageError extends TsbookError {
  readonly kind = 'usage' as const;
}

/** Vault decryption failures. Exit 1. */
export class VaultError extends TsbookError {
  readonly kind = 'vault' as const;
}

/** An error that stops a run midway ("ERROR! The requested handler 'x' was not found..."). Exit 1. */
export class RunError extends TsbookError {
  readonly kind = 'run' as const;
}

/** Privilege escalation failed before the command ran ("Incorrect sudo password"): the task fails with it. */
export class BecomeError extends RunError {}

/** A bug in tsbook. Exit 250. */
export class InternalError extends TsbookError {
  readonly kind = 'internal' as const;
}
