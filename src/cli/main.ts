#!/usr/bin/env node
// imcls command line: thin dispatch to programs/.
import { readFileSync } from 'node:fs';
import { loadNativeAddon } from '../backend/native/addon.js';
import { getBackend } from '../backend/index.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function info(json: boolean): void {
  const { addon, error } = loadNativeAddon();
  const native = addon?.info();
  const report = {
    version: version(),
    backend: getBackend().name,
    isa: native?.isa ?? null,
    detected_isa: native?.detectedIsa ?? null,
    threads: native?.threads ?? 1,
    node: process.version,
    native_error: error,
  };
  if (json) {
    console.log(JSON.stringify(report));
    return;
  }
  console.log(`imcls ${report.version}`);
  console.log(`backend:  ${report.backend}${error ? ` (${error})` : ''}`);
  console.log(`isa:      ${report.isa ?? 'n/a'}${report.detected_isa && report.detected_isa !== report.isa ? ` (cpu supports ${report.detected_isa})` : ''}`);
  console.log(`threads:  ${report.threads}`);
  console.log(`node:     ${report.node}`);
}

const [cmd, ...rest] = process.argv.slice(2);
switch (cmd) {
  case 'info':
    info(rest.includes('--json'));
    break;
  default:
    console.error(cmd ? `imcls: unknown command '${cmd}'` : 'usage: imcls <command> (info)');
    process.exit(2);
}
