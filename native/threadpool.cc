#include "threadpool.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>
#include <string>
#include <utility>

namespace imcls {

// Physical cores, not hardware threads: SMT siblings share the FMA units a GEMM saturates.
static int physical_cores() {
  std::ifstream f("/proc/cpuinfo");
  std::set<std::pair<std::string, std::string>> cores;
  std::string line, phys = "0";
  while (std::getline(f, line)) {
    if (line.rfind("physical id", 0) == 0) phys = line.substr(line.find(':') + 1);
    if (line.rfind("core id", 0) == 0) cores.insert({phys, line.substr(line.find(':') + 1)});
  }
  int hw = static_cast<int>(std::thread::hardware_concurrency());
  int n = cores.empty() ? hw : static_cast<int>(cores.size());
  if (hw > 0) n = std::min(n, hw);
  return std::max(1, n);
}

static int configured_threads() {
  const char* env = std::getenv("IMCLS_NUM_THREADS");
  if (env != nullptr && *env != 0) {
    int n = std::atoi(env);
    if (n >= 1) return std::min(n, 256);
  }
  return physical_cores();
}

// Set while this thread executes tasks of a job: a nested run() then stays inline instead of
// waiting on the pool it is part of (which would deadlock on run_mu_).
static thread_local int tl_task_depth = 0;

bool ThreadPool::inside_task() { return tl_task_depth > 0; }

namespace {
struct TaskScope {
  TaskScope() { ++tl_task_depth; }
  ~TaskScope() { --tl_task_depth; }
};
}  // namespace

ThreadPool& ThreadPool::instance() {
  static ThreadPool pool(configured_threads());
  return pool;
}

ThreadPool::ThreadPool(int nthreads) : nthreads_(nthreads) {
  for (int i = 1; i < nthreads_; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_ = true;
  }
  cv_job_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::worker_loop(int /*id*/) {
  uint64_t seen = 0;
  for (;;) {
    const std::function<void(int)>* job;
    {
      std::unique_lock<std::mutex> lk(mu_);
      cv_job_.wait(lk, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      job = job_;
    }
    TaskScope scope;
    for (;;) {
      int t;
      {
        std::lock_guard<std::mutex> lk(mu_);
        // A late-waking worker must not take tasks of a newer job with the old job's function
        // (the caller may already have finished the old job alone and started the next one).
        if (generation_ != seen || next_task_ >= job_tasks_) break;
        t = next_task_++;
      }
      (*job)(t);
      std::lock_guard<std::mutex> lk(mu_);
      if (--pending_ == 0) cv_done_.notify_all();
    }
  }
}

void ThreadPool::run(int ntasks, const std::function<void(int)>& fn) {
  if (ntasks <= 0) return;
  if (nthreads_ == 1 || ntasks == 1 || inside_task()) {
    for (int t = 0; t < ntasks; ++t) fn(t);
    return;
  }
  std::lock_guard<std::mutex> run_lk(run_mu_);
  {
    std::lock_guard<std::mutex> lk(mu_);
    job_ = &fn;
    job_tasks_ = ntasks;
    next_task_ = 0;
    pending_ = ntasks;
    ++generation_;
  }
  cv_job_.notify_all();
  TaskScope scope;
  for (;;) {
    int t;
    {
      std::lock_guard<std::mutex> lk(mu_);
      if (next_task_ >= job_tasks_) break;
      t = next_task_++;
    }
    fn(t);
    std::lock_guard<std::mutex> lk(mu_);
    if (--pending_ == 0) cv_done_.notify_all();
  }
  std::unique_lock<std::mutex> lk(mu_);
  cv_done_.wait(lk, [&] { return pending_ == 0; });
  job_ = nullptr;
}

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  ThreadPool& pool = ThreadPool::instance();
  int64_t chunks = std::min<int64_t>(pool.size(), std::max<int64_t>(1, n / std::max<int64_t>(1, grain)));
  if (chunks <= 1) {
    fn(0, n);
    return;
  }
  pool.run(static_cast<int>(chunks), [&](int c) {
    int64_t b = n * c / chunks, e = n * (c + 1) / chunks;
    if (b < e) fn(b, e);
  });
}

}  // namespace imcls
