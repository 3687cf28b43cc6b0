// Entry point of the policy-explain binary (bin/policy-explain loads the
// built copy): runs main with the process streams and sets the exit code.
import { main } from './explain/program.ts';
import { processIO } from './io.ts';

process.exitCode = await main(process.argv.slice(2), processIO());
