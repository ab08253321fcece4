#include "threadpool.h"

#include <algorithm>
#include <chrono>
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

namespace {

int64_t configured_spin_ns() {
  const char* env = std::getenv("IMCLS_SPIN_US");
  if (env != nullptr && *env != 0) return std::max<int64_t>(0, std::atoll(env)) * 1000;
  return 200 * 1000;
}

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Spins until done() holds or spin_ns pass; true when done() held.
template <class Done>
bool spin_until(int64_t spin_ns, Done done) {
  if (done()) return true;
  if (spin_ns <= 0) return false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(spin_ns);
  for (int i = 1;; ++i) {
    cpu_relax();
    if (done()) return true;
    if ((i & 63) == 0 && std::chrono::steady_clock::now() >= deadline) return false;
  }
}

constexpr uint32_t generation_of(uint64_t state) { return static_cast<uint32_t>(state >> 32); }

// A task counter no task count reaches (claims compare it as an int): the closed generation.
constexpr uint64_t kClosedCounter = 0x7fffffffu;

}  // namespace

ThreadPool::ThreadPool(int nthreads) : nthreads_(nthreads), spin_ns_(configured_spin_ns()) {
  for (int i = 1; i < nthreads_; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_.store(true);
  }
  cv_job_.notify_all();
  for (auto& t : workers_) t.join();
}

bool ThreadPool::claim(uint32_t gen, int tasks, int* task) {
  uint64_t s = state_.load(std::memory_order_acquire);
  for (;;) {
    if (generation_of(s) != gen || static_cast<int>(s & 0xffffffffu) >= tasks) return false;
    if (state_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel)) {
      *task = static_cast<int>(s & 0xffffffffu);
      return true;
    }
  }
}

// The mutex and the notification only when the caller sleeps (seq_cst on both sides: it either
// sees pending_ reach zero before it sleeps, or this thread sees it asleep).
void ThreadPool::finish_task() {
  if (pending_.fetch_sub(1) == 1 && caller_sleeping_.load()) {
    std::lock_guard<std::mutex> lk(mu_);  // the waiter checks pending_ under mu_: no lost wake-up
    cv_done_.notify_all();
  }
}

void ThreadPool::worker_loop(int id) {
  uint32_t seen = 0;
  for (;;) {
    // a closed generation is not news: its job is about to change (see publish)
    auto news = [&] {
      if (stop_.load()) return true;
      const uint64_t s = state_.load();
      return generation_of(s) != seen && (s & 0xffffffffu) != kClosedCounter;
    };
    if (!spin_until(spin_ns_, news)) {
      std::unique_lock<std::mutex> lk(mu_);
      sleeping_workers_.fetch_add(1);
      cv_job_.wait(lk, news);
      sleeping_workers_.fetch_sub(1);
    }
    if (stop_.load()) return;
    seen = generation_of(state_.load(std::memory_order_acquire));
    // Read after the generation: at least this job's values. A newer job changes them only
    // after closing this generation (see run()), and then every claim below fails.
    const std::function<void(int)>* job = job_.load(std::memory_order_acquire);
    const int tasks = job_tasks_.load(std::memory_order_acquire);
    TaskScope scope;
    if (job_per_thread_.load(std::memory_order_acquire)) {
      if (id < tasks && claim_block(seen, id)) {
        (*job)(id);
        finish_task();
      }
      continue;
    }
    int t;
    while (claim(seen, tasks, &t)) {
      (*job)(t);
      finish_task();
    }
  }
}

bool ThreadPool::claim_block(uint32_t gen, int b) {
  const uint64_t bit = uint64_t{1} << b;
  uint64_t s = state_.load(std::memory_order_acquire);
  for (;;) {
    if (generation_of(s) != gen || (s & bit) != 0) return false;
    if (state_.compare_exchange_weak(s, s | bit, std::memory_order_acq_rel)) return true;
  }
}

// Publishes a job. Two generations per job. The first closes the previous job before its
// fields change: a worker that read the previous generation and was preempted before reading
// job_tasks_ could otherwise pair that generation (whose counter still accepts claims below a
// larger count) with this job's count and function, run a task twice and drive pending_ below
// zero, and run() would then wait forever. Under the closed generation no claim succeeds (its
// counter is past every count, and as a block mask every block is taken). Returns the open one.
uint32_t ThreadPool::publish(const std::function<void(int)>& fn, int ntasks, bool per_thread, int pending) {
  const uint32_t closed = generation_of(state_.load()) + 1, gen = closed + 1;
  state_.store(static_cast<uint64_t>(closed) << 32 | kClosedCounter);
  job_.store(&fn, std::memory_order_relaxed);
  job_tasks_.store(ntasks, std::memory_order_relaxed);
  job_per_thread_.store(per_thread, std::memory_order_relaxed);
  pending_.store(pending, std::memory_order_relaxed);
  // seq_cst, against the worker's count of sleepers (see worker_loop): it either sees this
  // generation before it sleeps, or is counted here and woken under mu_
  state_.store(static_cast<uint64_t>(gen) << 32);
  if (sleeping_workers_.load() > 0) {
    { std::lock_guard<std::mutex> lk(mu_); }
    cv_job_.notify_all();
  }
  return gen;
}

void ThreadPool::wait_done() {
  auto done = [&] { return pending_.load() == 0; };
  if (!spin_until(spin_ns_, done)) {
    std::unique_lock<std::mutex> lk(mu_);
    caller_sleeping_.store(true);
    cv_done_.wait(lk, done);
    caller_sleeping_.store(false);
  }
}

void ThreadPool::run(int ntasks, const std::function<void(int)>& fn) {
  if (ntasks <= 0) return;
  if (nthreads_ == 1 || ntasks == 1 || inside_task()) {
    for (int t = 0; t < ntasks; ++t) fn(t);
    return;
  }
  std::lock_guard<std::mutex> run_lk(run_mu_);
  const uint32_t gen = publish(fn, ntasks, false, ntasks);
  {
    TaskScope scope;
    int t;
    while (claim(gen, ntasks, &t)) {
      fn(t);
      finish_task();
    }
  }
  wait_done();
}

void ThreadPool::run_per_thread(const std::function<void(int)>& fn) {
  if (nthreads_ == 1 || inside_task()) {
    for (int b = 0; b < nthreads_; ++b) fn(b);
    return;
  }
  // a mask of blocks in the low 31 bits of the job state (the closed generation's counter takes all)
  if (nthreads_ > 31) return run(nthreads_, fn);
  std::lock_guard<std::mutex> run_lk(run_mu_);
  // block 0 is the caller's alone (a worker claims only its own block): no claim, and only the
  // workers' blocks count as pending
  const uint32_t gen = publish(fn, nthreads_, true, nthreads_ - 1);
  {
    TaskScope scope;
    fn(0);
    // then whatever a late (sleeping, descheduled) thread has not claimed yet
    for (int b = 1; b < nthreads_; ++b)
      if (claim_block(gen, b)) {
        fn(b);
        finish_task();
      }
  }
  wait_done();
}

int parallel_threads() { return ThreadPool::inside_task() ? 1 : ThreadPool::instance().size(); }

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  ThreadPool& pool = ThreadPool::instance();
  int64_t chunks = std::min<int64_t>(pool.size(), std::max<int64_t>(1, n / std::max<int64_t>(1, grain)));
  if (chunks <= 1) {
    fn(0, n);
    return;
  }
  pool.run_per_thread([&](int c) {
    if (c >= chunks) return;
    int64_t b = n * c / chunks, e = n * (c + 1) / chunks;
    if (b < e) fn(b, e);
  });
}

}  // namespace imcls
