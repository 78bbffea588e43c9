/* Never terminates and makes no system calls (for budget and Ctrl-C tests). */
int main(void)
{
    volatile unsigned long n = 0;
    for (;;) n++;
}
