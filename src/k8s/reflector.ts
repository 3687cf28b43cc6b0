// One resource kept in sync with the API server: list, then watch from the
// list's resourceVersion, as client-go's reflector does.
//
// Why not @kubernetes/client-node's makeInformer/ListWatch (v2.0.1): it is
// not correct for a long-running agent.
//  - It never asks for bookmarks (allowWatchBookmarks), so a quiet watch's
//    resourceVersion does not advance and a resume after a drop is more
//    likely to be "too old" (410) and cost a full relist.
//  - Any failure other than 410 or its own timeout (connection refused, an
//    HTTP 500, a failed list) emits "error" and stops for good: retrying with
//    backoff is left to the caller, and start() resets its backoff to zero.
//  - Its cache holds list items as typed objects (`_from`, Date) and watch
//    items as plain JSON, mixed, and holds them whole (every pod's full spec).
//  - Its relist diff compares namespace/name only, so a pod deleted and
//    re-created under the same name during a gap is an "update", not a delete
//    and an add (a new uid is a new object: new IP, new owner).
//  - An object without metadata throws inside its async watch handler: an
//    unhandled rejection, not an event.
// So this module keeps its own store and loop, and uses the client for what
// it does right: authentication, TLS and proxies from the kubeconfig, and the
// typed list calls (with limit/continue). The watch request itself is
// watch-stream.ts (it says why not the client's Watch).
//
// The watch protocol, as the API server documents it: a list answers with a
// resourceVersion; a watch from it sends ADDED/MODIFIED/DELETED events for
// changes after it, each object carrying its new resourceVersion; BOOKMARK
// events carry only a newer resourceVersion (sent when asked for with
// allowWatchBookmarks); an ERROR event carries a Status, code 410 (Gone) when
// the resourceVersion is older than the server's history, and then only a new
// list can resynchronise. The server may close a watch at any time; resuming
// from the last resourceVersion seen loses nothing.
import type { KubeConfig } from '@kubernetes/client-node';
import { isRecord, type RawRecord } from '../sources/raw.ts';
import { openWatch, type WatchStreamEnd } from './watch-stream.ts';

/** A page of a list, items in wire form. */
export interface ListPage {
  readonly items: readonly unknown[];
  readonly resourceVersion: string;
  readonly continueToken?: string;
}

export type ListPageFn = (continueToken: string | undefined) => Promise<ListPage>;

/** What the reflector stores of each object: its identity, and what the caller made of it. */
interface Stored<T> {
  readonly uid: string;
  readonly resourceVersion: string;
  readonly value: T;
}

export type ReflectorEvent<T> =
  | { readonly type: 'added' | 'modified' | 'deleted'; readonly key: string; readonly value: T; readonly resourceVersion: string }
  /** A list finished: its differences were emitted before this. `initial` for the first one. */
  | { readonly type: 'listed'; readonly resourceVersion: string; readonly initial: boolean; readonly count: number }
  | { readonly type: 'bookmark'; readonly resourceVersion: string }
  /** The watch's resourceVersion is gone from the server's history (410): a relist follows. */
  | { readonly type: 'expired'; readonly message: string }
  /** A list or watch failed; the next attempt is in retryInMs. */
  | { readonly type: 'trouble'; readonly message: string; readonly retryInMs: number }
  /**
   * With endWhenNotFound: a list or watch was answered 404, the resource is
   * no longer served (its CRD was removed). Every stored object was emitted
   * as deleted before this; the reflector has stopped.
   */
  | { readonly type: 'unserved'; readonly message: string };

export interface BackoffOptions {
  /** First delay after a failure (ms); doubles on each failure in a row. Default 800, as client-go's reflector. */
  readonly initialMs?: number;
  /** Longest delay (ms). Default 30000. */
  readonly maxMs?: number;
  /** Up to this fraction is added at random, so many agents do not retry in step. Default 0.2. */
  readonly jitter?: number;
  /** A failure this long after the previous one starts again from initialMs. Default 2 minutes, as client-go. */
  readonly resetAfterMs?: number;
}

