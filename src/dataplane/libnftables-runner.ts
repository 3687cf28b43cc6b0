// The NftRunner over libnftables (Debian's libnftables1), called in-process
// through koffi (FFI) instead of spawning `nft` for every change. The nft
// command re-reads the kernel's ruleset into a fresh cache on every call, so
// a call costs in proportion to the table; one long-lived context keeps its
// cache between calls (libnftables compares the ruleset's generation id and
// refills it only when someone else changed the ruleset), which is where the
// in-process backend wins.
//
// The library acts in the network namespace of the calling process, as the
// command does: there is no prefix (`ip netns exec`) here.
//
// Calls are koffi's async calls, run on a libuv worker thread: the agent's
// event loop also serves /healthz and /metrics and holds the API server's
// watch streams, and a whole-table replace at 10k pods takes most of a
// second (seconds at 50k), longer than the kubelet's default 1 s probe
// timeout. A context is not safe for two threads at once, so calls are
// queued and run one at a time; output and error buffers are read right
// after their own call, before the next one starts.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type * as Koffi from 'koffi';
import { NftError, type NftRunner } from './nft-runner.ts';

/** The library's soname (Debian's libnftables1 package). */
export const LIBNFTABLES_SONAME = 'libnftables.so.1';

/** libnftables.h output flags: the nft command's options that change what a listing prints. */
const OUTPUT_FLAGS: Readonly<Record<string, number>> = {
  '-s': 1 << 2, // NFT_CTX_OUTPUT_STATELESS (--stateless)
  '-a': 1 << 3, // NFT_CTX_OUTPUT_HANDLE (--handle)
  '-j': 1 << 4, // NFT_CTX_OUTPUT_JSON (--json)
  '-t': 1 << 11, // NFT_CTX_OUTPUT_TERSE (--terse)
};

/** An opaque `struct nft_ctx *`, as koffi hands it over. */
type Context = object;

/** The few libnftables functions the runner calls, typed. */
interface Libnftables {
  ctxNew(): Context | null;
  ctxFree(ctx: Context): void;
  bufferOutput(ctx: Context): number;
  bufferError(ctx: Context): number;
  outputBuffer(ctx: Context): string;
  errorBuffer(ctx: Context): string;
  setOutputFlags(ctx: Context, flags: number): void;
  setDryRun(ctx: Context, dryRun: boolean): void;
  /** nft_run_cmd_from_buffer on a worker thread: nft's return code (0: done). */
  runBuffer(ctx: Context, text: string): Promise<number>;
  /** nft_run_cmd_from_filename on a worker thread. */
  runFile(ctx: Context, file: string): Promise<number>;
}

type KoffiFunction = ReturnType<Koffi.LibraryHandle['func']>;
/** koffi's async form of a function: the arguments, then a Node-style callback. */
type AsyncCall = (...args: unknown[]) => void;

function asyncRun(fn: KoffiFunction): (ctx: Context, text: string) => Promise<number> {
  const call = fn.async as AsyncCall;
  return (ctx, text) => new Promise((resolve, reject) => {
    call(ctx, text, (err: unknown, rc: unknown) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(Number(rc))));
  });
}

/** Bindings by library path: made once, since koffi's loaded libraries and types live for the process. */
const bound = new Map<string, Libnftables>();

/** Binds the functions; throws when koffi, the library or one of its symbols cannot be loaded. */
function bind(library: string): Libnftables {
  const known = bound.get(library);
  if (known !== undefined) return known;
  // Loaded here, not imported: a missing koffi (or one without a build for
  // this platform) must become the command backend's fallback, not a crash
  // of every module that imports the dataplane.
  const koffi = createRequire(import.meta.url)('koffi') as typeof Koffi;
  const handle = koffi.load(library);
  const ctxPtr = koffi.pointer(koffi.opaque()); // struct nft_ctx *, unnamed: koffi's type names are process-wide
  const f = (name: string, result: string | Koffi.TypeObject, args: (string | Koffi.TypeObject)[]): KoffiFunction => handle.func(name, result, args);
  const ctxNew = f('nft_ctx_new', ctxPtr, ['uint32']);
  const ctxFree = f('nft_ctx_free', 'void', [ctxPtr]);
  const bufferOutput = f('nft_ctx_buffer_output', 'int', [ctxPtr]);
  const bufferError = f('nft_ctx_buffer_error', 'int', [ctxPtr]);
  const outputBuffer = f('nft_ctx_get_output_buffer', 'const char *', [ctxPtr]);
  const errorBuffer = f('nft_ctx_get_error_buffer', 'const char *', [ctxPtr]);
  const setOutputFlags = f('nft_ctx_output_set_flags', 'void', [ctxPtr, 'uint32']);
  const setDryRun = f('nft_ctx_set_dry_run', 'void', [ctxPtr, 'bool']);
  const runBuffer = f('nft_run_cmd_from_buffer', 'int', [ctxPtr, 'const char *']);
  const runFile = f('nft_run_cmd_from_filename', 'int', [ctxPtr, 'const char *']);
  const lib: Libnftables = {
    ctxNew: () => (ctxNew(0) as Context | null) ?? null, // NFT_CTX_DEFAULT
    ctxFree: (ctx) => void ctxFree(ctx),
    bufferOutput: (ctx) => Number(bufferOutput(ctx)),
    bufferError: (ctx) => Number(bufferError(ctx)),
    outputBuffer: (ctx) => String(outputBuffer(ctx) ?? ''),
    errorBuffer: (ctx) => String(errorBuffer(ctx) ?? ''),
    setOutputFlags: (ctx, flags) => void setOutputFlags(ctx, flags),
    setDryRun: (ctx, dryRun) => void setDryRun(ctx, dryRun),
    runBuffer: asyncRun(runBuffer),
    runFile: asyncRun(runFile),
  };
  bound.set(library, lib);
  return lib;
}

