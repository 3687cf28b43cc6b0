// The one way from a field path ("spec.ingress[0].from[1]") back to a line of
// the YAML it came from, for manifests and PolicyTests alike: the deepest node
// along the path that exists, so a missing field points at its parent.
//
// Positions are taken from js-yaml's parse events (each mapping, sequence
// and scalar with its offset in the text), kept in typed arrays: a kind, an
// offset and the index just past the node's subtree per event, so a lookup
// skips whole subtrees. The first lookup into a mapping or sequence indexes
// its children, so asking for every item of a long list (a PolicyTest with
// 300,000 cases, a List of 100,000 pods) costs one pass, not one per item.
import { EVENT_ID, getScalarValue, type Event, type ScalarEvent, type ScalarStyle } from 'js-yaml';
import type { FieldSegment } from './field-path.ts';

const NONE = -1;
const FAST = 0x80;

export class YamlPositions {
  private readonly source: string;
  private readonly kinds: Uint8Array;
  private readonly starts: Int32Array;
  private readonly ends: Int32Array;
  /** Scalar style, with FAST set when the value is its text as is. */
  private readonly styles: Uint8Array;
  /** Index just past each node's subtree (for scalars and aliases, the next index). */
  private readonly next: Int32Array;
  private readonly root: number;
  private readonly mappings = new Map<number, Map<string, { key: number; value: number }>>();
  private readonly sequences = new Map<number, number[]>();

  /**
   * The positions of document `ordinal` (0-based) among `events`, offsets
   * into `source` (the text the events were parsed from).
   */
  constructor(events: readonly Event[], source: string, ordinal = 0) {
    this.source = source;
    const n = events.length;
    this.kinds = new Uint8Array(n);
    this.starts = new Int32Array(n).fill(NONE);
    this.ends = new Int32Array(n).fill(NONE);
    this.styles = new Uint8Array(n);
    this.next = new Int32Array(n);
    const open: number[] = [];
    let root = NONE;
    let documents = -1;
    for (let i = 0; i < n; i++) {
      const e = events[i] as Event;
      this.kinds[i] = e.type;
      this.next[i] = i + 1;
      switch (e.type) {
        case EVENT_ID.DOCUMENT:
          documents++;
          if (documents === ordinal) root = i + 1;
          open.push(i);
          break;
        case EVENT_ID.MAPPING:
        case EVENT_ID.SEQUENCE:
          this.starts[i] = e.start;
          open.push(i);
          break;
        case EVENT_ID.SCALAR:
          this.starts[i] = e.valueStart;
          this.ends[i] = e.valueEnd;
          this.styles[i] = e.style | (e.fast ? FAST : 0);
          break;
        case EVENT_ID.ALIAS:
          this.starts[i] = e.anchorStart;
          break;
        case EVENT_ID.POP: {
          const opened = open.pop();
          if (opened !== undefined) this.next[opened] = i + 1;
          break;
        }
      }
    }
    this.root = root < n && root !== NONE && this.kinds[root] !== EVENT_ID.POP ? root : NONE;
  }

  /** Offset where the document's top node starts; undefined for an empty document. */
  rootOffset(): number | undefined {
    return this.root === NONE ? undefined : this.offset(this.root);
  }

  /**
   * Offset of the deepest node along `path` that exists: the key of a
   * mapping entry (so the line shows the field's name), or the item of a
   * sequence.
   */
  offsetOf(path: readonly FieldSegment[]): number | undefined {
    if (this.root === NONE) return undefined;
    let node = this.root;
    let offset = this.offset(node);
    for (const seg of path) {
      const kind = this.kinds[node];
      if (kind === EVENT_ID.MAPPING) {
        const entry = this.entries(node).get(String(seg));
        if (!entry) break;
        offset = this.offset(entry.key) ?? offset;
        node = entry.value;
      } else if (kind === EVENT_ID.SEQUENCE && typeof seg === 'number') {
        const item = this.items(node)[seg];
        if (item === undefined) break;
        offset = this.offset(item) ?? offset;
        node = item;
      } else {
        break;
      }
    }
    return offset;
  }

  /** Offsets of the items of the sequence at `path`; undefined when there is none. */
  itemOffsets(path: readonly FieldSegment[]): (number | undefined)[] | undefined {
    let node = this.root;
    for (const seg of path) {
      if (node === NONE) return undefined;
      if (this.kinds[node] === EVENT_ID.MAPPING) node = this.entries(node).get(String(seg))?.value ?? NONE;
      else if (this.kinds[node] === EVENT_ID.SEQUENCE && typeof seg === 'number') node = this.items(node)[seg] ?? NONE;
      else return undefined;
    }
    if (node === NONE || this.kinds[node] !== EVENT_ID.SEQUENCE) return undefined;
    return this.items(node).map((i) => this.offset(i));
  }

  private offset(i: number): number | undefined {
    const o = this.starts[i];
    return o === undefined || o === NONE ? undefined : o;
  }

  private entries(mapping: number): Map<string, { key: number; value: number }> {
    let found = this.mappings.get(mapping);
    if (found) return found;
    found = new Map();
    const end = (this.next[mapping] as number) - 1;
    for (let k = mapping + 1; k < end;) {
      const v = this.next[k] as number;
      if (v >= end) break;
      const key = this.kinds[k] === EVENT_ID.SCALAR ? this.scalarText(k) : undefined;
      // The first of duplicate keys is the one a reader would look at first.
      if (key !== undefined && !found.has(key)) found.set(key, { key: k, value: v });
      k = this.next[v] as number;
    }
    this.mappings.set(mapping, found);
    return found;
  }

  private items(sequence: number): number[] {
    let found = this.sequences.get(sequence);
    if (found) return found;
    found = [];
    const end = (this.next[sequence] as number) - 1;
    for (let k = sequence + 1; k < end; k = this.next[k] as number) found.push(k);
    this.sequences.set(sequence, found);
    return found;
  }

  private scalarText(i: number): string {
    const flags = this.styles[i] as number;
    const start = this.starts[i] as number;
    const end = this.ends[i] as number;
    if (flags & FAST) return start === NONE ? '' : this.source.slice(start, end);
    const event: ScalarEvent = {
      type: EVENT_ID.SCALAR, valueStart: start, valueEnd: end, anchorStart: NONE, anchorEnd: NONE, tagStart: NONE, tagEnd: NONE,
      style: (flags & ~FAST) as ScalarStyle, chomping: 1, indent: NONE, fast: false,
    };
    return getScalarValue(this.source, event);
  }
}

/** 1-based lines of offsets into a text whose first line is `firstLine`. */
export class LineTable {
  private readonly breaks: number[] = [];
  private readonly firstLine: number;

  constructor(text: string, firstLine = 1) {
    this.firstLine = firstLine;
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.breaks.push(i);
  }

  lineAt(offset: number): number {
    let lo = 0;
    let hi = this.breaks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.breaks[mid] as number) < offset) lo = mid + 1;
      else hi = mid;
    }
    return this.firstLine + lo;
  }
}
