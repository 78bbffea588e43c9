/* getenv/setenv/unsetenv. */
#include <stdio.h>
#include <stdlib.h>

static void show(const char *name)
{
    const char *v = getenv(name);
    printf("%s=%s\n", name, v ? v : "(unset)");
}

int main(void)
{
    show("REVAD_TEST_VAR");
    show("REVAD_TEST_EMPTY");
    show("REVAD_TEST_MISSING");
    show("PATH");
    const char *n = getenv("REVAD_TEST_N");
    int k = n ? atoi(n) : -1;
    printf("N*2=%d\n", k * 2);
    setenv("REVAD_TEST_NEW", "created", 0);
    show("REVAD_TEST_NEW");
    unsetenv("REVAD_TEST_VAR");
    show("REVAD_TEST_VAR");
    return 0;
}
