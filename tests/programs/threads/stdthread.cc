// C++ std::thread + std::mutex: NW threads each sum f(x_i) = x_i^2 * exp(-x_i) over a strided
// share of the inputs into a local, then add it to a shared total under a std::mutex; a
// std::atomic<double> collects the same sum through a compare-exchange loop (lock cmpxchg on
// the double's bits) and an atomic counter counts the terms (lock xadd). The order of the
// additions depends on the interleaving, so the sums are printed to 12 digits.
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>
#include "revad.h"

static const int N = 12;
static double x[N];
static double total = 0.0;
static std::mutex mu;
static std::atomic<double> atotal{0.0};
static std::atomic<int> terms{0};

static void work(int id, int nw)
{
    double local = 0.0;
    for (int i = id; i < N; i += nw) {
        double t = x[i] * x[i] * std::exp(-x[i]);
        local += t;
        double old = atotal.load();
        while (!atotal.compare_exchange_weak(old, old + t)) {
        }
        terms.fetch_add(1);
    }
    std::lock_guard<std::mutex> g(mu);
    total += local;
}

int main(int argc, char **argv)
{
    int nw = argc > 1 ? std::atoi(argv[1]) : 3;
    for (int i = 0; i < N; i++)
        x[i] = argc > 2 + i ? std::atof(argv[2 + i]) : 0.25 * (i + 1);
    REVAD_INPUT_ARRAY(x, N);
    std::vector<std::thread> th;
    for (int w = 0; w < nw; w++)
        th.emplace_back(work, w, nw);
    for (auto &t : th)
        t.join();
    double a = atotal.load();
    REVAD_OUTPUT(total);
    REVAD_OUTPUT(a);
    std::printf("terms %d total %.12g atomic %.12g\n", terms.load(), total, a);
    return 0;
}
