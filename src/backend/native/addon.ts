// Loads the C++ addon built by `npm ci` (node-gyp). Absent or disabled, callers fall back to
// the reference backend with one warning line.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface NativeInfo {
  isa: 'avx512' | 'avx2' | 'baseline';
  detectedIsa: 'avx512' | 'avx2' | 'baseline';
  threads: number;
}

/** The raw addon: functions registered by native/*.cc with IMCLS_EXPORT. */
export type NativeAddon = Record<string, (...args: unknown[]) => unknown> & { info(): NativeInfo };

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('imcls: cannot find the package root');
    dir = up;
  }
  return dir;
}

let cached: { addon: NativeAddon | null; error: string | null } | undefined;

/** The addon, or null with the reason (not built, failed to load, or IMCLS_BACKEND=reference). */
export function loadNativeAddon(): { addon: NativeAddon | null; error: string | null } {
  if (cached) return cached;
  if (process.env['IMCLS_BACKEND'] === 'reference') {
    cached = { addon: null, error: 'disabled by IMCLS_BACKEND=reference' };
    return cached;
  }
  const root = packageRoot();
  const candidates = [join(root, 'build', 'Release', 'imcls_native.node'), join(root, 'build', 'Debug', 'imcls_native.node')];
  const require = createRequire(import.meta.url);
  for (const file of candidates) {
    if (!existsSync(file)) continue;
    try {
      cached = { addon: require(file) as NativeAddon, error: null };
      return cached;
    } catch (e) {
      cached = { addon: null, error: `failed to load ${file}: ${(e as Error).message}` };
      return cached;
    }
  }
  cached = { addon: null, error: 'native addon not built (run `npm ci` or `npx node-gyp rebuild`)' };
  return cached;
}
