#ifndef MOIR_RUNTIME_THREAD_POOL_HPP
#define MOIR_RUNTIME_THREAD_POOL_HPP

// moir::runtime::thread_pool: a fixed set of worker threads for the data parallelism inside one
// plan step (output channels of a convolution, columns of a GEMM, rows of a MatMul). One
// parallel_for at a time; the calling thread takes part as worker 0, so a pool of N threads starts
// N - 1 std::threads, and a pool of 1 starts none and runs everything inline.
//
// Waiting: a worker that finished its chunks, and the caller waiting for the workers, spin for a
// short while (thread_pool::spin, 200 us by default) on an atomic counter before they sleep on a
// condition variable. A plan runs about a hundred short parallel_fors back to back; waking a
// sleeping thread costs tens of microseconds (more on a virtual machine, whose idle vCPU the host
// must schedule again), which is what kept PaddleOCR det's two-thread speed-up near 1.4x. After its
// first thread_pool::spin_hot (50 us) the spin yields now and then, so a pool with more threads than
// free cores still lets the others run; not before: on a busy host a yield hands the core to another
// process until the next scheduler tick (milliseconds), so yielding at once while a worker finishes
// its chunk, or while the caller makes the next step's job, made a plan at two threads slower than
// at one whenever the host had other work.
//
// Pinning (Linux; thread_pool(threads, true), what a plan does unless plan_options::pin_threads is
// false): worker w is bound to the w-th CPU the constructing thread may run on, and the caller, for
// as long as a caller_pin lives (a plan's run()), to the first, so that the scheduler cannot put two
// workers on one CPU. Unpinned, this host's kernel (a Firecracker VM, 2 vCPUs) kept the caller and the
// worker on the same vCPU for thousands of parallel_fors in a row whenever other processes were
// runnable: the worker then spun on the caller's core and took none of the chunks of a 5 to 20 us
// region. OpenVINO's CPU plugin (enable_cpu_pinning) and onnxruntime (its default intra-op affinity)
// pin the same way. Only a pool with exactly as many threads as the process may use CPUs pins: a
// smaller pool leaves the other CPUs to other pools and processes, which would otherwise all be
// bound to the same first CPUs.

#include <moir/core/denormals.hpp>
#include <moir/core/errors.hpp>

#include <algorithm>           // fill, min
#include <atomic>              // atomic
#include <chrono>              // steady_clock, microseconds
#include <condition_variable>  // condition_variable
#include <cstddef>             // size_t
#include <exception>           // exception_ptr, current_exception, rethrow_exception
#include <mutex>               // mutex, unique_lock
#include <string>              // to_string
#include <thread>              // thread, hardware_concurrency
#include <type_traits>         // remove_reference_t
#include <vector>              // vector

#if defined(__linux__)
#include <pthread.h>  // pthread_self, pthread_getaffinity_np, pthread_setaffinity_np
#include <sched.h>    // cpu_set_t, CPU_SET, CPU_ISSET, CPU_ZERO, sched_getaffinity
#endif

namespace moir::runtime {

/// The default thread count: std::thread::hardware_concurrency(), at least 1.
inline std::size_t default_threads() {
    const unsigned n = std::thread::hardware_concurrency();
    return n ? n : 1;
}

/// The most threads one pool runs (the caller included): more is a mistake (a typo'd -t), not a
/// speed-up, and starting tens of thousands of threads exhausts the process.
inline constexpr std::size_t max_threads = 256;

/// A pool of `size()` workers (the caller of parallel_for is worker 0).
/// invariant: size() >= 1; size() - 1 std::threads live as long as the pool.
class thread_pool {
public:

    /// How long a waiting thread spins before it sleeps.
    static constexpr std::chrono::microseconds spin{200};
    /// How long it spins before it starts yielding its core now and then.
    static constexpr std::chrono::microseconds spin_hot{50};

