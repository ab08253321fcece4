// Whether model constructors run their random initialisers. createModel(name, { initialize: false }) turns
// them off for one build: the parameters stay zero-filled, which is what a shape-only build (registry tests,
// MAC counting) or a build that loads weights right away wants, and it skips drawing ~800M Gaussians for the
// largest WSL models. Family files route their initialisers through `initializer()`.
import type { Initializer } from '../nn/index.js';

let enabled = true;

const NO_INIT: Initializer = { name: 'none(left zero)', init() {} };

export function initializer(i: Initializer): Initializer {
  return enabled ? i : NO_INIT;
}

export function withInitialization<T>(on: boolean, fn: () => T): T {
  const prev = enabled;
  enabled = on;
  try {
    return fn();
  } finally {
    enabled = prev;
  }
}
