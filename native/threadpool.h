// One persistent pool for the whole process, sized to the physical cores (IMCLS_NUM_THREADS
// overrides). Kernels split work with parallel_for; the calling thread takes a share too, so
// a pool of size 1 runs everything inline.
//
// Idle workers spin for a while (IMCLS_SPIN_US, default 200 us) before they sleep on the
// condition variable: a network is a chain of short jobs with a little JS between them, and
// waking a sleeping thread (futex, and on a VM an IPI to a halted vCPU) took tens of
// microseconds per job, a tenth of a ResNet50 batch-1 forward.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace imcls {

class ThreadPool {
 public:
  static ThreadPool& instance();
  int size() const { return nthreads_; }
  // Calls fn(task_index) for task_index in [0, ntasks), spread over the pool; returns when all are done.
  // Called from inside a task (nested parallelism) it runs the tasks inline on the calling thread.
  void run(int ntasks, const std::function<void(int)>& fn);
  // Calls fn(block) for block in [0, size()), block i on pool thread i (the caller is thread 0)
  // whenever that thread comes for it in time; the caller runs any block still unclaimed once
  // its own is done. Consecutive layers that split their pixels the same way then find their
  // input in the cache of the core that wrote it, instead of half of it in the other core's.
  void run_per_thread(const std::function<void(int)>& fn);
  // True on a thread that is currently executing a pool task (kernels use it to skip threading).
  static bool inside_task();
  ~ThreadPool();

 private:
  explicit ThreadPool(int nthreads);
  void worker_loop(int id);
  // Claims the next task of job generation `gen`; false when that job has none left (or a
  // newer job replaced it).
  bool claim(uint32_t gen, int tasks, int* task);
  // Claims block `b` of per-thread job generation `gen` (the low bits are then a mask of taken blocks).
  bool claim_block(uint32_t gen, int b);
  // pending: the tasks whose finish_task() the caller's wait_done() waits for.
  uint32_t publish(const std::function<void(int)>& fn, int ntasks, bool per_thread, int pending);
  void wait_done();
  void finish_task();

  int nthreads_;
  int64_t spin_ns_;
  std::vector<std::thread> workers_;
  std::mutex mu_;      // sleeping and waking only (condition variables)
  std::mutex run_mu_;  // one job at a time (worker_threads may call in concurrently)
  std::condition_variable cv_job_, cv_done_;
  // Each field the threads hand between them on its own cache line, written once a job: a job
  // is a handful of line transfers between cores, each costly between a VM's vCPUs, and a
  // spinning worker polling the line the caller was still writing the job into added more (a
  // 2-thread job around a tiny conv: 3.9-4.8 -> 2.6-3.4 us, one thread 0.9, with the uncontested
  // block 0 and the mutex skipped when nobody sleeps).
  // The job: generation in the high 32 bits, next unclaimed task in the low 32, so a claim
  // (one compare-and-swap) can never take a task of a newer job for an older job's function.
  alignas(64) std::atomic<uint64_t> state_{0};
  std::atomic<bool> stop_{false};
  alignas(64) std::atomic<const std::function<void(int)>*> job_{nullptr};
  std::atomic<int> job_tasks_{0};
  std::atomic<bool> job_per_thread_{false};
  alignas(64) std::atomic<int> pending_{0};
  // Threads asleep on cv_job_, and whether the caller sleeps on cv_done_: with nobody asleep
  // (the usual case, threads spin between a network's jobs) no one takes mu_.
  alignas(64) std::atomic<int> sleeping_workers_{0};
  std::atomic<bool> caller_sleeping_{false};
};

// Splits [0, n) into contiguous chunks, one per pool thread (at least `grain` items each),
// and calls fn(begin, end) for each chunk, chunk i on pool thread i where it can
// (ThreadPool::run_per_thread): the same n split the same way lands on the same cores.
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

// The threads a parallel_for called here shares its work among: the pool's size, or 1 inside a
// pool task (where it runs inline).
int parallel_threads();

}  // namespace imcls
