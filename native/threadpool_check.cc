// threadPoolCheck(jobs): runs `jobs` back-to-back pool jobs whose task counts alternate between
// small and large (the pattern of a network: a 2-way split, then a many-tile conv) and counts
// every task index each job executed. Returns how many (job, task) pairs ran other than exactly
// once. Tests run it in a child process with more threads than cores, where a worker is often
// preempted between reading one job's generation and its task count.
#include <atomic>
#include <memory>

#include "args.h"
#include "registry.h"
#include "threadpool.h"

namespace imcls {

static Napi::Value ThreadPoolCheck(const Napi::CallbackInfo& info) {
  const int64_t jobs = int_arg(info, 0);
  constexpr int kMaxTasks = 67;
  int64_t wrong = 0;
  for (int64_t j = 0; j < jobs; ++j) {
    const int tasks = j % 3 == 0 ? kMaxTasks : 2 + j % 5;
    std::unique_ptr<std::atomic<int>[]> ran(new std::atomic<int>[kMaxTasks]);
    for (int t = 0; t < kMaxTasks; ++t) ran[t].store(0);
    ThreadPool::instance().run(tasks, [&](int t) {
      if (t >= 0 && t < kMaxTasks) ran[t].fetch_add(1);
    });
    for (int t = 0; t < kMaxTasks; ++t) wrong += ran[t].load() != (t < tasks ? 1 : 0);
  }
  return Napi::Number::New(info.Env(), static_cast<double>(wrong));
}
IMCLS_EXPORT("threadPoolCheck", ThreadPoolCheck);

}  // namespace imcls
