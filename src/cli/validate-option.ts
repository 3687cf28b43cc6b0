// --validate, as kubectl has it: strict (the default; also "true") refuses
// manifests with unknown fields, warn reports them and reads on without
// them, ignore (also "false") skips the schema check. Type errors and the
// API server's other rules are errors in every mode.
import { InvalidArgumentError, Option } from 'commander';
import { parseValidationMode, type ValidationMode } from '../sources/schema-check.ts';

function parse(text: string): ValidationMode {
  const mode = parseValidationMode(text);
  if (mode === undefined) throw new InvalidArgumentError('must be one of: strict (or true), warn, ignore (or false)');
  return mode;
}

export function validateOption(): Option {
  return new Option('--validate <mode>', 'manifests: strict (unknown fields are errors), warn (they are warnings) or ignore; as kubectl')
    .argParser(parse)
    .default('strict');
}
