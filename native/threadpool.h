// One persistent pool for the whole process, sized to the physical cores (IMCLS_NUM_THREADS
// overrides). Kernels split work with parallel_for; the calling thread takes a share too, so
// a pool of size 1 runs everything inline.
#pragma once

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
  // True on a thread that is currently executing a pool task (kernels use it to skip threading).
  static bool inside_task();
  ~ThreadPool();

 private:
  explicit ThreadPool(int nthreads);
  void worker_loop(int id);

  int nthreads_;
  std::vector<std::thread> workers_;
  std::mutex mu_;               // guards the job fields below
  std::mutex run_mu_;           // one job at a time (workers_threads may call in concurrently)
  std::condition_variable cv_job_, cv_done_;
  const std::function<void(int)>* job_ = nullptr;
  int job_tasks_ = 0;
  int next_task_ = 0;
  int pending_ = 0;
  uint64_t generation_ = 0;
  bool stop_ = false;
};

// Splits [0, n) into contiguous chunks, one per pool thread (at least `grain` items each),
// and calls fn(begin, end) for each chunk.
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

}  // namespace imcls
