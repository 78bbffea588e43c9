/* Prints argc, argv and the environment as received through main's third argument. */
#include <stdio.h>

int main(int argc, char **argv, char **envp)
{
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++) printf("argv[%d]=\"%s\"\n", i, argv[i]);
    printf("argv[argc]=%s\n", argv[argc] ? "non-null" : "NULL");
    int n = 0;
    for (char **e = envp; *e; e++, n++) printf("envp[%d]=\"%s\"\n", n, *e);
    printf("envc=%d\n", n);
    return 0;
}
