/*
 * revad.h -- mark the inputs and outputs of a program for revad_emu.
 *
 * revad_emu runs an x86-64 Linux program on an emulator and records the floating-point
 * operations that depend on the marked inputs; afterwards it computes Jacobians,
 * vector-Jacobian and Jacobian-vector products of the marked outputs.
 *
 * Usage (C or C++):
 *
 *     #include "revad.h"            // shipped in the revad_emu package's include/ folder
 *     double x = strtod(argv[1], 0), a[3] = {1, 2, 3};
 *     REVAD_INPUT(x);               // scalar double, float or long double; named "x"
 *     REVAD_INPUT_ARRAY(a, 3);      // three doubles, named "a"
 *     double y = x * a[0] + a[1] / a[2];
 *     REVAD_OUTPUT(y);
 *     REVAD_OUTPUT_NAMED("result", &y, 1);
 *     if (REVAD_RUNNING()) puts("under revad_emu");
 *
 * Every macro is an expression; natively (or under any other tool) each one costs a few
 * instructions and does nothing.  The header compiles without warnings as C99, C11 and
 * C++11/17 with -Wall -Wextra -pedantic, and defines no objects (two translation units may
 * include it).  Define REVAD_DISABLE before including it to compile every mark away.
 *
 * ABI (a fixed contract with the emulator; it is the Valgrind amd64 client-request
 * convention): RAX holds the address of six 64-bit words {request, arg1, ..., arg5}, RDX the
 * default result, then the 19-byte "special instruction"
 *
 *     48 C1 C7 03   rol $3,  %rdi
 *     48 C1 C7 0D   rol $13, %rdi
 *     48 C1 C7 3D   rol $61, %rdi
 *     48 C1 C7 33   rol $51, %rdi      (3+13+61+51 = 128: RDI is unchanged)
 *     48 87 DB      xchg %rbx, %rbx    (marks the request)
 *
 * runs; the result is read from RDX.  On real hardware the sequence leaves RDX alone, so the
 * result is the default.  revad_emu's tool base is 0x52410000 ('R' << 24 | 'A' << 16):
 *
 *     0x52410000  RUNNING()                      -> 1 under revad_emu (default 0)
 *     0x52410001  INPUT(ptr, count, kind, name)  -> mark count values at ptr as inputs
 *     0x52410002  OUTPUT(ptr, count, kind, name) -> mark count values at ptr as outputs
 *
 * kind: 0 = double (8-byte stride), 1 = float (4), 2 = x87 long double (80 bits in a
 * 16-byte slot).  name: address of a NUL-terminated string, or 0.
 *
 * The request block holds the address of the marked data and the asm clobbers "memory", so
 * the compiler must store the marked values to memory before the request and reload them
 * after it: a marked value is never kept only in a register across the mark.
 */
#ifndef REVAD_H_INCLUDED
#define REVAD_H_INCLUDED

#define REVAD_TOOL_BASE 0x52410000u
#define REVAD_REQ_RUNNING (REVAD_TOOL_BASE + 0u)
#define REVAD_REQ_INPUT (REVAD_TOOL_BASE + 1u)
#define REVAD_REQ_OUTPUT (REVAD_TOOL_BASE + 2u)

#define REVAD_KIND_DOUBLE 0
#define REVAD_KIND_FLOAT 1
#define REVAD_KIND_LONG_DOUBLE 2

#include <stdint.h>

#if defined(REVAD_DISABLE) || !defined(__x86_64__) || !defined(__GNUC__)
#define REVAD__NO_ASM 1
#endif

/* The raw client request: returns `dflt` natively, the emulator's answer under revad_emu. */
static inline unsigned long long revad_client_request(
    unsigned long long dflt, unsigned long long request, unsigned long long a1,
    unsigned long long a2, unsigned long long a3, unsigned long long a4, unsigned long long a5)
{
#ifdef REVAD__NO_ASM
    (void)request; (void)a1; (void)a2; (void)a3; (void)a4; (void)a5;
    return dflt;
#else
    volatile unsigned long long block[6];
    unsigned long long result;
    block[0] = request;
    block[1] = a1;
    block[2] = a2;
    block[3] = a3;
    block[4] = a4;
    block[5] = a5;
    __asm__ __volatile__(
        "rolq $3, %%rdi\n\t"
        "rolq $13, %%rdi\n\t"
        "rolq $61, %%rdi\n\t"
        "rolq $51, %%rdi\n\t"
        "xchgq %%rbx, %%rbx"
        : "=d"(result)
        : "a"(&block[0]), "0"(dflt)
        : "cc", "memory");
    return result;
#endif
}

