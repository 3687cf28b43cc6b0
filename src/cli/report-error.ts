// The one error handler of both programs (nftpol, policy-explain): what a
// command threw becomes one line on stderr and an exit code. Bad input
// (usage, manifests, a flow that names nothing) exits 2; anything else is an
// unexpected failure, exit 1, with the stack only under --debug (a stack
// trace helps a developer, not a user).
import { CommanderError } from 'commander';
import { styleFor } from '../explain/style.ts';
import { FlowSpecError } from '../policy/flow-spec.ts';
import { PodNameError } from '../policy/find-pod.ts';
import { InputProblemsError } from './input.ts';
import { EXIT, UsageError, type CliIO } from './io.ts';

export function reportCliError(err: unknown, io: CliIO, debug: boolean): number {
  const s = styleFor(io.stderr);
  if (err instanceof CommanderError) {
    // Commander has printed its message (or the help) already; --help and
    // --version end with exit code 0, usage mistakes are bad input.
    return err.exitCode === 0 ? EXIT.ok : EXIT.badInput;
  }
  // A pod name that names nothing (policy-explain pod) is bad input like a flow's.
  if (err instanceof InputProblemsError || err instanceof UsageError || err instanceof FlowSpecError || err instanceof PodNameError) {
    io.stderr.write(`${s.red('error')}: ${err.message}\n`);
    if (debug && err.stack) io.stderr.write(`${err.stack}\n`);
    return EXIT.badInput;
  }
  const message = err instanceof Error ? err.message : String(err);
  io.stderr.write(`${s.red('error')}: unexpected failure: ${message.split('\n')[0] ?? ''}${debug ? '' : ' (run with --debug for details)'}\n`);
  if (debug) io.stderr.write(`${err instanceof Error && err.stack ? err.stack : String(err)}\n`);
  return EXIT.failure;
}
