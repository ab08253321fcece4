// threadPoolCheck(jobs): runs `jobs` back-to-back pool jobs whose task counts alternate between
// small and large (the pattern of a network: a 2-way split, then a many-tile conv), every fourth
// a per-thread job (run_per_thread, one block per pool thread), and counts every task index each
// job executed. Returns { wrong: (job, task) pairs that ran other than exactly once,
// blocksOnWorkers: per-thread blocks that ran off the calling thread }. Tests run it in a child
// process with more threads than cores, where a worker is often preempted between reading one
// job's generation and its task count.
#include <atomic>
#include <memory>
#include <thread>

#include "args.h"
#include "registry.h"
#include "threadpool.h"

namespace imcls {

static Napi::Value ThreadPoolCheck(const Napi::CallbackInfo& info) {
  const int64_t jobs = int_arg(info, 0);
  constexpr int kMaxTasks = 67;
  int64_t wrong = 0;
  std::atomic<int64_t> on_workers{0};
  const std::thread::id caller = std::this_thread::get_id();
  ThreadPool& pool = ThreadPool::instance();
  for (int64_t j = 0; j < jobs; ++j) {
    const bool per_thread = j % 4 == 1 && pool.size() <= kMaxTasks;
    const int tasks = per_thread ? pool.size() : j % 3 == 0 ? kMaxTasks : 2 + j % 5;
    std::unique_ptr<std::atomic<int>[]> ran(new std::atomic<int>[kMaxTasks]);
    for (int t = 0; t < kMaxTasks; ++t) ran[t].store(0);
    auto count = [&](int t) {
      if (t >= 0 && t < kMaxTasks) ran[t].fetch_add(1);
      if (per_thread && std::this_thread::get_id() != caller) on_workers.fetch_add(1);
    };
    if (per_thread) pool.run_per_thread(count);
    else pool.run(tasks, count);
    for (int t = 0; t < kMaxTasks; ++t) wrong += ran[t].load() != (t < tasks ? 1 : 0);
  }
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("wrong", Napi::Number::New(info.Env(), static_cast<double>(wrong)));
  out.Set("blocksOnWorkers", Napi::Number::New(info.Env(), static_cast<double>(on_workers.load())));
  return out;
}
IMCLS_EXPORT("threadPoolCheck", ThreadPoolCheck);

}  // namespace imcls
