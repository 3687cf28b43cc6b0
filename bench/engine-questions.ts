// Counting the engine's questions without changing it, for the benches that
// print how many a command took: every allows() call, and every question
// asked of a pair (PolicyEngine.pair, which connection sets use: its peers
// are matched once, each question is one port class).
import { PolicyEngine } from '../src/policy/engine.ts';

/** fn's result and the engine questions it asked (of every PolicyEngine). */
export function countingQuestions<T>(fn: () => T): { result: T; questions: number } {
  const { allows, pair } = PolicyEngine.prototype;
  let questions = 0;
  PolicyEngine.prototype.allows = function counted(this: PolicyEngine, ...args: Parameters<typeof allows>) {
    questions++;
    return allows.apply(this, args);
  };
  PolicyEngine.prototype.pair = function counted(this: PolicyEngine, ...args: Parameters<typeof pair>) {
    const answers = pair.apply(this, args);
    return { ...answers, allows: (protocol: string, port?: number) => (questions++, answers.allows(protocol, port)) };
  };
  try {
    return { result: fn(), questions };
  } finally {
    PolicyEngine.prototype.allows = allows;
    PolicyEngine.prototype.pair = pair;
  }
}