/** nft's own lines for an error, cut as the command runner cuts them. */
function errorMessage(what: string, stderr: string): string {
  return `libnftables ${what} failed: ${stderr.trim().split('\n').slice(0, 6).join(' | ')}`;
}

/** One libnftables context for the life of the process (or until close). */
export class LibnftablesRunner implements NftRunner {
  private readonly lib: Libnftables;
  private ctx: Context | undefined;
  /** The call in progress (or the last one): each call starts after it settles. */
  private tail: Promise<unknown> = Promise.resolve();

  /** Loads the library and makes the context; throws when either fails (openNftBackend turns that into its fallback). */
  constructor(library: string = LIBNFTABLES_SONAME) {
    this.lib = bind(library);
    const ctx = this.lib.ctxNew();
    if (ctx === null) throw new Error('nft_ctx_new returned NULL (out of memory?)');
    // Buffered: output and errors come back as strings instead of going to this process's stdout and stderr.
    if (this.lib.bufferOutput(ctx) !== 0 || this.lib.bufferError(ctx) !== 0) {
      this.lib.ctxFree(ctx);
      throw new Error('nft_ctx_buffer_output/nft_ctx_buffer_error failed');
    }
    this.ctx = ctx;
  }

  apply(script: string): Promise<void> {
    return this.exclusive(async (ctx) => void (await this.runScript(ctx, script, 'apply (nft -f)')));
  }

  check(script: string): Promise<void> {
    return this.exclusive(async (ctx) => {
      this.lib.setDryRun(ctx, true);
      try {
        await this.runScript(ctx, script, 'check (nft -c -f)');
      } finally {
        this.lib.setDryRun(ctx, false);
      }
    });
  }

  /** nft's command-line form: output options first (-j, -a, -s, -t), then the command's words. */
  read(args: readonly string[]): Promise<string> {
    let flags = 0;
    let i = 0;
    for (; i < args.length && (args[i] as string).startsWith('-'); i++) {
      const flag = OUTPUT_FLAGS[args[i] as string];
      if (flag === undefined) return Promise.reject(new Error(`libnftables runner: unsupported nft option ${JSON.stringify(args[i])} (it reads ${Object.keys(OUTPUT_FLAGS).join(', ')})`));
      flags |= flag;
    }
    const command = args.slice(i).join(' ');
    return this.exclusive(async (ctx) => {
      this.lib.setOutputFlags(ctx, flags);
      try {
        const rc = await this.lib.runBuffer(ctx, command);
        const out = this.lib.outputBuffer(ctx);
        const err = this.lib.errorBuffer(ctx);
        if (rc !== 0) throw new NftError(errorMessage(`nft ${args.join(' ')}`, err), err);
        return out;
      } finally {
        this.lib.setOutputFlags(ctx, 0);
      }
    });
  }

  /** Frees the context once the calls queued before it are done; later calls throw. */
  close(): Promise<void> {
    return this.exclusive(async (ctx) => {
      this.ctx = undefined;
      this.lib.ctxFree(ctx);
    });
  }

  private exclusive<T>(body: (ctx: Context) => Promise<T>): Promise<T> {
    const run = this.tail.then(() => {
      if (this.ctx === undefined) throw new Error('libnftables runner is closed');
      return body(this.ctx);
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async runScript(ctx: Context, script: string, what: string): Promise<void> {
    // A C string ends at its first NUL: the library would run only the part before it.
    if (script.includes('\0')) throw new NftError(errorMessage(what, 'Error: the script contains a NUL character'), 'Error: the script contains a NUL character');
    // Drop anything a call that threw left behind (each get empties its buffer).
    this.lib.outputBuffer(ctx);
    this.lib.errorBuffer(ctx);
    const rc = await this.lib.runBuffer(ctx, script);
    this.lib.outputBuffer(ctx); // nothing is echoed; emptied for the next call
    const err = this.lib.errorBuffer(ctx);
    if (rc === 0) return;
    const located = await this.locatedError(ctx, script);
    const stderr = located ?? err;
    throw new NftError(errorMessage(what, stderr), stderr);
  }

  /**
   * libnftables 1.0.6 reports an error in a buffer against the buffer's
   * first line, without a line number; the same script checked from a file
   * is reported as the command reports it ("script:LINE:COL: Error: …" and
   * the right line). Only a failed script pays for this dry run. Undefined when
   * the check passes (the failure did not repeat) or cannot be made.
   */
  private async locatedError(ctx: Context, script: string): Promise<string | undefined> {
    let dir: string | undefined;
    try {
      dir = await mkdtemp(path.join(os.tmpdir(), 'nftpol-libnftables-'));
      const file = path.join(dir, 'script.nft');
      await writeFile(file, script, { mode: 0o600 });
      this.lib.setDryRun(ctx, true);
      const rc = await this.lib.runFile(ctx, file);
      this.lib.outputBuffer(ctx);
      // The file is a temporary copy, gone when this returns: nft's messages name it "script".
      const err = this.lib.errorBuffer(ctx).replaceAll(`${file}:`, 'script:');
      return rc !== 0 && err.trim() !== '' ? err : undefined;
    } catch {
      return undefined;
    } finally {
      this.lib.setDryRun(ctx, false);
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    }
  }
}
