// `imcls train`: Paddle's train.py loop (PADDLE_REFERENCE §4) on the imcls engine — the seed's
// flags and log lines, with the rough edges of the 2019 code fixed: resume continues the epoch
// counter, checkpoints are atomic, a fine-tuned head of another size is skipped (not a crash),
// Ctrl-C saves at the end of the step, a NaN loss stops with the last good checkpoint kept.
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DataLoader } from '../data/loader.js';
import { readSeedList } from '../data/file_list.js';
import { trainTransform, evalTransform } from '../data/transforms.js';
import { smoothLabels } from '../data/targets.js';
import { checkpointDir, loadCheckpoint, saveCheckpoint } from '../io/checkpoint.js';
import { writeFileAtomic } from '../io/atomic.js';
import { saveSafetensors } from '../io/safetensors.js';
import { createModel, getModelEntry } from '../models/index.js';
import { isMultiHeadClassifier } from '../models/googlenet.js';
import type { Module } from '../nn/module.js';
import { getRngState, manualSeed, setRngState, type RngState } from '../nn/random.js';
import { ExponentialMovingAverage } from '../optim/ema.js';
import { createOptimizer } from '../optim/factory.js';
import { accuracy, add, crossEntropy, scale } from '../tensor/ops/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { UserError } from '../util/errors.js';
import { trainAugmentation } from './train_augment.js';
import { evaluate, type EvalMetrics } from './evaluate.js';
import { renderTrainingPlot } from './plot.js';
import { preprocessMeta, resolvePreprocess } from './preprocess.js';
import { endPassLine, testBatchLine, trainBatchLine, type MetricsRecord } from './train_log.js';
import { resolveTrainArgs, type TrainArgs } from './train_args.js';
import { loadPretrained, META_KEY, readWeights, type WeightsMeta } from './weights.js';

export interface TrainOutput {
  /** Log lines (Paddle's format) — printed by the CLI, or collected by tests. */
  log(line: string): void;
  /** Progress for the current epoch (a bar on a TTY). */
  progress?: { start(total: number, label: string): void; update(value: number, info: string): void; stop(): void };
}

export interface TrainResult {
  model: Module;
  epochs: number;
  steps: number;
  lastCheckpoint: string | null;
  runDir: string;
  plotPath: string;
  metricsPath: string;
  final: EvalMetrics | null;
  finalTrainLoss: number;
  interrupted: boolean;
  seconds: number;
}

export interface TrainControl {
  /** Set to true (e.g. from a SIGINT handler) to stop after the current step with a checkpoint. */
  stopRequested: boolean;
}

const consoleOutput: TrainOutput = { log: (l) => console.log(l) };

function argsRecord(args: TrainArgs): Record<string, unknown> {
  return { ...args };
}

