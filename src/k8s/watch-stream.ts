// One watch request: GET <path>?watch=true&..., answered with one JSON
// object a line ({type, object}) until the server ends it.
//
// Why not @kubernetes/client-node's Watch (v2.0.1): it ignores a line it
// cannot parse, and whatever the callback throws, without a word. A garbled
// line is an event lost: the object stays wrong in our cache until it changes
// again. client-go's decoder ends the watch on such a line instead, and the
// resume from the last good resourceVersion gets the event again; so does
// this. Watch also hands out its AbortController only once the response
// headers arrived, so a stop during a slow connect cannot cut it.
// The kubeconfig's authentication, TLS and proxy settings still come from the
// client (applyToHTTPSOptions), as do all other requests.
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createInterface } from 'node:readline';
import type { KubeConfig } from '@kubernetes/client-node';
import { isRecord } from '../sources/raw.ts';

/** How a watch ended. `gone`: 410, the resourceVersion is older than the server's history. */
export type WatchStreamEnd =
  | { readonly kind: 'closed' }
  | { readonly kind: 'gone'; readonly message: string }
  /** code: the HTTP status (or the ERROR event's Status code), when the server answered one. */
  | { readonly kind: 'failed'; readonly message: string; readonly code?: number };

export interface WatchStreamOptions {
  readonly kubeConfig: KubeConfig;
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  /** No byte for this long means the connection is dead (a half-open TCP connection never closes by itself). */
  readonly idleTimeoutMs: number;
  /** Each event; returning an end stops the watch with it. */
  readonly onEvent: (type: unknown, object: unknown) => WatchStreamEnd | undefined;
}

/** Longest line shown in a message about it. */
const SHOWN = 120;

/** Starts a watch; `ended` resolves once, however it ends; `abort()` ends it as `closed`. */
export function openWatch(opts: WatchStreamOptions): { readonly ended: Promise<WatchStreamEnd>; abort(): void } {
  const controller = new AbortController();
  let settle = (_end: WatchStreamEnd): void => undefined;
  const ended = new Promise<WatchStreamEnd>((resolve) => {
    let done = false;
    settle = (end) => {
      if (done) return;
      done = true;
      controller.abort();
      resolve(end);
    };
  });
  start(opts, controller.signal, (end) => settle(end)).catch((err: unknown) => settle({ kind: 'failed', message: errorText(err) }));
  return { ended, abort: () => settle({ kind: 'closed' }) };
}

async function start(opts: WatchStreamOptions, signal: AbortSignal, end: (e: WatchStreamEnd) => void): Promise<void> {
  const cluster = opts.kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  const url = new URL(cluster.server.replace(/\/+$/, '') + opts.path);
  url.searchParams.set('watch', 'true');
  for (const [k, v] of Object.entries(opts.params)) url.searchParams.set(k, v);
  const reqOpts: RequestOptions & Record<string, unknown> = { method: 'GET', headers: { Accept: 'application/json' } };
  await opts.kubeConfig.applyToHTTPSOptions(reqOpts);
  if (signal.aborted) return;
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const req = send(url, { ...reqOpts, signal });
  req.setTimeout(opts.idleTimeoutMs, () => req.destroy(new Error(`no data for ${opts.idleTimeoutMs} ms`)));
  req.on('error', (err) => end(signal.aborted ? { kind: 'closed' } : { kind: 'failed', message: errorText(err) }));
  req.on('response', (res) => (res.statusCode === 200 ? readEvents(res, opts, end) : readFailure(res, end)));
  req.end();
}

function readEvents(res: IncomingMessage, opts: WatchStreamOptions, end: (e: WatchStreamEnd) => void): void {
  const lines = createInterface({ input: res, crlfDelay: Infinity });
  lines.on('line', (line) => {
    if (line.trim() === '') return;
    let event: unknown;
    try {
      event = JSON.parse(line) as unknown;
    } catch {
      end({ kind: 'failed', message: `unreadable watch event (not JSON): ${JSON.stringify(line.slice(0, SHOWN))}` });
      return;
    }
    if (!isRecord(event) || typeof event.type !== 'string') {
      end({ kind: 'failed', message: `unreadable watch event (no type): ${JSON.stringify(line.slice(0, SHOWN))}` });
      return;
    }
    try {
      const stop = opts.onEvent(event.type, event.object);
      if (stop) end(stop);
    } catch (err) {
      end({ kind: 'failed', message: errorText(err) });
    }
  });
  // readline passes its input's errors on; either may come first.
  lines.on('error', (err) => end({ kind: 'failed', message: errorText(err) }));
  res.on('error', (err) => end({ kind: 'failed', message: errorText(err) }));
  // A cut connection ends the response early: 'aborted' before 'end' (never 'end' then).
  res.on('aborted', () => end({ kind: 'failed', message: 'connection cut during the watch' }));
  lines.on('close', () => end(res.complete ? { kind: 'closed' } : { kind: 'failed', message: 'connection cut during the watch' }));
}

/** A non-200 answer: its Status message, 410 as `gone`. */
function readFailure(res: IncomingMessage, end: (e: WatchStreamEnd) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  res.on('data', (c: Buffer) => {
    // A Status is small; a huge error page is not read whole.
    if (size < 64 * 1024) chunks.push(c);
    size += c.length;
  });
  res.on('error', () => undefined);
  res.on('close', () => {
    const code = res.statusCode ?? 0;
    let message = `HTTP ${code}`;
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
      if (isRecord(body) && typeof body.message === 'string') message = `HTTP ${code}: ${body.message}`;
    } catch {
      // not a Status: the code says enough
    }
    end(code === 410 ? { kind: 'gone', message } : { kind: 'failed', message, code });
  });
}

function errorText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const code = isRecord(err) && typeof err.code === 'string' ? err.code : undefined;
  const line = text.split('\n')[0] ?? text;
  return code && !line.includes(code) ? `${line} (${code})` : line;
}
