// The nftpol and policy-explain command lines written in the CI docs and the
// example workflow, and a check of each against the programs' own commander
// definitions: main() is run once with commander's parse swapped for a capture,
// which hands back the very Command tree the program parses with (not a copy of
// its option list); nothing runs.
import { readFile } from 'node:fs/promises';
import { Command, CommanderError, type Option } from 'commander';
import { vi } from 'vitest';
import { main as explainMain } from '../../src/cli/explain/program.ts';
import { main as nftpolMain } from '../../src/cli/nftpol-program.ts';
import type { CliIO } from '../../src/cli/io.ts';

export type ProgramName = 'nftpol' | 'policy-explain';

export interface CommandLine {
  readonly program: ProgramName;
  /** The arguments after the program name, shell quotes removed, redirections and comments cut off. */
  readonly args: readonly string[];
  /** Where it was written, for messages. */
  readonly where: string;
}

const silent: CliIO = {
  stdout: { write: () => true },
  stderr: { write: () => true },
  stdin: '',
} as unknown as CliIO;

async function captureProgram(run: () => Promise<number>): Promise<Command> {
  const spy = vi.spyOn(Command.prototype, 'parseAsync').mockImplementation(function (this: Command) {
    return Promise.resolve(this);
  });
  let captured: Command | undefined;
  try {
    await run();
    // The Command main() called parseAsync on: the program itself.
    captured = spy.mock.contexts[0] as Command | undefined;
  } finally {
    spy.mockRestore();
  }
  if (captured === undefined) throw new Error('main() never parsed its arguments');
  return captured;
}

/** The program's command tree as main() builds it, every action swapped for a no-op. Call one at a time: the swap is on commander's prototype. */
export async function programOf(name: ProgramName): Promise<Command> {
  const program = await captureProgram(() => (name === 'nftpol' ? nftpolMain([], silent) : explainMain([], silent)));
  program.configureOutput({ writeOut: () => undefined, writeErr: () => undefined, outputError: () => undefined });
  for (const c of program.commands) c.configureOutput({ writeOut: () => undefined, writeErr: () => undefined, outputError: () => undefined }).action(() => undefined);
  return program;
}

const flagsOf = (c: Command): Set<string> =>
  new Set(c.options.flatMap((o: Option) => [o.long, o.short]).filter((f): f is string => f !== undefined));

/** The first argument that is neither a global option nor the value of one: the subcommand's name. */
function commandWord(args: readonly string[], program: Command): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (!arg.startsWith('-') || arg === '-') return arg;
    const option = program.options.find((o: Option) => o.long === arg || o.short === arg);
    if (option !== undefined && (option.required || option.optional)) i++;
  }
  return undefined;
}

/**
 * The problems of one command line: an unknown subcommand or flag (named in
 * the message with what the program has), then whatever commander's own parse
 * refuses (a missing value, a value outside an option's choices).
 */
export async function problemsOf(line: CommandLine, program: Command): Promise<string[]> {
  const names = program.commands.map((c) => c.name());
  const word = commandWord(line.args, program);
  // policy-explain's flow is its default command: no command word means flow.
  const sub = program.commands.find((c) => c.name() === (word ?? (line.program === 'policy-explain' ? 'flow' : undefined)));
  if (sub === undefined) return [`${line.where}: ${line.program} ${line.args.join(' ')}: ${word ?? 'no word'} is no subcommand of ${line.program} (it has ${names.join(' ')})`];
  const known = new Set([...flagsOf(program), ...flagsOf(sub)]);
  const problems: string[] = [];
  for (const arg of line.args) {
    if (!arg.startsWith('-') || arg === '-') continue;
    const flag = arg.split('=')[0] as string;
    if (!known.has(flag)) problems.push(`${line.where}: ${flag} is not a flag of ${line.program} ${sub.name()} (it has ${[...known].join(' ')})`);
  }
  const argv = word === undefined ? [sub.name(), ...line.args] : [...line.args];
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    problems.push(`${line.where}: ${line.program} ${line.args.join(' ')}: ${err.message}`);
  }
  return problems;
}

/** Splits a shell word list the simple way the docs write it: spaces, '…' and "…" quotes. */
function shellWords(text: string): string[] {
  const words: string[] = [];
  for (const m of text.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) words.push(m[1] ?? m[2] ?? (m[3] as string));
  return words;
}

const PROGRAM_WORD = /^(?:\.\/bin\/|npx\s+)?(nftpol|policy-explain)$/;

/** Every nftpol/policy-explain command in a shell script (continuations joined, pipes and lists split). */
export function commandLinesIn(script: string, where: string): CommandLine[] {
  const lines: CommandLine[] = [];
  for (const raw of script.replace(/\\\n/g, ' ').split('\n')) {
    const text = raw.replace(/^\s*\$\s+/, '').replace(/(^|\s)#.*$/, '');
    for (const segment of text.split(/\|\||&&|[|;]/)) {
      const words = shellWords(segment.trim());
      const start = words[0] === 'sudo' ? 1 : 0;
      const m = PROGRAM_WORD.exec(words[start] ?? '');
      if (m === null) continue;
      // A redirection ends the arguments: `> file`, `2> file`, `>> file`.
      const end = words.findIndex((w, i) => i > start && /^\d?>>?/.test(w));
      lines.push({ program: m[1] as ProgramName, args: words.slice(start + 1, end === -1 ? undefined : end), where });
    }
  }
  return lines;
}

/** The command lines of a Markdown file: in its fenced code blocks, and its inline code spans that pass a flag. */
export async function commandLinesOfMarkdown(file: string): Promise<CommandLine[]> {
  const text = await readFile(file, 'utf8');
  const lines: CommandLine[] = [];
  const fences = [...text.matchAll(/^```[^\n]*\n([\s\S]*?)^```/gm)];
  for (const f of fences) lines.push(...commandLinesIn(f[1] as string, `${file} (code block)`));
  const prose = fences.reduce((t, f) => t.replace(f[0], ''), text);
  // In prose, `nftpol test` names a command; a span with a flag is a command line.
  for (const m of prose.matchAll(/`([^`\n]+)`/g)) {
    lines.push(...commandLinesIn(m[1] as string, `${file} (\`${m[1]}\`)`).filter((l) => l.args.some((a) => a.startsWith('-'))));
  }
  return lines;
}