export async function train(given: Partial<TrainArgs>, out: TrainOutput = consoleOutput, control: TrainControl = { stopRequested: false }, explicitFlags?: Iterable<string>): Promise<TrainResult> {
  const { args, explicit } = resolveTrainArgs(given, explicitFlags);
  const t0 = performance.now();
  if (args.checkpoint && args.pretrained_model) throw new UserError('--checkpoint and --pretrained_model cannot be combined (resume or fine-tune, not both)');
  const entry = getModelEntry(args.model); // unknown model: one clear line with suggestions
  const modelName = entry.name;
  const augmentation = trainAugmentation(args);
  if ((args.use_mixup || args.use_cutmix) && isMultiHeadClassifier(entry.create({ classDim: 2, initialize: false }))) {
    throw new UserError(`--${args.use_mixup ? 'use_mixup' : 'use_cutmix'} is not supported with GoogLeNet (as mixup in Paddle)`);
  }

  // Data first: list problems stop the run before anything is built.
  const trainSet = readSeedList(args.data_dir, 'train', { classDim: args.class_dim });
  const valSet = args.validate ? readSeedList(args.data_dir, 'val', { classDim: args.class_dim }) : null;

  const resumed = args.checkpoint ? loadCheckpoint(args.checkpoint) : null;
  if (resumed && resumed.state.model !== undefined && resumed.state.model !== modelName) {
    throw new UserError(`--checkpoint ${args.checkpoint}: it is a checkpoint of ${resumed.state.model}, not ${modelName}`);
  }
  const pretrained = args.pretrained_model ? readWeights(args.pretrained_model) : null;
  let savedMeta: WeightsMeta | null = pretrained?.meta ?? null;
  if (resumed?.state.preprocessing) savedMeta = { preprocessing: resumed.state.preprocessing as NonNullable<WeightsMeta['preprocessing']> };
  const prep = resolvePreprocess(modelName, args, explicit, savedMeta);
  if (prep.inputShape[0] !== entry.config.inputSize[0]) throw new UserError(`--image_shape: ${modelName} takes ${entry.config.inputSize[0]}-channel input, not ${prep.inputShape[0]}`);

  manualSeed(args.random_seed);
  const model = createModel(modelName, { classDim: args.class_dim });
  if (pretrained) {
    const r = loadPretrained(model, pretrained, args.finetune_exclude_pretrained_params);
    out.log(`Loaded ${r.loaded} tensors from ${pretrained.source}`);
    for (const s of r.skippedShape) out.log(`Skipped ${s.name}: shape [${s.got.join(', ')}] in the file, [${s.expected.join(', ')}] in the model`);
    if (r.excluded.length > 0) out.log(`Excluded by --finetune_exclude_pretrained_params: ${r.excluded.join(', ')}`);
    if (r.unexpected.length > 0) out.log(`Ignored ${r.unexpected.length} tensors the model does not have (e.g. ${r.unexpected.slice(0, 3).join(', ')})`);
  }

  const totalImages = args.total_images ?? trainSet.labels.length;
  const created = createOptimizer(model, { ...args, total_images: totalImages, lr_compat: args.lr_compat });
  const opt = created.optimizer;
  const ema = args.use_ema ? new ExponentialMovingAverage(model, { decay: args.ema_decay }) : null;

  let startEpoch = 0;
  let skipBatches = 0;
  if (resumed) {
    model.loadStateDict(resumed.model, { strict: true });
    const optState = new Map([...resumed.optimizer].filter(([k]) => !k.endsWith('_ema_0') && k !== 'scheduled_ema_decay_rate' && k !== '@EMA_STEP_COUNTER@'));
    opt.loadStateDict(optState, { strict: true });
    if (ema) ema.loadStateDict(resumed.optimizer);
    if (resumed.state.rng) setRngState(resumed.state.rng as RngState);
    const inEpoch = typeof resumed.state['batch_in_epoch'] === 'number' ? (resumed.state['batch_in_epoch'] as number) : null;
    if (inEpoch !== null) {
      startEpoch = resumed.state.epoch;
      skipBatches = inEpoch;
    } else startEpoch = resumed.state.epoch + 1;
    out.log(`Resumed from ${resumed.dir}: epoch ${startEpoch}${skipBatches ? `, batch ${skipBatches}` : ''}, step ${opt.stepCount}`);
  }

  const trainLoader = new DataLoader({
    dataset: trainSet,
    transform: trainTransform(prep.pre, { ...augmentation.transform, size: prep.inputShape[1], channels: prep.inputShape[0] }),
    batchSize: args.batch_size,
    shuffle: true,
    dropLast: true,
    seed: args.random_seed,
    workers: args.reader_thread,
    bufferSize: args.reader_buf_size,
    onBadImage: args.on_bad_image,
    mix: augmentation.mix,
  });
  const valLoader = valSet
    ? new DataLoader({
      dataset: valSet,
      transform: evalTransform(prep.pre, { size: prep.inputShape[1], channels: prep.inputShape[0] }),
      batchSize: args.test_batch_size,
      workers: args.reader_thread,
      bufferSize: args.reader_buf_size,
      onBadImage: args.on_bad_image,
    })
    : null;

  const runDir = resolve(args.model_save_dir, modelName);
  mkdirSync(runDir, { recursive: true });
  const metricsPath = join(runDir, 'metrics.jsonl');
  const plotPath = join(runDir, 'training.html');
  if (!resumed) writeFileSync(metricsPath, '');
  const records: MetricsRecord[] = [];
  const record = (r: MetricsRecord): void => {
    records.push(r);
    appendFileSync(metricsPath, JSON.stringify(r) + '\n');
  };
  const meta = preprocessMeta(prep);
  let lastCheckpoint: string | null = null;
  const save = (epoch: number, batchInEpoch: number | null): string => {
    const dir = checkpointDir(args.model_save_dir, modelName, epoch);
    const optimizerState = new Map(opt.stateDict());
    if (ema) for (const [k, v] of ema.stateDict()) optimizerState.set(k, v);
    saveCheckpoint(dir, {
      model: model.stateDict(),
      optimizer: optimizerState,
      state: {
        model: modelName,
        epoch,
        step: opt.stepCount,
        lr: { schedule: created.strategy, position: opt.stepCount, value: opt.currentLr() },
        rng: getRngState(),
        args: argsRecord(args),
        preprocessing: meta,
        ...(trainSet.classNames ? { labels: [...trainSet.classNames] } : {}),
        ...(batchInEpoch !== null ? { batch_in_epoch: batchInEpoch } : {}),
      },
    });
    lastCheckpoint = dir;
    return dir;
  };

  const k5 = Math.min(5, args.class_dim);
  const multiHead = isMultiHeadClassifier(model);
  let interrupted = false;
  let finalEval: EvalMetrics | null = null;
  let finalTrainLoss = NaN;
  let epoch = startEpoch;
  try {
    for (; epoch < args.num_epochs && !interrupted; epoch++) {
      model.train();
      let lossSum = 0, acc1Sum = 0, acc5Sum = 0, batches = 0;
      const nb = args.max_iter > 0 ? Math.min(args.max_iter, trainLoader.numBatches) : trainLoader.numBatches;
      out.progress?.start(nb, `epoch ${epoch}`);
      let tb = performance.now();
      for await (const batch of trainLoader.epoch(epoch)) {
        if (batch.index < skipBatches) {
          batch.images.free();
          continue;
        }
        if (args.max_iter > 0 && batch.index >= args.max_iter) {
          batch.images.free();
          break;
        }
        const lr = opt.currentLr();
        const { loss, logits } = forwardLoss(model, multiHead, batch.images, batch.labels, batch.labelsB, batch.lam, args);
        const lossValue = loss.item();
        if (!Number.isFinite(lossValue)) {
          throw new UserError(`loss is ${lossValue} at epoch ${epoch}, batch ${batch.index} (step ${opt.stepCount}); stopping. ` +
            `${lastCheckpoint ? `The last good checkpoint is ${lastCheckpoint}.` : 'No checkpoint was written yet.'} Try a lower --lr.`);
        }
        let a1 = NaN, a5 = NaN;
        if (batch.labelsB === null) {
          a1 = accuracy(logits, batch.labels, 1);
          a5 = accuracy(logits, batch.labels, k5);
        }
        loss.backward();
        logits.free();
        opt.step();
        opt.zeroGrad();
        ema?.update(opt.stepCount - 1);
        batch.images.free();
        lossSum += lossValue;
        acc1Sum += a1;
        acc5Sum += a5;
        batches++;
        const now = performance.now();
        const elapse = (now - tb) / 1000;
        tb = now;
        if (batch.index % args.print_step === 0) {
          const m = batch.labelsB === null ? { loss: lossValue, acc1: a1, acc5: a5, lr, elapse, k5 } : { loss: lossValue, lr, elapse };
          out.log(trainBatchLine(epoch, batch.index, m));
          record({ kind: 'train_batch', epoch, step: opt.stepCount, time: (now - t0) / 1000, loss: lossValue, acc1: batch.labelsB === null ? a1 : null, acc5: batch.labelsB === null ? a5 : null, lr, images_per_sec: batch.labels.size / elapse });
        }
        out.progress?.update(batch.index + 1, `loss ${lossValue.toFixed(4)} lr ${lr.toPrecision(3)}`);
        if (control.stopRequested) {
          interrupted = true;
          const dir = save(epoch, batch.index + 1);
          out.progress?.stop();
          out.log(`Interrupted: saved ${dir} (resume with --checkpoint ${dir})`);
          break;
        }
      }
      skipBatches = 0;
      out.progress?.stop();
      if (interrupted) break;
      if (trainLoader.skipped.count > 0) out.log(`Skipped ${trainLoader.skipped.count} unreadable images so far (e.g. ${trainLoader.skipped.examples[0]})`);
      const trainLoss = lossSum / Math.max(1, batches);
      finalTrainLoss = trainLoss;
      let test: EvalMetrics | null = null;
      let emaTest: EvalMetrics | null = null;
      if (valLoader) {
        const onBatch = (b: number, r: { loss: number; acc1: number; acc5: number }, el: number): void => {
          if (b % args.print_step === 0) out.log(testBatchLine(epoch, b, { ...r, elapse: el, k5 }));
        };
        if (ema) {
          emaTest = await ema.applyAsync(() => evaluate(model, valLoader, { onBatch }));
          out.log(`[End pass ${epoch}] EMA\ttest_loss ${emaTest.loss.toFixed(5)}, test_acc1 ${emaTest.acc1.toFixed(5)}, test_acc5 ${emaTest.acc5.toFixed(5)}`);
        }
        test = await evaluate(model, valLoader, { onBatch });
        finalEval = test;
      }
      const mixup = augmentation.mix !== null;
      out.log(endPassLine({
        pass: epoch, trainLoss,
        trainAcc1: mixup ? null : acc1Sum / Math.max(1, batches), trainAcc5: mixup ? null : acc5Sum / Math.max(1, batches),
        testLoss: test?.loss ?? null, testAcc1: test?.acc1 ?? null, testAcc5: test?.acc5 ?? null,
      }));
      record({
        kind: 'epoch', epoch, step: opt.stepCount, time: (performance.now() - t0) / 1000, loss: trainLoss,
        acc1: mixup ? null : acc1Sum / Math.max(1, batches), acc5: mixup ? null : acc5Sum / Math.max(1, batches),
        lr: opt.lastLr, test_loss: test?.loss ?? null, test_acc1: test?.acc1 ?? null, test_acc5: test?.acc5 ?? null,
        ema_test_acc1: emaTest?.acc1 ?? null,
      });
      writeFileAtomic(plotPath, renderTrainingPlot(`${modelName} on ${args.data_dir}`, records));
      if (epoch % args.save_step === 0 || epoch === args.num_epochs - 1) save(epoch, null);
    }
  } finally {
    await trainLoader.close();
    await valLoader?.close();
  }
  if (args.save_param && !interrupted) {
    const metaJson: WeightsMeta = { model: modelName, class_dim: args.class_dim, preprocessing: meta, ...(trainSet.classNames ? { labels: [...trainSet.classNames] } : {}) };
    saveSafetensors(args.save_param, model.stateDict(), { [META_KEY]: JSON.stringify(metaJson) });
    out.log(`Saved weights to ${args.save_param}`);
  }
  return {
    model, epochs: epoch - startEpoch, steps: opt.stepCount, lastCheckpoint, runDir, plotPath, metricsPath,
    final: finalEval, finalTrainLoss, interrupted, seconds: (performance.now() - t0) / 1000,
  };
}

/** The training loss of one batch (Paddle's _basic_model / _mixup_model / _googlenet_model). */
function forwardLoss(model: Module, multiHead: boolean, images: Tensor, labels: Tensor, labelsB: Tensor | null, lam: number, args: TrainArgs): { loss: Tensor; logits: Tensor } {
  const ce = (logits: Tensor, y: Tensor): Tensor => {
    if (!args.use_label_smoothing || multiHead) return crossEntropy(logits, y);
    const soft = smoothLabels(y.indices, logits.shape[1]!, args.label_smoothing_epsilon);
    return crossEntropy(logits, soft);
  };
  if (multiHead && isMultiHeadClassifier(model)) {
    const heads = model.forwardHeads(images);
    let loss = ce(heads.logits, labels);
    heads.aux.forEach((a, i) => {
      loss = add(loss, scale(ce(a, labels), model.auxLossWeights[i] ?? 0.3));
    });
    heads.logits.keep();
    return { loss, logits: heads.logits };
  }
  const logits = (model.forward(images) as Tensor).keep();
  if (labelsB !== null) {
    const loss = add(scale(ce(logits, labels), lam), scale(ce(logits, labelsB), 1 - lam));
    return { loss, logits };
  }
  return { loss: ce(logits, labels), logits };
}