export interface ReflectorOptions<T> {
  readonly kubeConfig: KubeConfig;
  /** Collection path, e.g. /api/v1/pods. */
  readonly path: string;
  readonly listPage: ListPageFn;
  /** Turns a wire-form object into what is stored and emitted; must not throw. */
  readonly convert: (obj: unknown) => T;
  readonly emit: (event: ReflectorEvent<T>) => void;
  readonly backoff?: BackoffOptions;
  /** Server-side watch timeout: the server ends the watch after this and we resume. Default 5 to 10 minutes, as client-go. */
  readonly watchTimeoutSeconds?: number;
  /**
   * A resource that may stop being served (a custom resource): a 404 on its
   * list or watch ends the reflector (`unserved`) instead of a retry. Off, a
   * 404 is one more failure, retried with backoff.
   */
  readonly endWhenNotFound?: boolean;
}

/** Why a watch ended. */
type WatchEnd =
  | { readonly kind: 'stopped' }
  | { readonly kind: 'gone'; readonly message: string; readonly sawEvents: boolean }
  | { readonly kind: 'closed'; readonly sawEvents: boolean }
  | { readonly kind: 'failed'; readonly message: string; readonly code?: number };

interface ObjectIdentity {
  readonly key: string;
  readonly uid: string;
  readonly resourceVersion: string;
}

/** namespace/name (or name), uid and resourceVersion of a wire object; blanks where missing, for the normalizer to report. */
export function identity(obj: unknown): ObjectIdentity {
  const m = isRecord(obj) && isRecord(obj.metadata) ? obj.metadata : {};
  const text = (v: unknown): string => (typeof v === 'string' ? v : '');
  const ns = text(m.namespace);
  return { key: ns ? `${ns}/${text(m.name)}` : text(m.name), uid: text(m.uid), resourceVersion: text(m.resourceVersion) };
}

export class Reflector<T> {
  private readonly store = new Map<string, Stored<T>>();
  private resourceVersion = '';
  private listedOnce = false;
  /** Failures in a row: the backoff's exponent. Reset by any watch event, or by a quiet spell (resetAfterMs). */
  private failures = 0;
  private lastFailureAt = 0;
  private stopped = false;
  private cancelWait: (() => void) | undefined;
  /** A list request is out; the client gives no way to abort it. */
  private listing = false;
  private readonly loop: Promise<void>;
  private readonly opts: ReflectorOptions<T>;

  constructor(opts: ReflectorOptions<T>) {
    this.opts = opts;
    this.loop = this.run();
  }

  /** The resourceVersion the next watch resumes from ('' before the first list, or when a relist is due). */
  get lastResourceVersion(): string {
    return this.resourceVersion;
  }

