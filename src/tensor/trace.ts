// Op tracing: while a tracer is active, every op reports (op name, inputs, output, attributes)
// after computing its output. The ONNX exporter (src/io/onnx/tracer.ts) uses it to turn one
// eval-mode forward pass into a graph. When no tracer is active the hook is one null check.
import type { Tensor } from './tensor.js';

export type TraceAttr = number | boolean | string | readonly number[] | null;
export type TraceAttrs = Readonly<Record<string, TraceAttr>>;

export interface OpTracer {
  record(op: string, inputs: readonly Tensor[], output: Tensor, attrs: TraceAttrs): void;
}

let active: OpTracer | null = null;

/** Called by ops once their output is computed. */
export function traceOp(op: string, inputs: readonly Tensor[], output: Tensor, attrs: TraceAttrs = {}): void {
  if (active !== null) active.record(op, inputs, output, attrs);
}

/** Whether a tracer is recording (fused ops then run as their parts, which the tracer knows). */
export function isTracing(): boolean {
  return active !== null;
}

/** Runs fn with `tracer` receiving every op (restored afterwards, even on throw). */
export function withTracer<T>(tracer: OpTracer, fn: () => T): T {
  const prev = active;
  active = tracer;
  try {
    return fn();
  } finally {
    active = prev;
  }
}
