// The build context `docker build .` would send: every file under ROOT that
// .dockerignore does not exclude, copied to DEST. Docker's rules, as far as
// this repository's .dockerignore needs them (scripts/check-dockerfile.sh):
// patterns are paths from the context root ("/" at either end ignored),
// `*` and `?` stay within one path element, `**` spans any number of them,
// a pattern that matches a directory matches everything under it, `!` makes
// an exception, and the last pattern that matches a path decides. Character
// classes ([...]) and escapes are refused rather than guessed.
// Usage: node scripts/dockerignore-context.mjs ROOT DEST  (prints the files copied)
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';

const [root, dest] = process.argv.slice(2);
if (root === undefined || dest === undefined) {
  process.stderr.write('usage: dockerignore-context.mjs ROOT DEST\n');
  process.exit(2);
}

function toRegExp(pattern) {
  if (/[[\]\\]/.test(pattern)) throw new Error(`.dockerignore pattern ${JSON.stringify(pattern)}: character classes and escapes are not supported by this check`);
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*' && pattern[i + 1] === '*') {
      // "**/" matches zero or more directories; a trailing "**" anything.
      if (pattern[i + 2] === '/') { re += '(?:.*/)?'; i += 2; } else { re += '.*'; i += 1; }
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

const file = path.join(root, '.dockerignore');
const rules = (existsSync(file) ? readFileSync(file, 'utf8') : '').split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'))
  .map((l) => {
    const exception = l.startsWith('!');
    const cleaned = path.posix.normalize((exception ? l.slice(1) : l).trim()).replace(/^\/+|\/+$/g, '');
    return { exception, re: toRegExp(cleaned), text: l };
  });

/** Whether the path (or one of its parent directories) matches the rule. */
function matches(rule, rel) {
  const parts = rel.split('/');
  for (let n = parts.length; n > 0; n--) if (rule.re.test(parts.slice(0, n).join('/'))) return true;
  return false;
}

function excluded(rel) {
  let out = false;
  for (const rule of rules) if (matches(rule, rel)) out = !rule.exception;
  return out;
}

/** An excluded directory can still hold files an exception brings back; only then is it walked. */
function mayHoldExceptions(relDir) {
  return rules.some((r) => r.exception && (r.text.includes('**') || r.text.slice(1).replace(/^\/+/, '').startsWith(`${relDir}/`)));
}

const copied = [];
function walk(relDir) {
  for (const entry of readdirSync(path.join(root, relDir), { withFileTypes: true })) {
    const rel = relDir === '' ? entry.name : `${relDir}/${entry.name}`;
    if (entry.isDirectory()) {
      if (!excluded(rel) || mayHoldExceptions(rel)) walk(rel);
    } else if (!excluded(rel)) {
      mkdirSync(path.join(dest, relDir), { recursive: true });
      cpSync(path.join(root, rel), path.join(dest, rel), { verbatimSymlinks: true });
      copied.push(rel);
    }
  }
}
walk('');
process.stdout.write(`${copied.join('\n')}\n`);
