// Colour only when writing to a terminal (and NO_COLOR is unset); pipes, files
// and CI logs get plain text.
import pc from 'picocolors';

export type Style = ReturnType<typeof pc.createColors>;

export function styleFor(stream: { isTTY?: boolean }, force?: boolean): Style {
  const enabled = force ?? (Boolean(stream.isTTY) && !process.env.NO_COLOR);
  return pc.createColors(enabled);
}

export const plain: Style = pc.createColors(false);