    /// threads = 0 means default_threads() (at most max_threads). pin: bind each worker to its own
    /// CPU (see the file comment) when the constructing thread may run on exactly size() CPUs.
    /// flush_denormals: the workers (not the caller) flush denormals to zero (core/denormals.hpp).
    /// ensures: throws moir::error when threads > max_threads.
    explicit thread_pool(std::size_t threads = 0, bool pin = false, bool flush_denormals = false)
        : size_(threads ? checked(threads) : std::min(default_threads(), max_threads)), flush_denormals_(flush_denormals) {
        if (pin && size_ > 1) cpus_ = usable_cpus(size_);
        // a pinned thread has its CPU to itself among the pool's: it need not yield to the others
        if (!cpus_.empty()) hot_ = spin_;
        for (std::size_t w = 1; w < size_; ++w) workers_.emplace_back([this, w] {
            pin_to(cpus_, w);
            if (flush_denormals_) denormals::flush_on_this_thread();
            loop(w);
        });
    }
    thread_pool(const thread_pool&) = delete;
    thread_pool& operator=(const thread_pool&) = delete;
    ~thread_pool() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stop_ = true;
            stop_flag_.store(true, std::memory_order_relaxed);
        }
        wake_.notify_all();
        for (auto& t : workers_) t.join();
    }

    std::size_t size() const { return size_; }
    /// Whether the workers are bound to CPUs of their own (and caller_pin binds the caller).
    bool pinned() const { return !cpus_.empty(); }
    /// Whether the workers flush denormals to zero (the caller of parallel_for does as it was set).
    bool flushes_denormals() const { return flush_denormals_; }
    /// How many parallel_fors so far handed out more than one chunk (their work was shared).
    std::size_t splits() const { return splits_; }

    /// While it lives, binds the calling thread to the CPU of worker 0 of a pinned pool (nothing
    /// for an unpinned one); restores the thread's CPU set when it ends. Costs three system calls
    /// (about 7 us on this VM, a migration included): one per plan run, not per parallel_for, and
    /// not even that for a plan whose steps share no work (basic_plan::run watches splits()).
    class caller_pin {
    public:
        explicit caller_pin(const thread_pool& pool) {
#if defined(__linux__)
            if (!pool.pinned()) return;
            if (pthread_getaffinity_np(pthread_self(), sizeof saved_, &saved_) != 0) return;
            active_ = pin_to(pool.cpus_, 0);
#else
            (void)pool;
#endif
        }
        caller_pin(const caller_pin&) = delete;
        caller_pin& operator=(const caller_pin&) = delete;
        ~caller_pin() {
#if defined(__linux__)
            if (active_) pthread_setaffinity_np(pthread_self(), sizeof saved_, &saved_);
#endif
        }

    private:
#if defined(__linux__)
        cpu_set_t saved_;
#endif
        bool active_ = false;
    };

    /// `threads` when it is at most max_threads. ensures: else throws moir::error saying the limit.
    static std::size_t checked(std::size_t threads) {
        MOIR_CHECK(threads <= max_threads, error,
                   std::to_string(threads) + " threads asked for, more than moir's limit of " +
                       std::to_string(max_threads) + " (this machine has " + std::to_string(default_threads()) +
                       " hardware threads)");
        return threads;
    }

    /// Runs fn over [begin, end) cut into chunks of at least `grain` items (at most one chunk per
    /// worker), each chunk on one worker: chunk c on worker c unless that worker is late to start it
    /// (grab); returns when all are done.
    /// requires: no other parallel_for of this pool in progress (steps run one at a time), fn safe to
    /// call concurrently on disjoint ranges with distinct `worker` values.
    /// ensures: every index in [begin, end) is covered exactly once; the first exception a chunk
    /// throws is rethrown here after all chunks finished.
    /// fn(begin, end, worker) is called for each chunk, worker < size(). Allocates nothing.
    template <class F>
    void parallel_for(std::size_t begin, std::size_t end, std::size_t grain, F&& fn) {
        if (end <= begin) return;
        const std::size_t n = end - begin;
        if (grain == 0) grain = 1;
        std::size_t chunks = std::min(size_, (n + grain - 1) / grain);
        if (chunks <= 1) {
            fn(begin, end, 0);
            return;
        }
        const std::size_t per = (n + chunks - 1) / chunks;
        chunks = (n + per - 1) / per;
        ++splits_;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            job_ = job{&call<std::remove_reference_t<F>>, const_cast<void*>(static_cast<const void*>(&fn)), begin, end,
                       per, chunks};
            taken_ = 0;
            std::fill(claimed_.begin(), claimed_.begin() + static_cast<std::ptrdiff_t>(chunks), 0);
            pending_.store(chunks, std::memory_order_relaxed);
            error_ = nullptr;
            generation_.fetch_add(1, std::memory_order_release);
        }
        wake_.notify_all();
        job j;
        std::size_t c = 0;
        while (grab(j, c, 0)) run_chunk(j, c, 0);  // the caller works too
        spin_until([&] { return pending_.load(std::memory_order_acquire) == 0; });
        std::unique_lock<std::mutex> lock(mutex_);
        done_.wait(lock, [&] { return pending_.load(std::memory_order_relaxed) == 0; });
        job_ = job{};
        if (error_) std::rethrow_exception(error_);
    }