/* Mark `count` values of the given kind at `ptr`; `name` may be 0.  Returns the emulator's
 * answer (0 natively). */
static inline unsigned long long revad_mark(unsigned long long request, const volatile void *ptr,
                                            unsigned long long count, int kind, const char *name)
{
    return revad_client_request(0, request, (unsigned long long)(uintptr_t)ptr, count,
                                (unsigned long long)kind,
                                (unsigned long long)(uintptr_t)name, 0);
}

/* REVAD_KIND_OF(v): the kind code of the floating-point lvalue v. */
#if defined(__cplusplus)
extern "C++" {
namespace revad_detail {
inline int kind_of(const volatile float *) { return REVAD_KIND_FLOAT; }
inline int kind_of(const volatile double *) { return REVAD_KIND_DOUBLE; }
inline int kind_of(const volatile long double *) { return REVAD_KIND_LONG_DOUBLE; }
}  /* namespace revad_detail */
}
#define REVAD_KIND_OF(v) (::revad_detail::kind_of(&(v)))
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
/* GCC's _Float32/_Float64/_Float32x are types of their own in C: give them branches too. */
#if defined(__GNUC__) && defined(__FLT32_MANT_DIG__) && defined(__FLT64_MANT_DIG__) &&   \
    defined(__FLT32X_MANT_DIG__)
#define REVAD__FLOATN_KINDS                                                                \
    , _Float32: REVAD_KIND_FLOAT, _Float64: REVAD_KIND_DOUBLE, _Float32x: REVAD_KIND_DOUBLE
#define REVAD__EXT __extension__
#else
#define REVAD__FLOATN_KINDS
#define REVAD__EXT
#endif
#define REVAD_KIND_OF(v)                                                                   \
    REVAD__EXT _Generic((v), float: REVAD_KIND_FLOAT, double: REVAD_KIND_DOUBLE,           \
                        long double: REVAD_KIND_LONG_DOUBLE REVAD__FLOATN_KINDS)
#else
/* C99 has no _Generic: select by size (4 -> float, 8 -> double, else long double). */
#define REVAD_KIND_OF(v)                                                                   \
    (sizeof(v) == 4 ? REVAD_KIND_FLOAT                                                     \
                    : sizeof(v) == 8 ? REVAD_KIND_DOUBLE : REVAD_KIND_LONG_DOUBLE)
#endif

/* Scalars: x is a double, float or long double lvalue; the mark is named after the
 * expression text. */
#define REVAD_INPUT(x) revad_mark(REVAD_REQ_INPUT, &(x), 1, REVAD_KIND_OF(x), #x)
#define REVAD_OUTPUT(y) revad_mark(REVAD_REQ_OUTPUT, &(y), 1, REVAD_KIND_OF(y), #y)

/* Arrays: p points to n elements (kind from *p); named after the expression text of p. */
#define REVAD_INPUT_ARRAY(p, n)                                                            \
    revad_mark(REVAD_REQ_INPUT, (p), (unsigned long long)(n), REVAD_KIND_OF((p)[0]), #p)
#define REVAD_OUTPUT_ARRAY(p, n)                                                           \
    revad_mark(REVAD_REQ_OUTPUT, (p), (unsigned long long)(n), REVAD_KIND_OF((p)[0]), #p)

/* Arrays (or a scalar's address with n = 1) with an explicit name string. */
#define REVAD_INPUT_NAMED(name, p, n)                                                      \
    revad_mark(REVAD_REQ_INPUT, (p), (unsigned long long)(n), REVAD_KIND_OF((p)[0]), (name))
#define REVAD_OUTPUT_NAMED(name, p, n)                                                     \
    revad_mark(REVAD_REQ_OUTPUT, (p), (unsigned long long)(n), REVAD_KIND_OF((p)[0]), (name))

/* 1 under revad_emu, 0 natively (an int). */
#define REVAD_RUNNING() ((int)revad_client_request(0, REVAD_REQ_RUNNING, 0, 0, 0, 0, 0))

#endif /* REVAD_H_INCLUDED */
