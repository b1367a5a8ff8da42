// The installed package's directory (holding build/ and package.json), found once from this file.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OciError } from '../errors.js';

let root: string | undefined;

export function packageRoot(): string {
  if (root) return root;
  // import.meta.filename (Node 20.11+; the CLI bundle defines it) spares parsing a URL.
  const from = import.meta.filename ?? fileURLToPath(import.meta.url);
  let dir = dirname(from);
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new OciError('ERR_NOT_SUPPORTED', `cannot find the ocirun package root above ${from}`);
    dir = parent;
  }
  return (root = dir);
}