  /**
   * Ends the watch; no event is emitted after the returned promise resolves.
   * A list in flight is not waited for (a slow server must not hold up a
   * shutdown): its answer is dropped when it comes.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelWait?.();
    if (!this.listing) await this.loop;
  }

  private emit(event: ReflectorEvent<T>): void {
    if (!this.stopped) this.opts.emit(event);
  }

  private async run(): Promise<void> {
    /** The watch about to start is the first after a list. */
    let fresh = false;
    while (!this.stopped) {
      if (this.resourceVersion === '') {
        let listed: { items: unknown[]; rv: string } | undefined;
        let failure: unknown;
        this.listing = true;
        try {
          listed = await this.listAll();
        } catch (err) {
          failure = err;
        } finally {
          this.listing = false;
        }
        if (this.stopped) return;
        if (!listed) {
          if (this.endsHere(statusCode(failure), `cannot list ${this.opts.path}: ${reason(failure)}`)) return;
          await this.retryAfter(`cannot list ${this.opts.path}: ${reason(failure)}${forbiddenHint(statusCode(failure))}`);
          continue;
        }
        // A list that works does not reset the backoff: the watch after it may fail at once (see below).
        this.replace(listed.items, listed.rv);
        fresh = true;
      }
      const end = await this.watchOnce();
      const afterList = fresh;
      fresh = false;
      if (end.kind === 'stopped') return;
      if (end.kind === 'gone') {
        this.resourceVersion = '';
        this.emit({ type: 'expired', message: end.message });
        // Gone at once from a list's own resourceVersion: relisting straight away would loop as fast as the server answers.
        if (afterList && !end.sawEvents) await this.retryAfter(`watch of ${this.opts.path} expired right after its list`);
      } else if (end.kind === 'failed') {
        if (this.endsHere(end.code, `watch of ${this.opts.path} failed: ${end.message}`)) return;
        await this.retryAfter(`watch of ${this.opts.path} failed: ${end.message}${forbiddenHint(end.code)}`);
      } else if (!end.sawEvents) {
        // A server that accepts a watch and closes it at once would otherwise be asked again in a tight loop.
        await this.retryAfter(`watch of ${this.opts.path} closed without events`);
      }
    }
  }

  /** With endWhenNotFound, a 404: every stored object is deleted (the resource went with them), then `unserved`. */
  private endsHere(code: number | undefined, message: string): boolean {
    if (code !== 404 || this.opts.endWhenNotFound !== true || this.stopped) return false;
    for (const [key, old] of [...this.store]) this.remove(key, old, this.resourceVersion);
    this.resourceVersion = '';
    this.emit({ type: 'unserved', message });
    this.stopped = true;
    return true;
  }

  /** Every page of the list; a continue token that expired (410) starts the list over. */
  private async listAll(): Promise<{ items: unknown[]; rv: string }> {
    for (let attempt = 0; ; attempt++) {
      const items: unknown[] = [];
      let token: string | undefined;
      try {
        let rv = '';
        do {
          const page = await this.opts.listPage(token);
          items.push(...page.items);
          rv = page.resourceVersion;
          token = page.continueToken || undefined;
        } while (token !== undefined && !this.stopped);
        return { items, rv };
      } catch (err) {
        // The server keeps a chunked list's snapshot only for a while; past it a continue token is 410 Gone and the list must restart.
        if (token === undefined || statusCode(err) !== 410 || attempt > 0) throw err;
      }
    }
  }

  /** Applies a full list: emits exactly the differences from the store (deletes first), then `listed`. */
  private replace(items: readonly unknown[], rv: string): void {
    const seen = new Map<string, unknown>();
    for (const item of items) seen.set(identity(item).key, item);
    for (const [key, old] of [...this.store]) {
      const now = seen.get(key);
      if (now === undefined || identity(now).uid !== old.uid) this.remove(key, old, rv);
    }
    for (const item of seen.values()) this.upsert(item);
    this.resourceVersion = rv;
    this.emit({ type: 'listed', resourceVersion: rv, initial: !this.listedOnce, count: this.store.size });
    this.listedOnce = true;
  }

  private remove(key: string, old: Stored<T>, rv: string): void {
    this.store.delete(key);
    this.emit({ type: 'deleted', key, value: old.value, resourceVersion: rv });
  }

  /** Stores an object; emits added or modified unless the same version is already stored. */
  private upsert(obj: unknown): void {
    const id = identity(obj);
    const old = this.store.get(id.key);
    if (old && old.uid === id.uid && old.resourceVersion === id.resourceVersion && id.resourceVersion !== '') return;
    // A new uid under a known name is a new object: the old one was deleted (in a gap, or a relist saw both).
    if (old && old.uid !== id.uid) this.remove(id.key, old, id.resourceVersion);
    const value = this.opts.convert(obj);
    const known = this.store.has(id.key);
    this.store.set(id.key, { uid: id.uid, resourceVersion: id.resourceVersion, value });
    this.emit({ type: known ? 'modified' : 'added', key: id.key, value, resourceVersion: id.resourceVersion });
  }

  private onWatchEvent(type: unknown, obj: unknown): WatchStreamEnd | undefined {
    const id = identity(obj);
    switch (type) {
      case 'ADDED':
      case 'MODIFIED':
        this.upsert(obj);
        break;
      case 'DELETED': {
        const old = this.store.get(id.key);
        if (old) this.remove(id.key, old, id.resourceVersion);
        break;
      }
      case 'BOOKMARK':
        if (id.resourceVersion !== '') this.emit({ type: 'bookmark', resourceVersion: id.resourceVersion });
        break;
      case 'ERROR': {
        const status = isRecord(obj) ? obj : {};
        const message = typeof status.message === 'string' ? status.message : 'ERROR event';
        return status.code === 410 ? { kind: 'gone', message } : { kind: 'failed', message, ...(typeof status.code === 'number' && { code: status.code }) };
      }
      default:
        return { kind: 'failed', message: `unknown watch event type ${JSON.stringify(type)}` };
    }
    if (id.resourceVersion !== '') this.resourceVersion = id.resourceVersion;
    this.failures = 0;
    return undefined;
  }

  private async watchOnce(): Promise<WatchEnd> {
    let sawEvents = false;
    const timeoutSeconds = this.opts.watchTimeoutSeconds ?? 300 + Math.floor(Math.random() * 300);
    const watch = openWatch({
      kubeConfig: this.opts.kubeConfig,
      path: this.opts.path,
      params: { resourceVersion: this.resourceVersion, allowWatchBookmarks: 'true', timeoutSeconds: String(timeoutSeconds) },
      // The server ends the watch after timeoutSeconds; silence well past that means a dead connection.
      idleTimeoutMs: (timeoutSeconds + 30) * 1000,
      onEvent: (type, obj) => {
        if (type !== 'ERROR') sawEvents = true;
        return this.onWatchEvent(type, obj);
      },
    });
    this.cancelWait = () => watch.abort();
    const end = await watch.ended;
    this.cancelWait = undefined;
    if (this.stopped) return { kind: 'stopped' };
    return end.kind === 'failed' ? end : { ...end, sawEvents };
  }

  /** Emits `trouble`, then waits the backoff delay (or until stop). */
  private async retryAfter(message: string): Promise<void> {
    if (this.stopped) return;
    const b = this.opts.backoff ?? {};
    const initial = b.initialMs ?? 800;
    const max = b.maxMs ?? 30_000;
    // As client-go's backoff manager: failures far apart are not a streak.
    if (Date.now() - this.lastFailureAt > (b.resetAfterMs ?? 120_000)) this.failures = 0;
    this.lastFailureAt = Date.now();
    const base = Math.min(initial * 2 ** this.failures, max);
    const delay = Math.round(Math.min(base * (1 + (b.jitter ?? 0.2) * Math.random()), max));
    this.failures++;
    this.emit({ type: 'trouble', message, retryInMs: delay });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.cancelWait = undefined;
        resolve();
      }, delay);
      this.cancelWait = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

