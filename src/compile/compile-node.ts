// compile(state, node): what one node enforces, as a fresh build of the
// NodeCompiler (node-compiler.ts), which the agent then keeps up to date
// change by change.
import type { PolicyEngine } from '../policy/engine.ts';
import type { NodeIR } from './ir.ts';
import { NodeCompiler } from './node-compiler.ts';

export function compileNode(engine: PolicyEngine, node: string): NodeIR {
  return new NodeCompiler(engine, node).ir();
}
