// A socket-peer.mjs process in a lab namespace (a pod's or a node's), holding
// one long-lived connection across policy changes, and what it has received:
// the kernel tests of revoking established connections drive these
// (conntrack.test.ts, conntrack-own-node.test.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import type { World } from '../../src/lab/index.ts';

const PEER_SCRIPT = path.join(import.meta.dirname, 'socket-peer.mjs');
/** How long a peer waits for data that must arrive (it does in milliseconds) or must not. */
export const WAIT_MS = 1500;

export interface PeerConfig {
  readonly role: 'tcp-server' | 'tcp-client' | 'udp-server' | 'udp-client';
  readonly host: string;
  readonly port: number;
}

export class Peer {
  private received = '';
  private readonly listeners = new Set<() => void>();
  private readonly child: ChildProcess;
  private constructor(child: ChildProcess) {
    this.child = child;
    readline.createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const msg = JSON.parse(line) as { data?: string; ready?: boolean; connected?: boolean; closed?: string };
      this.received += msg.data ?? (msg.ready ? '<ready>' : msg.connected ? '<connected>' : `<closed:${msg.closed ?? ''}>`);
      for (const l of this.listeners) l();
    });
  }

  /** Starts a peer in the netns of a lab endpoint (a pod, or a node: `world.netnsOf`). */
  static async start(world: World, id: string, config: PeerConfig): Promise<Peer> {
    const child = spawn('ip', ['netns', 'exec', world.netnsOf(id), process.execPath, PEER_SCRIPT], {
      env: { ...process.env, PEER: JSON.stringify(config) }, stdio: ['pipe', 'pipe', 'inherit'],
    });
    const peer = new Peer(child);
    if (!(await peer.saw('<ready>', 10_000))) throw new Error(`peer ${id} ${JSON.stringify(config)} did not start`);
    return peer;
  }

  send(text: string): void {
    this.child.stdin?.write(`${JSON.stringify({ send: text })}\n`);
  }

  /** Whether `text` arrives within ms (resolves as soon as it does). */
  saw(text: string, ms = WAIT_MS): Promise<boolean> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (!this.received.includes(text)) return;
        clearTimeout(timer);
        this.listeners.delete(check);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        resolve(false);
      }, ms);
      this.listeners.add(check);
      check();
    });
  }

  /** Sends a token and says whether its echo came back. */
  async roundTrip(token: string): Promise<boolean> {
    this.send(token);
    return this.saw(`echo:${token}`);
  }

  stop(): void {
    this.child.stdin?.end();
    this.child.kill();
  }
}
