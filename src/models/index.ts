// The model zoo: importing this module registers every family (each family file calls registerModel for its
// variants), then the aliases, then the precomputed parameter/MAC table used by listings.
// Families owned by the model-zoo part A:
import './resnet.js';
import './resnet_vc.js';
import './resnet_vd.js';
import './resnext.js';
import './se_resnext.js';
import './densenet.js';
import './darknet.js';
import './resnext101_wsl.js';
// Families owned by the model-zoo part B: add one `import './<family>.js';` line per family file here.
import './alexnet.js';
import './squeezenet.js';
import './vgg.js';
import './mobilenet_v1.js';
import './mobilenet_v2.js';
import './shufflenet_v2.js';
import './googlenet.js';
import './inception_v4.js';
import './xception.js';
import './aliases.js';
import { setModelStatsTable } from './registry.js';
import { MODEL_STATS } from './model_stats.js';

setModelStatsTable(MODEL_STATS);

export {
  createModel,
  listModels,
  listAliases,
  modelInfo,
  registerModel,
  addAlias,
  getModelEntry,
  hasModel,
  computeModelStats,
  IMAGENET_MEAN,
  IMAGENET_STD,
} from './registry.js';
export type { ModelEntry, ModelRegistration, ModelOptions, ModelConfig, ModelInfo } from './registry.js';
export { countMacs } from './macs.js';
