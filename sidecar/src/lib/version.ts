/** The sidecar's version: package.json's, found upward from this file (a clone's dist/ or an installed package). */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

function findVersion(): string {
  for (let dir = __dirname, i = 0; i < 6; i += 1, dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'contact-bridge' && typeof pkg.version === 'string') return pkg.version;
  }
  return 'unknown';
}

export const SIDECAR_VERSION = findVersion();
