/*
 * dg_requests.h -- Derivgrind-style client requests for revad_emu's tests.
 *
 * Written for revad_emu from the ABI facts below (no Derivgrind or Valgrind text is copied).
 * A program that uses these macros issues the same sequence of client requests, with the same
 * argument shapes, as one built against Derivgrind's own headers (derivgrind.h and
 * derivgrind-recording.h), so revad_emu can run programs written for Derivgrind.
 *
 * Transport: the Valgrind amd64 client-request convention.  RAX = address of six u64 words
 * {request, arg1, ..., arg5}; RDX = default result; then the 19 bytes
 * 48 C1 C7 03 48 C1 C7 0D 48 C1 C7 3D 48 C1 C7 33 48 87 DB (rol $3/$13/$61/$51 %rdi;
 * xchg %rbx,%rbx); the result comes back in RDX.  Natively: a no-op returning the default,
 * which is 0 for every request below.
 *
 * Request codes: tool base 0x44470000 = 'D' << 24 | 'G' << 16.
 *   +0  GET_DOTVALUE(addr, dotaddr, size)    copy the dot value of [addr, size) to dotaddr
 *   +1  SET_DOTVALUE(addr, dotaddr, size)    set the dot value of [addr, size) from dotaddr
 *   +2  DISABLE(plus, minus)                 counter += plus - minus; nonzero = recording off
 *   +3  GET_INDEX(addr, u64 *index)          tape index of the variable at addr
 *   +4  SET_INDEX(addr, u64 *index)          give the variable at addr that index
 *   +5  NEW_INDEX(TapeBlockInfo *)           push a tape block (with activity analysis:
 *                                            both parents passive -> index 0, no block)
 *   +6  NEW_INDEX_NOACTIVITYANALYSIS(TapeBlockInfo *)   always push a block
 *   +7  INDEX_TO_FILE(which, u64 *index)     which: 0 = input index file, 1 = output file
 *   +8  GET_MODE                             'd' forward, 'b' recording, 't' bit-trick finder
 *   +9  GET_FLAGS(addr, Aaddr, Daddr, size)  bit-trick finder only
 *   +10 SET_FLAGS(addr, Aaddr, Daddr, size)  bit-trick finder only
 * and Valgrind's core request RUNNING_ON_VALGRIND = 0x1001 (answers 1 under Valgrind).
 *
 * TapeBlockInfo (the single argument of +5/+6, in current Derivgrind): six pointers
 *   index1addr, index2addr (u64 parent indices), diff1addr, diff2addr (double partials),
 *   newindexaddr (u64, written by the tool), valueaddr (double, the value, for debugging).
 * (Early Derivgrind versions passed the first five pointers directly as arg1..arg5.)
 *
 * GET_INDEX/SET_INDEX carry no size.  Derivgrind keeps a variable's 8-byte index in the shadow
 * of the variable's first 4 bytes (low 32 bits in one shadow layer, high 32 bits in the
 * other), so one request serves float and double alike; an emulator has to infer the width.
 *
 * What Derivgrind's recording helpers do (derivgrind-recording.h, read for this header):
 *
 *   DG_INPUT(var):   valtmp = (double)var;
 *                    NEW_INDEX_NOACTIVITYANALYSIS(&tbi{&zero, &zero, &zero, &zero,
 *                                                      &newindex, &valtmp});
 *                    SET_INDEX(&var, &newindex);                 value: newindex
 *   DG_INPUTF(var):  tmp = DG_INPUT(var); INDEX_TO_FILE(0, &tmp);
 *       -> requests +6, +4, +7(0)
 *   DG_OUTPUT(var):  valtmp = (double)var;
 *                    GET_INDEX(&var, &oldindex);
 *                    NEW_INDEX_NOACTIVITYANALYSIS(&tbi{&oldindex, &zero, &one, &zero,
 *                                                      &newindex, &valtmp});
 *                                                                value: newindex
 *   DG_OUTPUTF(var): tmp = DG_OUTPUT(var); INDEX_TO_FILE(1, &tmp);
 *       -> requests +3, +6, +7(1)
 *
 * So an output is not the variable's own index but a fresh copy node (partial 1.0 on the
 * variable's index), which gives every output a distinct index even when two outputs are
 * the same variable or a passive value (index 0).  The "zero" partials are pointers to an
 * 8-byte zero (all bits zero, i.e. 0.0).  Derivgrind writes those helpers as brace blocks
 * over static temporaries; here they are functions, so they are expressions and define no
 * objects, but the request sequence and arguments are the same.  Older Derivgrind versions
 * wrote the index files from the client with open()/write(); current ones use +7.
 *
 * Forward mode: DG_SET_DOTVALUE(&x, &xdot, sizeof x) seeds, DG_GET_DOTVALUE(&y, &ydot,
 * sizeof y) reads back; natively the dot buffer is left untouched.
 */
