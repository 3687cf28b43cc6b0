// Which NftRunner applies the node's table: the `nft` command (spawned per
// call, the default) or libnftables in-process (one long-lived context,
// libnftables-runner.ts). The agent asks for one; when libnftables is asked
// for but cannot be loaded (the library is not installed, or koffi has no
// build for this platform), the agent still enforces, through the command,
// and says why in `fallback`, which it logs at start: a node must never be
// left without enforcement because a faster path is missing.
import { LIBNFTABLES_SONAME, LibnftablesRunner } from './libnftables-runner.ts';
import { execNftRunner, type NftRunner } from './nft-runner.ts';

export type NftBackend = 'nft' | 'libnftables';

export const NFT_BACKENDS: readonly NftBackend[] = ['nft', 'libnftables'];

export interface OpenNftBackendOptions {
  /** The nft binary, for the command backend (and the fallback). */
  readonly binary?: string;
  /** The library to load, for the libnftables backend (default libnftables.so.1, found as the dynamic loader finds it). */
  readonly library?: string;
}

export function openNftBackend(backend: NftBackend, opts: OpenNftBackendOptions = {}): { runner: NftRunner; backend: NftBackend; fallback?: string } {
  const command = (): NftRunner => execNftRunner(opts.binary === undefined ? {} : { binary: opts.binary });
  if (backend === 'nft') return { runner: command(), backend: 'nft' };
  const library = opts.library ?? LIBNFTABLES_SONAME;
  try {
    return { runner: new LibnftablesRunner(library), backend: 'libnftables' };
  } catch (err) {
    return { runner: command(), backend: 'nft', fallback: fallbackMessage(library, err) };
  }
}

/** What is missing and how to get it, in one line for the start-up log. */
function fallbackMessage(library: string, err: unknown): string {
  const why = (err instanceof Error ? err.message : String(err)).split('\n')[0]?.trim() ?? '';
  const koffiMissing = err instanceof Error && (err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && /koffi/.test(err.message);
  return koffiMissing
    ? `libnftables backend unavailable: the koffi npm package (nftpol's FFI dependency) cannot be loaded (${why}); using the nft command instead. To use libnftables, reinstall nftpol's npm dependencies (npm ci) on a platform koffi has a build for`
    : `libnftables backend unavailable: cannot load ${library} (${why}); using the nft command instead. To use libnftables, install it: apt-get install libnftables1`;
}
