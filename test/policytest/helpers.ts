// Shared by the policytest tests: a small shop cluster written to a temporary
// folder, an in-process `nftpol` runner, and a strict little XML reader to
// check the JUnit output is well-formed.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main, type MainOptions } from '../../src/cli/nftpol-program.ts';

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `nftpol ARGS...` in-process, from `cwd` (with other verdict sources when given). */
export async function nftpol(args: readonly string[], cwd: string, opts: Omit<MainOptions, 'cwd'> = {}): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: { write: (s: string) => (stdout += s), isTTY: false },
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
    stdin: '',
  };
  const code = await main(args, io, { ...opts, cwd });
  return { code, stdout, stderr };
}

export const NAMESPACES = `apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Namespace
metadata: {name: other}
`;

function deployment(ns: string, name: string, ports: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${ns}}
spec:
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers:
        - name: main
          image: example/${name}
          ports: ${ports}
`;
}

export const WORKLOADS = [
  deployment('shop', 'api', '[{name: http, containerPort: 8080}]'),
  deployment('shop', 'web', '[{name: http, containerPort: 80}]'),
  deployment('shop', 'db', '[{name: postgres, containerPort: 5432}, {name: metrics, containerPort: 9187}]'),
  deployment('other', 'x', '[{name: http, containerPort: 80}]'),
].join('---\n');

/** db accepts only app=api on 5432; web accepts anyone on its "http" port. */
export const POLICIES = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-allow-api, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Ingress]
  ingress:
    - from: [{podSelector: {matchLabels: {app: api}}}]
      ports: [{port: 5432}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-allow-http, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
  ingress:
    - ports: [{port: http}]
`;

/** A temporary project: manifests/ with the shop cluster, tests/ for PolicyTests. */
export class Scratch {
  readonly root: string;
  private constructor(root: string) {
    this.root = root;
  }

  static async create(): Promise<Scratch> {
    const root = await mkdtemp(path.join(tmpdir(), 'nftpol-policytest-'));
    const s = new Scratch(root);
    await s.write('manifests/namespaces.yaml', NAMESPACES);
    await s.write('manifests/workloads.yaml', WORKLOADS);
    await s.write('manifests/policies.yaml', POLICIES);
    return s;
  }

  async write(rel: string, text: string): Promise<string> {
    const file = path.join(this.root, rel);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
    return file;
  }

  run(...args: string[]): Promise<RunResult> {
    return nftpol(args, this.root);
  }

  async remove(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }
}

/** A PolicyTest document whose resources are the shop manifests, seen from tests/. */
export function policyTest(name: string, cases: string, extra = ''): string {
  return `apiVersion: nftpol.dev/v1alpha1
kind: PolicyTest
metadata: {name: ${name}}
resources: [../manifests/*.yaml]
${extra}cases:
${cases}`;
}

// ------------------------------------------------------------------ XML

export interface XmlElement {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: XmlElement[];
  text: string;
}

const NAME = /^[A-Za-z_][\w.-]*/;

function decode(raw: string, where: number): string {
  return raw.replace(/&([^;]*);/g, (_m, ent: string) => {
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    if (ent in named) return named[ent] as string;
    const num = /^#(\d+)$/.exec(ent) ?? /^#x([0-9a-fA-F]+)$/.exec(ent);
    if (num) return String.fromCodePoint(parseInt(num[1] as string, ent.startsWith('#x') ? 16 : 10));
    throw new Error(`unknown entity &${ent}; near offset ${where}`);
  });
}

/**
 * Parses a well-formed XML document (elements, attributes, text, the XML
 * declaration) and throws on anything malformed: unbalanced or crossed tags,
 * unquoted or duplicate attributes, a raw '<' or '&' in text, unknown entities,
 * characters XML 1.0 forbids, more than one root.
 */
export function parseXml(xml: string): XmlElement {
  // eslint-disable-next-line no-control-regex
  const bad = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/.exec(xml);
  if (bad) throw new Error(`character U+${bad[0].charCodeAt(0).toString(16)} is not allowed in XML, at offset ${bad.index}`);
  let i = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  if (xml.startsWith('<?xml')) {
    const end = xml.indexOf('?>');
    if (end < 0) throw new Error('unterminated XML declaration');
    i = end + 2;
  }
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const text = xml.slice(i, lt < 0 ? xml.length : lt);
    if (/&(?![A-Za-z]+;|#\d+;|#x[0-9a-fA-F]+;)/.test(text)) throw new Error(`raw '&' in text near offset ${i}`);
    const top = stack[stack.length - 1];
    if (top) top.text += decode(text, i);
    else if (text.trim() !== '') throw new Error(`text outside the root element near offset ${i}`);
    if (lt < 0) break;
    if (xml.startsWith('</', lt)) {
      const m = /^<\/([A-Za-z_][\w.-]*)\s*>/.exec(xml.slice(lt));
      if (!m) throw new Error(`bad closing tag at offset ${lt}`);
      const open = stack.pop();
      if (!open || open.name !== m[1]) throw new Error(`closing </${m[1]}> does not match <${open?.name ?? 'nothing'}> at offset ${lt}`);
      i = lt + m[0].length;
      continue;
    }
    let j = lt + 1;
    const nameMatch = NAME.exec(xml.slice(j));
    if (!nameMatch) throw new Error(`bad tag at offset ${lt}`);
    const el: XmlElement = { name: nameMatch[0], attrs: {}, children: [], text: '' };
    j += nameMatch[0].length;
    const attrs: Record<string, string> = {};
    for (;;) {
      const ws = /^\s*/.exec(xml.slice(j))?.[0].length ?? 0;
      j += ws;
      if (xml.startsWith('/>', j) || xml.startsWith('>', j)) break;
      if (ws === 0) throw new Error(`attributes must be separated by white space at offset ${j}`);
      const a = /^([A-Za-z_][\w.:-]*)\s*=\s*("([^"<]*)"|'([^'<]*)')/.exec(xml.slice(j));
      if (!a) throw new Error(`bad attribute at offset ${j}`);
      const key = a[1] as string;
      if (key in attrs) throw new Error(`duplicate attribute ${key} at offset ${j}`);
      const value = a[3] ?? a[4] ?? '';
      if (/&(?![A-Za-z]+;|#\d+;|#x[0-9a-fA-F]+;)/.test(value)) throw new Error(`raw '&' in attribute ${key} at offset ${j}`);
      attrs[key] = decode(value, j);
      j += a[0].length;
    }
    Object.assign(el.attrs, attrs);
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(el);
    else if (root) throw new Error(`second root element <${el.name}> at offset ${lt}`);
    else root = el;
    if (xml.startsWith('/>', j)) {
      i = j + 2;
    } else {
      stack.push(el);
      i = j + 1;
    }
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack[stack.length - 1]?.name}>`);
  if (!root) throw new Error('no root element');
  return root;
}
