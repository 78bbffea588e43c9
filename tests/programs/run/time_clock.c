/* time(), clock(), gettimeofday() and clock_gettime() work; the values are not printed. */
#include <stdio.h>
#include <sys/time.h>
#include <time.h>

int main(void)
{
    time_t t0 = time(NULL);
    time_t t1;
    time(&t1);
    clock_t c0 = clock();
    volatile double acc = 0;
    for (int i = 0; i < 20000; i++) acc += i * 0.5;
    clock_t c1 = clock();
    struct timeval tv;
    int rc = gettimeofday(&tv, NULL);
    struct timespec ts, res;
    int rc2 = clock_gettime(CLOCK_MONOTONIC, &ts);
    int rc3 = clock_gettime(CLOCK_REALTIME, &res);
    printf("time plausible: %d\n", t0 > 1600000000 && t1 >= t0 && t1 - t0 < 100);
    printf("clock ok: %d\n", c0 != (clock_t)-1 && c1 >= c0);
    printf("gettimeofday ok: %d\n", rc == 0 && tv.tv_sec >= t0 && tv.tv_usec < 1000000);
    printf("clock_gettime ok: %d %d\n", rc2 == 0 && ts.tv_nsec < 1000000000L,
           rc3 == 0 && res.tv_sec >= t0);
    struct tm tm;
    time_t fixed = 86400 * 365;
    gmtime_r(&fixed, &tm);
    char buf[64];
    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
    printf("gmtime(fixed)=%s acc=%g\n", buf, acc);
    return 0;
}