#ifndef DG_REQUESTS_H_INCLUDED
#define DG_REQUESTS_H_INCLUDED

#include <stdint.h>

#define DG_TOOL_BASE 0x44470000u
#define DG_REQ_GET_DOTVALUE (DG_TOOL_BASE + 0u)
#define DG_REQ_SET_DOTVALUE (DG_TOOL_BASE + 1u)
#define DG_REQ_DISABLE (DG_TOOL_BASE + 2u)
#define DG_REQ_GET_INDEX (DG_TOOL_BASE + 3u)
#define DG_REQ_SET_INDEX (DG_TOOL_BASE + 4u)
#define DG_REQ_NEW_INDEX (DG_TOOL_BASE + 5u)
#define DG_REQ_NEW_INDEX_NOACTIVITYANALYSIS (DG_TOOL_BASE + 6u)
#define DG_REQ_INDEX_TO_FILE (DG_TOOL_BASE + 7u)
#define DG_REQ_GET_MODE (DG_TOOL_BASE + 8u)
#define DG_REQ_GET_FLAGS (DG_TOOL_BASE + 9u)
#define DG_REQ_SET_FLAGS (DG_TOOL_BASE + 10u)
#define DG_REQ_RUNNING_ON_VALGRIND 0x1001u

#define DG_INDEXFILE_INPUT 0
#define DG_INDEXFILE_OUTPUT 1

typedef struct {
    const void *index1addr;
    const void *index2addr;
    const void *diff1addr;
    const void *diff2addr;
    void *newindexaddr;
    const void *valueaddr;
} DgTapeBlockInfo;

#define DG__U64(p) ((unsigned long long)(uintptr_t)(p))

static inline unsigned long long dg_client_request(
    unsigned long long dflt, unsigned long long request, unsigned long long a1,
    unsigned long long a2, unsigned long long a3, unsigned long long a4, unsigned long long a5)
{
#if defined(__x86_64__) && defined(__GNUC__)
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
#else
    (void)request; (void)a1; (void)a2; (void)a3; (void)a4; (void)a5;
    return dflt;
#endif
}

/* ---- Forward mode and general requests (Derivgrind's names and argument shapes). ---- */
#define DG_GET_DOTVALUE(addr, dotaddr, size)                                               \
    dg_client_request(0, DG_REQ_GET_DOTVALUE, DG__U64(addr), DG__U64(dotaddr),            \
                      (unsigned long long)(size), 0, 0)
#define DG_SET_DOTVALUE(addr, dotaddr, size)                                               \
    dg_client_request(0, DG_REQ_SET_DOTVALUE, DG__U64(addr), DG__U64(dotaddr),            \
                      (unsigned long long)(size), 0, 0)
#define DG_DISABLE(plus, minus)                                                            \
    dg_client_request(0, DG_REQ_DISABLE, (unsigned long long)(plus),                      \
                      (unsigned long long)(minus), 0, 0, 0)
