/* A pthreads worker pool: NW workers take tasks from a queue guarded by a mutex and a
 * condition variable; each task computes a term x_i * sin(x_i) and adds it to a shared sum
 * under the mutex. Output: the sum (active in the inputs x_i). */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include "revad.h"

#define NT 8
#define NW 3
static double x[NT], total;
static int next_task = 0, done_tasks = 0, stop = 0, queued = 0;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t have_work = PTHREAD_COND_INITIALIZER, all_done = PTHREAD_COND_INITIALIZER;

static void *worker(void *arg)
{
    long id = (long)arg;
    int mine = 0;
    for (;;) {
        pthread_mutex_lock(&mu);
        while (next_task >= queued && !stop)
            pthread_cond_wait(&have_work, &mu);
        if (next_task >= queued && stop) {
            pthread_mutex_unlock(&mu);
            break;
        }
        int i = next_task++;
        pthread_mutex_unlock(&mu);
        double term = x[i] * sin(x[i]);
        pthread_mutex_lock(&mu);
        total += term;
        done_tasks++;
        mine++;
        if (done_tasks == NT)
            pthread_cond_signal(&all_done);
        pthread_mutex_unlock(&mu);
    }
    return (void *)(long)mine + 0 * id;
}

int main(int argc, char **argv)
{
    for (int i = 0; i < NT; i++)
        x[i] = argc > 1 + i ? atof(argv[1 + i]) : 0.1 * (i + 1);
    REVAD_INPUT_ARRAY(x, NT);
    pthread_t th[NW];
    for (long w = 0; w < NW; w++)
        pthread_create(&th[w], NULL, worker, (void *)w);
    for (int i = 0; i < NT; i++) {
        pthread_mutex_lock(&mu);
        queued++;
        pthread_cond_signal(&have_work);
        pthread_mutex_unlock(&mu);
    }
    pthread_mutex_lock(&mu);
    while (done_tasks < NT)
        pthread_cond_wait(&all_done, &mu);
    stop = 1;
    pthread_cond_broadcast(&have_work);
    pthread_mutex_unlock(&mu);
    long got = 0;
    for (int w = 0; w < NW; w++) {
        void *r;
        pthread_join(th[w], &r);
        got += (long)r;
    }
    REVAD_OUTPUT(total);
    printf("tasks %ld total %.17g\n", got, total);
    return 0;
}
