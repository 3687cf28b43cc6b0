// Shared launcher for the package's command-line entry points.
// nftpol needs Node 24; on a machine whose default node is older, re-run the
// command with the Node 24 that `npm ci` installed (the `node` dev dependency).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

export async function launch(entry) {
  const major = Number(process.versions.node.split('.')[0]);
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  if (major < 24) {
    const local = path.join(root, 'node_modules', 'node', 'bin', 'node');
    if (!existsSync(local)) {
      process.stderr.write(`nftpol needs Node.js 24 or later (this is ${process.version}); run "npm ci" first or install Node 24.\n`);
      process.exit(2);
    }
    // The child does the work; signals sent to this wrapper (a DaemonSet's
    // SIGTERM, Ctrl-C) are passed on, and it exits as the child did.
    const child = spawn(local, [process.argv[1], ...process.argv.slice(2)], { stdio: 'inherit' });
    for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(sig, () => child.kill(sig));
    child.on('exit', (code, signal) => {
      if (signal !== null) {
        process.removeAllListeners(signal);
        process.kill(process.pid, signal);
      }
      process.exit(code ?? 1);
    });
    return;
  }
  const built = path.join(root, 'dist', 'cli', `${entry}.js`);
  if (!existsSync(built)) {
    process.stderr.write(`nftpol is not built (${built} missing); run "npm ci" (or "npm run build") first.\n`);
    process.exit(2);
  }
  await import(pathToFileURL(built).href);
}
