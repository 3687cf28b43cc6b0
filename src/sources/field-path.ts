// JSON paths for problem messages ("spec.ingress[0].from[1].ipBlock.cidr"),
// and their parse back into segments so a YAML source can find the line.
// Keys that are not plain identifiers (label keys such as
// "app.kubernetes.io/name") are written in brackets: matchLabels["app.kubernetes.io/name"].

export type FieldSegment = string | number;

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export function childField(base: string, key: string): string {
  if (PLAIN_KEY.test(key)) return base === '' ? key : `${base}.${key}`;
  return `${base}[${JSON.stringify(key)}]`;
}

export function indexField(base: string, index: number): string {
  return `${base}[${index}]`;
}

/** Inverse of childField/indexField; unparseable input yields the segments read so far. */
export function parseFieldPath(path: string): FieldSegment[] {
  const segments: FieldSegment[] = [];
  let i = 0;
  while (i < path.length) {
    const ch = path[i];
    if (ch === '.') {
      i++;
    } else if (ch === '[') {
      const close = path[i + 1] === '"' ? closingQuote(path, i + 1) + 1 : path.indexOf(']', i);
      if (close <= i || path[close] !== ']') break;
      const inner = path.slice(i + 1, close);
      segments.push(inner.startsWith('"') ? (JSON.parse(inner) as string) : Number(inner));
      i = close + 1;
    } else {
      const m = /^[^.[]+/.exec(path.slice(i));
      if (!m) break;
      segments.push(m[0]);
      i += m[0].length;
    }
  }
  return segments;
}

function closingQuote(path: string, open: number): number {
  for (let j = open + 1; j < path.length; j++) {
    if (path[j] === '\\') j++;
    else if (path[j] === '"') return j;
  }
  return -1;
}

/** Whether `field` is `base` or a field inside it (a prefix that ends where a segment ends). */
export function fieldWithin(field: string, base: string): boolean {
  if (!field.startsWith(base)) return false;
  if (field.length === base.length) return true;
  const next = field[base.length];
  return next === '.' || next === '[';
}
