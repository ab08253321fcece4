// The public file-format API: safetensors, checkpoints, Paddle Fluid parameters, torchvision/timm key maps.
export { loadSafetensors, saveSafetensors, readSafetensors, inspectSafetensors, encodeSafetensors, loadShardedSafetensors } from './safetensors.js';
export type { SafetensorsContents, SafetensorsHeader, SafetensorsEntry } from './safetensors.js';
export {
  saveCheckpoint, loadCheckpoint, latestCheckpoint, checkpointDir, checkpointProblem, isCompleteCheckpoint,
  MODEL_FILE, OPTIMIZER_FILE, STATE_FILE,
} from './checkpoint.js';
export type { CheckpointState, CheckpointContents, LoadedCheckpoint, SaveCheckpointOptions } from './checkpoint.js';
export {
  loadPaddleParams, readPaddleParams, savePaddleParams, saveCombinedParams, encodeCombinedParams, splitCombinedParams,
  encodePaddleTensor, decodePaddleTensor, listPaddleTar, sortedParamNames, PADDLE_DTYPES,
} from './paddle.js';
export type { PaddleLoadOptions, PaddleLoadResult, PaddleSaveOptions, PaddleDTypeName, PaddleWriteType } from './paddle.js';
export { mapTorchStateDict, torchKeyMap, describeTorchMapping, unsupportedReason, torchMappableModels } from './torch_keymap.js';
export type { TorchSource, KeyMapEntry, MappedTensor, TorchMapOptions } from './torch_keymap.js';
export { writeFileAtomic, writeDirAtomic, removeStaleTemps } from './atomic.js';
export type { TensorData, TensorLike, TensorCollection } from './tensor_data.js';