#define DG_GET_MODE dg_client_request(0, DG_REQ_GET_MODE, 0, 0, 0, 0, 0)
#define DG_RUNNING_ON_VALGRIND dg_client_request(0, DG_REQ_RUNNING_ON_VALGRIND, 0, 0, 0, 0, 0)
#define DG_GET_FLAGS(addr, Aaddr, Daddr, size)                                             \
    dg_client_request(0, DG_REQ_GET_FLAGS, DG__U64(addr), DG__U64(Aaddr), DG__U64(Daddr), \
                      (unsigned long long)(size), 0)
#define DG_SET_FLAGS(addr, Aaddr, Daddr, size)                                             \
    dg_client_request(0, DG_REQ_SET_FLAGS, DG__U64(addr), DG__U64(Aaddr), DG__U64(Daddr), \
                      (unsigned long long)(size), 0)

/* ---- Recording mode, low level. ---- */
#define DG_GET_INDEX(addr, indexaddr)                                                      \
    dg_client_request(0, DG_REQ_GET_INDEX, DG__U64(addr), DG__U64(indexaddr), 0, 0, 0)
#define DG_SET_INDEX(addr, indexaddr)                                                      \
    dg_client_request(0, DG_REQ_SET_INDEX, DG__U64(addr), DG__U64(indexaddr), 0, 0, 0)
#define DG_INDEX_TO_FILE(which, indexaddr)                                                 \
    dg_client_request(0, DG_REQ_INDEX_TO_FILE, (unsigned long long)(which),               \
                      DG__U64(indexaddr), 0, 0, 0)

static inline unsigned long long dg_new_index_request(
    unsigned long long request, const void *index1addr, const void *index2addr,
    const void *diff1addr, const void *diff2addr, void *newindexaddr, const void *valueaddr)
{
    DgTapeBlockInfo tbi;
    tbi.index1addr = index1addr;
    tbi.index2addr = index2addr;
    tbi.diff1addr = diff1addr;
    tbi.diff2addr = diff2addr;
    tbi.newindexaddr = newindexaddr;
    tbi.valueaddr = valueaddr;
    return dg_client_request(0, request, DG__U64(&tbi), 0, 0, 0, 0);
}
#define DG_NEW_INDEX(i1, i2, d1, d2, newindex, value)                                      \
    dg_new_index_request(DG_REQ_NEW_INDEX, (i1), (i2), (d1), (d2), (newindex), (value))
#define DG_NEW_INDEX_NOACTIVITYANALYSIS(i1, i2, d1, d2, newindex, value)                   \
    dg_new_index_request(DG_REQ_NEW_INDEX_NOACTIVITYANALYSIS, (i1), (i2), (d1), (d2),     \
                         (newindex), (value))

/* ---- Recording mode, input/output helpers (same request sequence as Derivgrind's). ---- */
static inline unsigned long long dg_input_index(const volatile void *addr, double value)
{
    unsigned long long zero = 0, newindex = 0;
    double val = value;
    DG_NEW_INDEX_NOACTIVITYANALYSIS(&zero, &zero, &zero, &zero, &newindex, &val);
    DG_SET_INDEX(addr, &newindex);
    return newindex;
}
static inline unsigned long long dg_output_index(const volatile void *addr, double value)
{
    unsigned long long zero = 0, oldindex = 0, newindex = 0;
    double one = 1.0, val = value;
    DG_GET_INDEX(addr, &oldindex);
    DG_NEW_INDEX_NOACTIVITYANALYSIS(&oldindex, &zero, &one, &zero, &newindex, &val);
    return newindex;
}
static inline void dg_index_to_file(int which, unsigned long long index)
{
    unsigned long long tmp = index;
    DG_INDEX_TO_FILE(which, &tmp);
}

/* var: a floating-point lvalue (its value is passed as a double for debugging only). */
#define DG_INPUT(var) dg_input_index(&(var), (double)(var))
#define DG_OUTPUT(var) dg_output_index(&(var), (double)(var))
#define DG_INPUTF(var) dg_index_to_file(DG_INDEXFILE_INPUT, DG_INPUT(var))
#define DG_OUTPUTF(var) dg_index_to_file(DG_INDEXFILE_OUTPUT, DG_OUTPUT(var))

#endif /* DG_REQUESTS_H_INCLUDED */
