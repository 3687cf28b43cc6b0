// What a subcommand of `nftpol` gets when it registers itself: where to write,
// where relative paths start, the verdict sources it may use, and how to
// report its exit code (commander's
// action handlers return nothing).
import type { VerdictSources } from '../../policytest/verdict-source.ts';
import type { CliIO } from '../io.ts';

export interface CommandContext {
  readonly io: CliIO;
  /** Directory that relative paths start from; process.cwd() when absent. */
  readonly cwd?: string;
  /** What `nftpol test --dataplane NAME` may choose from. */
  readonly verdictSources: VerdictSources;
  setExitCode(code: number): void;
}
