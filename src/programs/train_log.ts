// Paddle's log lines (PADDLE_REFERENCE §4.3), floats as %.5f, so scripts that grep Paddle's
// output keep working; plus the metrics.jsonl record written beside the checkpoints.

export const f5 = (x: number): string => x.toFixed(5);

export function trainBatchLine(pass: number, batch: number, m: { loss: number; acc1?: number; acc5?: number; lr: number; elapse: number; k5?: number }): string {
  const accs = m.acc1 === undefined ? '' : `, acc1 ${f5(m.acc1)}, acc${m.k5 ?? 5} ${f5(m.acc5 ?? 0)}`;
  return `[Pass ${pass}, train batch ${batch}] \tloss ${f5(m.loss)}${accs}, lr ${f5(m.lr)}, elapse ${m.elapse.toFixed(4)} sec`;
}

export function testBatchLine(pass: number, batch: number, m: { loss: number; acc1: number; acc5: number; elapse: number; k5?: number }): string {
  return `[Pass ${pass}, test  batch ${batch}] \tloss ${f5(m.loss)}, acc1 ${f5(m.acc1)}, acc${m.k5 ?? 5} ${f5(m.acc5)}, elapse ${m.elapse.toFixed(4)} sec`;
}

export interface EpochSummary {
  pass: number;
  trainLoss: number;
  trainAcc1: number | null; // null with mixup (Paddle logs no train accuracy then)
  trainAcc5: number | null;
  testLoss: number | null;
  testAcc1: number | null;
  testAcc5: number | null;
}

export function endPassLine(s: EpochSummary): string {
  const test = s.testLoss === null ? '' : `test_loss ${f5(s.testLoss)}, test_acc1 ${f5(s.testAcc1 ?? 0)}, test_acc5 ${f5(s.testAcc5 ?? 0)}`;
  if (s.trainAcc1 === null) return `[End pass ${s.pass}]\ttrain_loss ${f5(s.trainLoss)}${test ? `, ${test}` : ''}`;
  return `[End pass ${s.pass}]\ttrain_loss ${f5(s.trainLoss)}, train_acc1 ${f5(s.trainAcc1)}, train_acc5 ${f5(s.trainAcc5 ?? 0)}${test ? `,${test}` : ''}`;
}

/** One line of metrics.jsonl. */
export interface MetricsRecord {
  kind: 'train_batch' | 'epoch';
  epoch: number;
  step: number;
  time: number;
  loss?: number;
  acc1?: number | null;
  acc5?: number | null;
  lr?: number;
  test_loss?: number | null;
  test_acc1?: number | null;
  test_acc5?: number | null;
  ema_test_acc1?: number | null;
  images_per_sec?: number;
}
