// `imcls info`: version, backend, selected ISA path and thread count.
import { readFileSync } from 'node:fs';
import { loadNativeAddon } from '../../backend/native/addon.js';
import { getBackend } from '../../backend/index.js';

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export async function infoCommand(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const { addon, error } = loadNativeAddon();
  const native = addon?.info();
  const report = {
    version: packageVersion(),
    backend: getBackend().name,
    isa: native?.isa ?? null,
    detected_isa: native?.detectedIsa ?? null,
    threads: native?.threads ?? 1,
    node: process.version,
    native_error: error,
  };
  if (json) {
    console.log(JSON.stringify(report));
    return 0;
  }
  console.log(`imcls ${report.version}`);
  console.log(`backend:  ${report.backend}${error ? ` (${error})` : ''}`);
  console.log(`isa:      ${report.isa ?? 'n/a'}${report.detected_isa && report.detected_isa !== report.isa ? ` (cpu supports ${report.detected_isa})` : ''}`);
  console.log(`threads:  ${report.threads}`);
  console.log(`node:     ${report.node}`);
  return 0;
}
