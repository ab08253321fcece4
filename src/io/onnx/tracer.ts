// Turns one eval-mode forward pass into an ONNX graph. Ops report themselves through the trace
// hook (src/tensor/trace.ts); a tensor the trace has not seen produced is a constant: a state
// dict entry keeps its Paddle name as the initializer name, anything else becomes const_<k>.
// The traced batch size becomes the symbolic dimension 'N' (reshape targets copy dim 0).
import type { Module } from '../../nn/module.js';
import { enableGrad } from '../../tensor/grad_mode.js';
import { Tensor } from '../../tensor/tensor.js';
import { withTracer, type OpTracer, type TraceAttrs } from '../../tensor/trace.js';
import { UserError } from '../../util/errors.js';
import { floatAttr, intAttr, intsAttr, type OnnxAttr, type OnnxGraph, type OnnxInitializer, type OnnxNode } from './graph.js';

const num = (a: TraceAttrs, k: string): number => {
  const v = a[k];
  if (typeof v !== 'number') throw new Error(`trace: attribute ${k} missing`);
  return v;
};

class GraphTracer implements OpTracer {
  readonly nodes: OnnxNode[] = [];
  readonly initializers = new Map<string, OnnxInitializer>();
  private readonly names = new Map<Tensor, string>();
  private counter = 0;

  constructor(
    input: Tensor,
    private readonly paramNames: Map<Tensor, string>,
  ) {
    this.names.set(input, 'image');
  }

  nameOf(t: Tensor): string {
    const known = this.names.get(t);
    if (known !== undefined) return known;
    const pname = this.paramNames.get(t);
    let name: string;
    if (pname !== undefined) {
      name = pname;
      this.initializers.set(name, { name, dims: [...t.shape], data: t.values });
    } else {
      if (t.dtype !== 'float32') throw new UserError('ONNX export: an integer tensor reached the graph as a constant');
      name = `const_${this.counter++}`;
      this.initializers.set(name, { name, dims: [...t.shape], data: Float32Array.from(t.values) });
    }
    this.names.set(t, name);
    return name;
  }

  private fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  private floatConst(values: number[], dims: number[]): string {
    const name = this.fresh('const');
    this.initializers.set(name, { name, dims, data: Float32Array.from(values) });
    return name;
  }

  private intConst(values: number[]): string {
    const name = this.fresh('const');
    this.initializers.set(name, { name, dims: [values.length], data: BigInt64Array.from(values.map((v) => BigInt(v))) });
    return name;
  }

  private emit(opType: string, inputs: string[], output: string, attrs: Record<string, OnnxAttr> = {}): string {
    this.nodes.push({ opType, inputs, outputs: [output], attrs, name: `${opType}_${this.nodes.length}` });
    return output;
  }

