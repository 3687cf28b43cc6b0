// Arbitrary text through the one quoting function (nftName, comment) into a
// small table, checked by the real `nft -c -f` in a throwaway network
// namespace (root only; CI must run it). Many strings share one script, so a
// run costs one nft call. nft -c cannot print what it parsed, so "means only
// what it should" is checked on our side of the pipe: the script has exactly
// the lines the template writes, each line is the template's, and the name
// and comment in each read back to the text that went in.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { comment, nftName, unescapeName, unquoteText } from '../../src/nft/syntax.ts';
import { describeNft, useThrowawayNetns } from '../support/root.ts';
import { hostileText } from './quoting-arbitraries.ts';

const RUNS = Number(process.env.FC_NFT_RUNS ?? 20);
const PER_SCRIPT = 60;

interface Item {
  readonly name: string;
  readonly text: string;
}

/**
 *   set NAME {                                  one set per item, its comment the item's text
 *     type ipv4_addr
 *     comment "TEXT"
 *   }
 *   chain NAME {                                a chain of the same name (sets and chains have separate namespaces)
 *     ip saddr @NAME counter accept comment "TEXT"
 *   }
 *   chain _all { jump NAME ... }                every chain jumped to once ("_al" is no escape: no item's name)
 */
function script(items: readonly Item[]): string {
  const lines = ['table inet nftpol_quoting {'];
  for (const { name, text } of items) {
    const n = nftName(name);
    lines.push(`\tset ${n} {`, '\t\ttype ipv4_addr', `\t\t${comment(text)}`, '\t}');
    lines.push(`\tchain ${n} {`, `\t\tip saddr @${n} counter accept ${comment(text)}`, '\t}');
  }
  lines.push('\tchain _all {', ...items.map(({ name }) => `\t\tjump ${nftName(name)}`), '\t}', '}');
  return `${lines.join('\n')}\n`;
}

const TEMPLATE: readonly RegExp[] = [
  /^\tset (\S+) \{$/, /^\t\ttype ipv4_addr$/, /^\t\tcomment "([^"]*)"$/, /^\t\}$/,
  /^\tchain (\S+) \{$/, /^\t\tip saddr @(\S+) counter accept comment "([^"]*)"$/, /^\t\}$/,
];

/** Every line is the template's, and every name and comment reads back to its item (when not shortened or cut). */
function checkShape(text: string, items: readonly Item[]): void {
  const lines = text.split('\n');
  expect(lines.length).toBe(1 + items.length * TEMPLATE.length + 2 + items.length + 2);
  items.forEach((item, i) => {
    const block = lines.slice(1 + i * TEMPLATE.length, 1 + (i + 1) * TEMPLATE.length);
    const found: string[] = [];
    block.forEach((line, k) => {
      const m = (TEMPLATE[k] as RegExp).exec(line);
      expect(m, `line ${k} of item ${JSON.stringify(item)}: ${line}`).not.toBeNull();
      found.push(...(m as RegExpExecArray).slice(1));
    });
    const [setName, setComment, chainName, ref, ruleComment] = found as [string, string, string, string, string];
    expect(new Set([setName, chainName, ref]).size).toBe(1);
    expect(setComment).toBe(ruleComment);
    if (setName.length < 238) expect(unescapeName(setName)).toBe(item.name);
    const back = unquoteText(setComment);
    if (back !== undefined) expect(back).toBe(item.text);
  });
}

const itemsArb = fc.uniqueArray(fc.record({ name: hostileText(), text: hostileText() }), {
  minLength: 1, maxLength: PER_SCRIPT, selector: (i) => nftName(i.name),
});

await describeNft('quoted names and comments pass nft -c', () => {
  const netns = useThrowawayNetns();

  it(`arbitrary names and comments (${RUNS} scripts of up to ${PER_SCRIPT}): nft -c accepts, and each reads back`, async () => {
    await fc.assert(fc.asyncProperty(itemsArb, async (items) => {
      const text = script(items);
      checkShape(text, items);
      try {
        await netns().nft.check(text);
      } catch (err) {
        throw new Error(`${(err as Error).message}\n--- script ---\n${text}`, { cause: err });
      }
    }), { numRuns: RUNS });
  }, 30_000 + RUNS * 1000);
});
