// What a subcommand of `nftpol` gets when it registers itself: where to write,
// where relative paths start, and how to report its exit code (commander's
// action handlers return nothing).
import type { CliIO } from '../io.ts';

export interface CommandContext {
  readonly io: CliIO;
  /** Directory that relative paths start from; process.cwd() when absent. */
  readonly cwd?: string;
  setExitCode(code: number): void;
}