  record(op: string, inputs: readonly Tensor[], out: Tensor, a: TraceAttrs): void {
    const ins = inputs.map((t) => this.nameOf(t));
    const x = ins[0]!;
    const y = this.fresh(op);
    const unary: Record<string, string> = { relu: 'Relu', sigmoid: 'Sigmoid', tanh: 'Tanh', hard_swish: 'HardSwish', neg: 'Neg', exp: 'Exp', log: 'Log', sqrt: 'Sqrt', abs: 'Abs', softmax: 'Softmax', log_softmax: 'LogSoftmax' };
    const binary: Record<string, string> = { add: 'Add', sub: 'Sub', mul: 'Mul', div: 'Div', max: 'Max', min: 'Min' };
    switch (op) {
      case 'conv2d':
        this.emit('Conv', ins, y, {
          kernel_shape: intsAttr([num(a, 'kh'), num(a, 'kw')]),
          strides: intsAttr([num(a, 'strideH'), num(a, 'strideW')]),
          pads: intsAttr([num(a, 'padTop'), num(a, 'padLeft'), num(a, 'padBottom'), num(a, 'padRight')]),
          dilations: intsAttr([num(a, 'dilationH'), num(a, 'dilationW')]),
          group: intAttr(num(a, 'groups')),
        });
        break;
      case 'batch_norm':
        this.emit('BatchNormalization', ins, y, { epsilon: floatAttr(num(a, 'eps')) });
        break;
      case 'batch_norm_train':
      case 'dropout_train':
        throw new UserError(`ONNX export: the model ran ${op} (put it in eval mode)`);
      case 'relu6':
        this.emit('Clip', [x, this.floatConst([0], []), this.floatConst([6], [])], y);
        break;
      case 'leaky_relu':
        this.emit('LeakyRelu', [x], y, { alpha: floatAttr(num(a, 'alpha')) });
        break;
      case 'swish': {
        const s = this.emit('Sigmoid', [x], this.fresh('sigmoid'));
        this.emit('Mul', [x, s], y);
        break;
      }
      case 'hard_sigmoid':
        this.emit('HardSigmoid', [x], y, {
          alpha: floatAttr(typeof a['slope'] === 'number' ? a['slope'] : 0.2),
          beta: floatAttr(typeof a['offset'] === 'number' ? a['offset'] : 0.5),
        });
        break;
      case 'square':
        this.emit('Mul', [x, x], y);
        break;
      case 'scale':
        this.emit('Mul', [x, this.floatConst([num(a, 's')], [])], y);
        break;
      case 'add_scalar':
        this.emit('Add', [x, this.floatConst([num(a, 's')], [])], y);
        break;
      case 'matmul':
        this.emit('MatMul', ins, y);
        break;
      case 'linear':
        // Gemm takes Paddle's [in, out] weight as B directly (transB = 0).
        this.emit('Gemm', ins, y);
        break;
      case 'max_pool2d':
      case 'avg_pool2d':
      case 'adaptive_avg_pool2d': {
        const attrs: Record<string, OnnxAttr> = {
          kernel_shape: intsAttr([num(a, 'kh'), num(a, 'kw')]),
          strides: intsAttr([num(a, 'strideH'), num(a, 'strideW')]),
          pads: intsAttr([num(a, 'padTop'), num(a, 'padLeft'), num(a, 'padBottom'), num(a, 'padRight')]),
          ceil_mode: intAttr(a['ceilMode'] === true ? 1 : 0),
        };
        if (op !== 'max_pool2d') attrs['count_include_pad'] = intAttr(a['exclusive'] === false ? 1 : 0);
        this.emit(op === 'max_pool2d' ? 'MaxPool' : 'AveragePool', [x], y, attrs);
        break;
      }
      case 'global_avg_pool2d':
        this.emit('GlobalAveragePool', [x], y);
        break;
      case 'reshape': {
        const target = [...out.shape];
        // dim 0 is the batch: 0 copies it from the input at run time
        if (inputs[0]!.ndim > 0 && target.length > 0) target[0] = target[0] === inputs[0]!.shape[0] ? 0 : -1;
        this.emit('Reshape', [x, this.intConst(target)], y);
        break;
      }
      case 'transpose':
        this.emit('Transpose', [x], y, { perm: intsAttr(a['perm'] as readonly number[]) });
        break;
      case 'slice': {
        const begin = a['begin'] as readonly number[];
        const src = inputs[0]!;
        const axes: number[] = [];
        const starts: number[] = [];
        const ends: number[] = [];
        for (let d = 0; d < src.ndim; d++) {
          if (begin[d] === 0 && out.shape[d] === src.shape[d]) continue;
          axes.push(d);
          starts.push(begin[d]!);
          ends.push(begin[d]! + out.shape[d]!);
        }
        if (axes.length === 0) this.emit('Identity', [x], y);
        else this.emit('Slice', [x, this.intConst(starts), this.intConst(ends), this.intConst(axes)], y);
        break;
      }
      case 'concat':
        this.emit('Concat', ins, y, { axis: intAttr(num(a, 'axis')) });
        break;
      case 'pad': {
        const p = a['pads'] as readonly number[];
        const nd = inputs[0]!.ndim;
        const before: number[] = [];
        const after: number[] = [];
        for (let d = 0; d < nd; d++) {
          before.push(p[2 * d] ?? 0);
          after.push(p[2 * d + 1] ?? 0);
        }
        this.emit('Pad', [x, this.intConst([...before, ...after]), this.floatConst([num(a, 'value')], [])], y, { mode: { kind: 'string', value: 'constant' } });
        break;
      }
      default: {
        const u = unary[op];
        const b = binary[op];
        if (u !== undefined) this.emit(u, [x], y, op === 'softmax' || op === 'log_softmax' ? { axis: intAttr(-1) } : {});
        else if (b !== undefined) this.emit(b, ins, y);
        else throw new UserError(`ONNX export: op '${op}' has no ONNX mapping yet`);
      }
    }
    this.names.set(out, y);
  }
}

export interface TraceOptions {
  /** [C, H, W] of the traced input */
  imageShape: [number, number, number];
  /** batch size of the traced pass (becomes the symbolic 'N'); default 2 so dim 0 is told apart from size-1 dims */
  batch?: number;
}

/** Runs model (put in eval mode) once on a deterministic input and returns the graph. */
export function traceModel(model: Module, opts: TraceOptions): { graph: OnnxGraph; input: Tensor; output: Tensor } {
  const [c, h, w] = opts.imageShape;
  const n = opts.batch ?? 2;
  const input = new Tensor(Float32Array.from({ length: n * c * h * w }, (_, i) => Math.sin(0.013 * i + 0.5) * 1.5), [n, c, h, w]);
  const paramNames = new Map<Tensor, string>();
  for (const [name, t] of model.stateDict()) paramNames.set(t, name);
  const tracer = new GraphTracer(input, paramNames);
  model.eval();
  // Grad mode on and every parameter requiring grad, so layers take their op-level path (the
  // BN layer's fused inference shortcut bypasses the ops and would not be traced).
  const params = [...paramNames.keys()];
  const saved = params.map((p) => p.requiresGrad);
  let output: Tensor;
  try {
    for (const p of params) p.requiresGrad = true;
    const result = withTracer(tracer, () => enableGrad(() => model.forward(input)));
    if (!(result instanceof Tensor)) throw new UserError('ONNX export: the model forward did not return one tensor');
    output = result;
  } finally {
    params.forEach((p, i) => (p.requiresGrad = saved[i]!));
  }
  const outName = tracer.nameOf(output);
  for (const node of tracer.nodes) {
    node.outputs = node.outputs.map((o) => (o === outName ? 'logits' : o));
    node.inputs = node.inputs.map((o) => (o === outName ? 'logits' : o));
  }
  const graph: OnnxGraph = {
    name: model.constructor.name,
    nodes: tracer.nodes,
    initializers: tracer.initializers,
    inputs: [{ name: 'image', dims: ['N', c, h, w] }],
    outputs: [{ name: 'logits', dims: ['N', ...output.shape.slice(1)] }],
  };
  output.gradNode = null;
  return { graph, input, output };
}
