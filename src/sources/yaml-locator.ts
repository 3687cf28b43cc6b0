// The one way from a field path ("spec.ingress[0].from[1]") back to a line of
// the YAML it came from, for manifests and PolicyTests alike: the deepest node
// along the path that exists, so a missing field points at its parent.
import { isMap, isScalar, isSeq, type Document, type LineCounter } from 'yaml';
import { parseFieldPath, type FieldSegment } from './field-path.ts';

/**
 * Offset of the deepest node along `path` that exists: the key of a mapping
 * entry (so the line shows the field's name), or the item of a sequence.
 */
export function locateOffset(doc: Document, path: readonly FieldSegment[]): number | undefined {
  let node: unknown = doc.contents;
  let offset = isMap(node) || isSeq(node) || isScalar(node) ? node.range?.[0] : undefined;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((it) => isScalar(it.key) && String(it.key.value) === String(seg));
      if (!pair) break;
      if (isScalar(pair.key)) offset = pair.key.range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
      if (isMap(node) || isSeq(node) || isScalar(node)) offset = node.range?.[0] ?? offset;
      else break;
    } else {
      break;
    }
  }
  return offset;
}

/** A field path's line (1-based) in a document, below `base` (a List item's path); undefined when unknown. */
export function fieldLocator(doc: Document, lines: LineCounter, base: readonly FieldSegment[] = []): (field: string) => number | undefined {
  return (field) => {
    const offset = locateOffset(doc, [...base, ...parseFieldPath(field)]);
    return offset === undefined ? undefined : lines.linePos(offset).line;
  };
}
