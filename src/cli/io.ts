// The edges a command touches: where it writes, what "-f -" reads, and the
// exit codes it returns. Commands take a CliIO instead of using process
// streams, so tests run them in-process and read what they printed.

/** A place to write text: process.stdout/stderr, or a buffer in tests. */
export interface OutputStream {
  /** false: the reader is behind (or gone); wait for once('drain') when it matters. */
  write(chunk: string): unknown;
  /** Present on process streams, for writers that wait for a slow reader. */
  once?(event: 'drain', listener: () => void): unknown;
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

/**
 * A process stream that goes quiet once its reader is gone: `policy-explain
 * ... | head` closes the pipe, and the next write fails with EPIPE (Node
 * ignores SIGPIPE, so the process is not killed the Unix way). Without a
 * listener that error would end the process with a stack trace. Instead the
 * rest of the output is dropped and the command ends with its own exit code
 * (so `nftpol test | head` under pipefail still fails when a case failed).
 * `once('drain')` is passed on, so a writer that waits for a slow reader
 * still can; once the stream is gone, nobody waits for it.
 */
export function quietWhenClosed(stream: NodeJS.WritableStream & { readonly isTTY?: boolean }): OutputStream {
  let closed = false;
  const waiting = new Set<() => void>();
  stream.on('error', (err: NodeJS.ErrnoException) => {
    // Any write error means nothing more can be written there; only EPIPE is
    // the reader leaving, which is no one's mistake and needs no word.
    closed = true;
    for (const resume of waiting) resume();
    waiting.clear();
    if (err.code !== 'EPIPE' && stream !== process.stderr) process.stderr.write(`error: cannot write output: ${err.message}\n`);
  });
  return {
    write: (chunk: string) => (closed ? false : stream.write(chunk)),
    once: (event: 'drain', listener: () => void) => {
      if (closed) {
        listener();
        return;
      }
      const resume = (): void => {
        if (!waiting.delete(resume)) return;
        listener();
      };
      waiting.add(resume);
      stream.once(event, resume);
    },
    get isTTY() {
      return stream.isTTY;
    },
  };
}

export function processIO(): CliIO {
  return { stdout: quietWhenClosed(process.stdout), stderr: quietWhenClosed(process.stderr), stdin: process.stdin };
}

// Reading stdin is the sources' job; the CLI hands them its (injectable) stream.
export { readAll } from '../sources/manifest-files.ts';
