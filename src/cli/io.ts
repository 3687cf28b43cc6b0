// The edges a command touches: where it writes, what "-f -" reads, and the
// exit codes it returns. Commands take a CliIO instead of using process
// streams, so tests run them in-process and read what they printed.

/** A place to write text: process.stdout/stderr, or a buffer in tests. */
export interface OutputStream {
  write(chunk: string): unknown;
  /** Colour is used only when this is true (and NO_COLOR is unset). */
  readonly isTTY?: boolean;
}

export interface CliIO {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  /** What `-f -` reads: process.stdin, or the text itself in tests. */
  readonly stdin: NodeJS.ReadableStream | string;
}

/** Exit codes shared by every command. */
export const EXIT = {
  ok: 0,
  /** `lint --strict` found warnings; also an unexpected internal failure. */
  findings: 1,
  failure: 1,
  /** Bad input: unreadable or invalid manifests, unknown pod, bad port, bad option. */
  badInput: 2,
} as const;

/** A mistake in what the user gave us: printed as one line, exit 2, never a stack. */
export class UsageError extends Error {}

export function processIO(): CliIO {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin };
}

// Reading stdin is the sources' job; the CLI hands them its (injectable) stream.
export { readAll } from '../sources/manifest-files.ts';
