// Which parameters weight decay skips when --l2_exclude_bn_bias is set. Paddle's L2Decay applies to
// every parameter with a gradient (BN scale/offset and biases included); excluding them is the
// common modern choice. Roles come from the owning layer, not from name patterns, since BN naming
// differs by model family.
import { BatchNorm2d } from '../nn/batchnorm.js';
import { Conv2d } from '../nn/conv.js';
import { Linear } from '../nn/linear.js';
import type { AnyModule } from '../nn/module.js';
import type { Parameter } from '../nn/parameter.js';

/** A predicate for excludeFromWeightDecay: BN scale/offset and every Conv2d/Linear bias of model. */
export function excludeBnAndBias(model: AnyModule): (name: string, param: Parameter) => boolean {
  const excluded = new Set<Parameter>();
  for (const m of model.modules()) {
    if (m instanceof BatchNorm2d) {
      excluded.add(m.scale);
      excluded.add(m.offset);
    } else if ((m instanceof Conv2d || m instanceof Linear) && m.bias !== null) {
      excluded.add(m.bias);
    }
  }
  return (_name, p) => excluded.has(p);
}

