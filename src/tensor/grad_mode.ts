// Whether ops record the tape. noGrad() is how inference and optimizer steps avoid building graphs.

let enabled = true;

export function isGradEnabled(): boolean {
  return enabled;
}

/** Runs fn with gradient recording off (restored afterwards, even on throw). */
export function noGrad<T>(fn: () => T): T {
  const prev = enabled;
  enabled = false;
  try {
    return fn();
  } finally {
    enabled = prev;
  }
}

/** Runs fn with gradient recording on. */
export function enableGrad<T>(fn: () => T): T {
  const prev = enabled;
  enabled = true;
  try {
    return fn();
  } finally {
    enabled = prev;
  }
}
