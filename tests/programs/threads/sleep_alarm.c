/* alarm(1) cuts sleep(5) short through its handler; a short nanosleep with no timer due runs out. */
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
static volatile int hits;
static void h(int s) { (void)s; hits++; }
int main(void)
{
    signal(SIGALRM, h);
    alarm(1);
    unsigned left = sleep(5);          /* cut short after 1 s by SIGALRM */
    struct timespec ts = {0, 2000000}; /* 2 ms: nothing fires */
    int r = nanosleep(&ts, 0);
    printf("hits %d left %u r %d\n", hits, left, r);
    return 0;
}
