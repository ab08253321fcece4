import { test } from 'node:test';
import assert from 'node:assert/strict';
import { endPassLine, testBatchLine, trainBatchLine } from '../src/programs/train_log.js';
import { renderTrainingPlot } from '../src/programs/plot.js';

test("Paddle's log line formats", () => {
  assert.equal(trainBatchLine(0, 10, { loss: 2.302585, acc1: 0.125, acc5: 0.5, lr: 0.1, elapse: 0.12345 }),
    '[Pass 0, train batch 10] \tloss 2.30259, acc1 0.12500, acc5 0.50000, lr 0.10000, elapse 0.1235 sec');
  assert.equal(trainBatchLine(1, 0, { loss: 1, lr: 0.01, elapse: 1 }), '[Pass 1, train batch 0] \tloss 1.00000, lr 0.01000, elapse 1.0000 sec');
  assert.equal(testBatchLine(2, 3, { loss: 0.5, acc1: 0.75, acc5: 1, elapse: 0.5 }),
    '[Pass 2, test  batch 3] \tloss 0.50000, acc1 0.75000, acc5 1.00000, elapse 0.5000 sec');
  assert.equal(endPassLine({ pass: 0, trainLoss: 1, trainAcc1: 0.5, trainAcc5: 0.9, testLoss: 0.8, testAcc1: 0.6, testAcc5: 0.95 }),
    '[End pass 0]\ttrain_loss 1.00000, train_acc1 0.50000, train_acc5 0.90000,test_loss 0.80000, test_acc1 0.60000, test_acc5 0.95000');
  assert.equal(endPassLine({ pass: 3, trainLoss: 1, trainAcc1: null, trainAcc5: null, testLoss: 0.8, testAcc1: 0.6, testAcc5: 0.95 }),
    '[End pass 3]\ttrain_loss 1.00000, test_loss 0.80000, test_acc1 0.60000, test_acc5 0.95000');
});

test('plot draws one path per non-empty series and reports the last epoch', () => {
  const html = renderTrainingPlot('run', [
    { kind: 'train_batch', epoch: 0, step: 0, time: 0, loss: 2.3, lr: 0.1 },
    { kind: 'train_batch', epoch: 0, step: 10, time: 1, loss: 1.2, lr: 0.1 },
    { kind: 'epoch', epoch: 0, step: 10, time: 1, loss: 1.5, acc1: 0.5, acc5: 0.9, test_loss: 1.1, test_acc1: 0.625, test_acc5: 0.97 },
  ]);
  assert.equal((html.match(/<path /g) ?? []).length, 7);
  assert.match(html, /validation top-1 62\.5%/);
});
