// Chooses the backend once: native when the addon loads, else reference (with one warning).
// IMCLS_BACKEND=reference forces the reference backend (tests run the whole suite that way too).
import type { Backend } from './backend.js';
import { loadNativeAddon } from './native/addon.js';
import { NativeBackend } from './native/native_backend.js';
import { ReferenceBackend } from './reference/reference_backend.js';

export type {
  Backend, Conv2dGeometry, Pool2dGeometry, UnaryOp, BinaryOp, FusedActivation, ConvActivation, PackedConvWeights, RectifierActivation,
} from './backend.js';

let active: Backend | undefined;
let reference: Backend | undefined;

export function referenceBackend(): Backend {
  reference ??= new ReferenceBackend();
  return reference;
}

/** The native backend, or null when the addon is unavailable (reason in nativeBackendError()). */
export function nativeBackend(): Backend | null {
  const { addon } = loadNativeAddon();
  return addon ? new NativeBackend(addon) : null;
}

export function nativeBackendError(): string | null {
  return loadNativeAddon().error;
}

export function getBackend(): Backend {
  if (active) return active;
  const native = nativeBackend();
  if (native) {
    active = native;
  } else {
    const why = nativeBackendError();
    if (process.env['IMCLS_BACKEND'] !== 'reference') {
      process.emitWarning(`imcls: using the slow reference backend: ${why}`);
    }
    active = referenceBackend();
  }
  return active;
}

/** Swaps the active backend (tests compare backends on the same ops); returns the previous one. */
export function setBackend(backend: Backend): Backend {
  const prev = getBackend();
  active = backend;
  return prev;
}
