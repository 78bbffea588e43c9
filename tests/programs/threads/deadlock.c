/* A deadlock: main holds a mutex and joins a thread that waits for the same mutex. */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static void *worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu); /* waits forever */
    pthread_mutex_unlock(&mu);
    return 0;
}

int main(void)
{
    pthread_t th;
    pthread_mutex_lock(&mu);
    pthread_create(&th, 0, worker, 0);
    pthread_join(th, 0); /* waits forever */
    puts("not reached");
    return 0;
}