/**
 * 403 Forbidden is RBAC refusing the verb: the API server's message names
 * the user, verb, resource and group; this says what to do about it.
 */
function forbiddenHint(code: number | undefined): string {
  return code === 403 ? ' (RBAC: the service account needs get, list and watch on it; the chart\'s ClusterRole grants them)' : '';
}

/** HTTP status of a client error: ApiException has `code`, Watch's errors `statusCode`. */
export function statusCode(err: unknown): number | undefined {
  if (!isRecord(err)) return undefined;
  const code = err.code ?? err.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** A one-line reason: the API's Status message when there is one, else the error's first line and its cause. */
export function reason(err: unknown): string {
  const rec: RawRecord = isRecord(err) ? err : {};
  const code = statusCode(err);
  const body: unknown = typeof rec.body === 'string' ? safeJson(rec.body) : rec.body;
  if (code !== undefined && isRecord(body) && typeof body.message === 'string') return `HTTP ${code}: ${body.message}`;
  const text = err instanceof Error ? err.message : String(err);
  // ApiException's message is "HTTP-Code: 401\nMessage: Unauthorized\nBody: ...": its Message line says it.
  const apiMessage = /^HTTP-Code: \d+\nMessage: (.*)$/m.exec(text)?.[1];
  if (code !== undefined && apiMessage !== undefined) return `HTTP ${code}: ${apiMessage}`;
  const line = text.split('\n')[0] ?? text;
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message.split('\n')[0] : undefined;
  const withCode = code !== undefined && !line.includes(String(code)) ? `HTTP ${code}: ${line}` : line;
  return cause ? `${withCode} (${cause})` : withCode;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
