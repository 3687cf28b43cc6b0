// Runs policy-explain in-process with buffered streams and injected stdin.
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/explain/program.ts';

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function fixture(name: string): string {
  return fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
}

export const SHOP = fixture('shop');

export async function explain(args: readonly string[], stdin = ''): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    stdin,
  });
  return { code, stdout, stderr };
}

/** policy-explain -f <shop fixture> ...args */
export function explainShop(...args: string[]): Promise<RunResult> {
  return explain(['-f', SHOP, ...args]);
}
