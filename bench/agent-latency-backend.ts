// The nft backend a bench run applies with: the nft command, or libnftables
// in-process, opened by src/dataplane/nft-backend.ts's openNftBackend. A
// backend that falls back (the library missing) is skipped with its message,
// not measured under the other backend's name.
//
// SWITCH: src/dataplane/nft-backend.ts was not in the tree when this was
// written. Until it lands, the module is looked for at run time (below) and,
// absent, the nft command stands in (execNftRunner) and libnftables is
// skipped. When it lands, replace the body of openBenchBackend by the one
// line `const { runner, fallback } = openNftBackend(backend, {}); return
// fallback === undefined ? { runner } : { skipped: fallback };` with
// `import { openNftBackend } from '../src/dataplane/nft-backend.ts'`.
import { execNftRunner, type NftRunner } from '../src/dataplane/nft-runner.ts';

export const NFT_BACKENDS = ['nft', 'libnftables'] as const;
export type BenchBackend = (typeof NFT_BACKENDS)[number];

export const isNftBackend = (s: string): s is BenchBackend => (NFT_BACKENDS as readonly string[]).includes(s);

/** What openNftBackend is agreed to return. */
interface OpenedBackend {
  readonly runner: NftRunner;
  readonly backend: BenchBackend;
  readonly fallback?: string;
}

const BACKEND_MODULE = '../src/dataplane/nft-backend.ts';

/** openNftBackend when the module is there; undefined when it is not (yet). */
async function landedOpener(): Promise<((backend: BenchBackend, opts?: object) => OpenedBackend | Promise<OpenedBackend>) | undefined> {
  let mod: { openNftBackend?: unknown };
  try {
    mod = (await import(BACKEND_MODULE)) as { openNftBackend?: unknown };
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' && String((err as Error).message).includes('nft-backend')) return undefined;
    throw err;
  }
  if (typeof mod.openNftBackend !== 'function') throw new Error(`${BACKEND_MODULE} exports no openNftBackend function`);
  return mod.openNftBackend as (backend: BenchBackend, opts?: object) => OpenedBackend;
}

/** The runner for `backend`, or why its rows are skipped. */
export async function openBenchBackend(backend: BenchBackend): Promise<{ runner: NftRunner } | { skipped: string }> {
  const open = await landedOpener();
  if (open === undefined) {
    return backend === 'nft' ? { runner: execNftRunner() } : { skipped: `${BACKEND_MODULE} has not landed yet: no in-process backend to measure` };
  }
  const opened = await open(backend);
  if (opened.fallback !== undefined) return { skipped: `${backend} fell back to ${opened.backend}: ${opened.fallback}` };
  if (opened.backend !== backend) return { skipped: `${backend} asked, ${opened.backend} opened` };
  return { runner: opened.runner };
}
