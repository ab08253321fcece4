// The backends a spec runs on: reference always, native when the addon loaded (and not
// disabled by IMCLS_BACKEND=reference, which must make the whole suite pass on reference).
import type { Backend } from '../../src/backend/backend.js';
import { nativeBackend, referenceBackend } from '../../src/backend/index.js';

export function backendsUnderTest(): Backend[] {
  const list: Backend[] = [referenceBackend()];
  const native = nativeBackend();
  if (native) list.push(native);
  return list;
}

export function expectNative(): boolean {
  return process.env['IMCLS_BACKEND'] !== 'reference';
}