private:
    /// The CPUs the calling thread may run on when they are exactly n; else empty (or with no affinity API).
    static std::vector<int> usable_cpus(std::size_t n) {
        std::vector<int> cpus;
#if defined(__linux__)
        cpu_set_t set;
        CPU_ZERO(&set);
        if (sched_getaffinity(0, sizeof set, &set) != 0) return cpus;
        for (int c = 0; c < CPU_SETSIZE; ++c)
            if (CPU_ISSET(c, &set)) cpus.push_back(c);
#endif
        if (cpus.size() != n) cpus.clear();
        return cpus;
    }
    /// Binds the calling thread to cpus[w]. ensures: false when cpus is empty or the call failed.
    static bool pin_to(const std::vector<int>& cpus, std::size_t w) {
#if defined(__linux__)
        if (w >= cpus.size()) return false;
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpus[w], &set);
        return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
#else
        (void)cpus, (void)w;
        return false;
#endif
    }

    template <class F>
    static void call(void* f, std::size_t b, std::size_t e, std::size_t w) {
        (*static_cast<F*>(f))(b, e, w);
    }
    struct job {
        void (*fn)(void*, std::size_t, std::size_t, std::size_t) = nullptr;
        void* ctx = nullptr;
        std::size_t begin = 0, end = 0, per = 1, chunks = 0;
    };

    /// Takes a chunk of the current job for `worker`: chunk `worker` when no one has taken it yet (so
    /// that a step's rows, columns or channels land on the same worker, and so on the same core and
    /// its caches, step after step), else the first chunk no one has taken (a worker whose own chunk
    /// is done or absent helps one that has not started its own).
    /// ensures: false when every chunk is taken.
    bool grab(job& j, std::size_t& c, std::size_t worker) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!job_.fn || taken_ >= job_.chunks) return false;
        if (worker < job_.chunks && !claimed_[worker]) {
            c = worker;
        } else {
            c = 0;
            while (claimed_[c]) ++c;
        }
        claimed_[c] = 1;
        ++taken_;
        j = job_;
        return true;
    }

    void run_chunk(const job& j, std::size_t c, std::size_t worker) {
        const std::size_t b = j.begin + c * j.per;
        const std::size_t e = std::min(j.end, b + j.per);
        std::exception_ptr err;
        try {
            j.fn(j.ctx, b, e, worker);
        } catch (...) {
            err = std::current_exception();
        }
        std::lock_guard<std::mutex> lock(mutex_);
        if (err && !error_) error_ = err;
        if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) done_.notify_all();
    }

    /// Spins until done() or `spin` has passed, yielding now and then after `spin_hot`.
    /// ensures: done() or the time is up.
    template <class Done>
    void spin_until(Done done) const {
        const auto start = std::chrono::steady_clock::now();
        const auto hot = start + hot_, until = start + spin_;
        for (unsigned i = 1; !done(); ++i) {
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();
#endif
            if (i % 64 == 0) {
                const auto now = std::chrono::steady_clock::now();
                if (now > until) return;
                // a thread that has work and no core (more threads than cores) runs
                if (now > hot) std::this_thread::yield();
            }
        }
    }

    void loop(std::size_t worker) {
        std::size_t seen = 0;
        for (;;) {
            spin_until([&] {
                return stop_flag_.load(std::memory_order_relaxed) ||
                       generation_.load(std::memory_order_acquire) != seen;
            });
            {
                std::unique_lock<std::mutex> lock(mutex_);
                wake_.wait(lock, [&] { return stop_ || generation_.load(std::memory_order_relaxed) != seen; });
                if (stop_) return;
                seen = generation_.load(std::memory_order_relaxed);
            }
            job j;
            std::size_t c = 0;
            while (grab(j, c, worker)) run_chunk(j, c, worker);
        }
    }

    std::size_t size_;
    bool flush_denormals_;  // see flushes_denormals()
    std::vector<int> cpus_;  // worker w's CPU (the caller's: cpus_[0]); empty: not pinned
    std::chrono::microseconds spin_ = spin, hot_ = spin_hot;  // this pool's (hot_ = spin_: never yields)
    std::vector<std::thread> workers_;
    std::mutex mutex_;
    std::condition_variable wake_, done_;
    bool stop_ = false;
    std::atomic<bool> stop_flag_{false};         // stop_, readable without the mutex
    std::atomic<std::size_t> generation_{0};     // written under the mutex, spun on without it
    job job_;
    std::vector<unsigned char> claimed_ = std::vector<unsigned char>(size_, 0);  // chunk c taken (current job)
    std::size_t taken_ = 0;                      // chunks taken so far (current job)
    std::atomic<std::size_t> pending_{0};        // chunks not finished yet
    std::size_t splits_ = 0;                     // see splits(); only the caller of parallel_for writes it
    std::exception_ptr error_;
};

}  // namespace moir::runtime

#endif  // MOIR_RUNTIME_THREAD_POOL_HPP
