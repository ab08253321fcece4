// The native thread pool under a stream of short jobs of alternating sizes, dynamic and
// per-thread: every task of every job must run exactly once, and run() must return. Each check
// runs in a child process (the pool is sized once per process) with a deadline, so a lost
// wake-up or a miscounted job fails the test instead of hanging the suite. Before the closed generation in ThreadPool::run, 100k jobs
// at 2 threads hung here every time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadNativeAddon } from '../src/backend/native/addon.js';

const skip = loadNativeAddon().addon ? false : 'native addon not loaded';
const addonModule = fileURLToPath(new URL('../src/backend/native/addon.js', import.meta.url));

// spin: IMCLS_SPIN_US, the microseconds idle threads spin before they sleep (200 by default; 0
// sends every worker and every waiting caller to sleep, so each job goes through the wake-ups;
// 1 puts them on the edge between spinning and sleeping)
for (const [threads, spin] of [[2, undefined], [3, undefined], [5, undefined], [2, '0'], [3, '1']] as const) {
  test(`thread pool: 200k jobs at ${threads} threads${spin === undefined ? '' : `, spinning ${spin} us`}, each task exactly once`, { skip }, () => {
    const script = `import(${JSON.stringify(addonModule)}).then((m) => {
      const { addon } = m.loadNativeAddon();
      process.stdout.write(JSON.stringify({ threads: addon.info().threads, ...addon.threadPoolCheck(200000) }));
    });`;
    const r = spawnSync(process.execPath, ['-e', script], {
      env: { ...process.env, IMCLS_NUM_THREADS: String(threads), ...(spin === undefined ? {} : { IMCLS_SPIN_US: spin }) },
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(r.signal, null, `child did not finish (signal ${r.signal}): the pool hung`);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { threads: number; wrong: number; blocksOnWorkers: number };
    assert.equal(out.threads, threads);
    assert.equal(out.wrong, 0, 'tasks that ran other than exactly once');
    // 50k per-thread jobs: the workers take their own blocks (all of them on the caller would
    // mean no parallelism at all)
    assert.ok(out.blocksOnWorkers > 0, 'every per-thread block ran on the calling thread');
  });
}
