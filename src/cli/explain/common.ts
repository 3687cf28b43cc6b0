// What every policy-explain command receives: the input options plus the
// output format, as commander parsed them (global options included).
import type { InputOptions } from '../input.ts';
import type { OutputFormat } from '../format/output.ts';

export interface GlobalOptions extends InputOptions {
  readonly output: OutputFormat;
  readonly debug?: boolean;
}
