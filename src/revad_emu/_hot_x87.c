/* ===================================================================== x87 (compiled path)
 *
 * #included by _hot.c (after the descriptor runners, before descriptor parsing): the compiled
 * twins of the common isa/x87.py handlers, and the store of the exact 80-bit patterns of the
 * tape's x87 nodes.
 *
 * Bits80: node -> 80-bit pattern, in C (a small hash map plus two arrays), exposed to Python
 * as the mapping `Tape.bits80` (get / [] / []= / in / len), which the Python handlers use
 * exactly like the dict of the pure-Python recorder. The compiled x87 path validates an
 * operand by comparing the register's 10 bytes with its node's pattern without taking the GIL.
 *
 * run_x87: one descriptor kind (D_X87) with sub-kinds: loads, stores, register moves, fxch,
 * fadd/fsub/fsubr/fmul/fdiv/fdivr (register, m32/m64 and integer forms, p-forms), fchs, fabs,
 * fsqrt, and the passive pushes/pops/integer stores. Like the SSE runners it computes the
 * result *before* the instruction runs; the host's `long double` is the same x87 80-bit
 * format, and for normal (or zero) operands and results IEEE arithmetic rounds exactly one
 * way, so the value equals what Unicorn's softfloat leaves in the register (which the Python
 * handler reads back; tests/test_compiled.py compares both tapes bit for bit). Everything
 * else hands the instruction to the Python handler before any state changes: a guest control
 * word other than 64-bit precision / round to nearest / all exceptions masked, an operand or
 * result that is a NaN, an infinity, a denormal or an unnormal, a stale or partial operand
 * (Python warns), active bits read as an integer, an unreadable memory operand. Unicorn (QEMU)
 * does not model x87 stack overflow/underflow (a push overwrites, a pop only moves TOP), so
 * the register contents alone decide every result.
 */

/* ---------------------------------------------------------------- 80-bit patterns */

/* Nodes are created in increasing order, so their patterns go into a log sorted by node
 * (appends are sequential writes, a lookup a binary search); a pattern set for an older node
 * (a size-less mark decided by its first read) goes into a small hash map that is searched
 * first. Two direct-mapped memos answer the common questions without touching either: one
 * of the nodes written last (is the register still holding the node just computed?), one of
 * nodes found by a search (a loop invariant read again and again). */
#define B80_MEMO 64

typedef struct {
    int64_t node; /* -1: empty */
    uint64_t mant;
    uint16_t se;
} B80Memo;

typedef struct {
    PyObject_HEAD int64_t *lnode; /* the log, increasing node order */
    uint64_t *lmant;
    uint16_t *lse;
    uint64_t n, cap;
    UMap late; /* node -> index into the late arrays */
    uint64_t *xmant;
    uint16_t *xse;
    uint64_t xn, xcap;
    B80Memo memo[B80_MEMO], seen[B80_MEMO];
} Bits80Object;

static int b80_grow(uint64_t need, uint64_t *cap, int64_t **nodes, uint64_t **mant,
                    uint16_t **se)
{
    if (need <= *cap)
        return 0;
    uint64_t c = *cap ? *cap * 2 : 256;
    if (nodes) {
        int64_t *p = realloc(*nodes, c * sizeof **nodes);
        if (!p)
            return -1;
        *nodes = p;
    }
    uint64_t *m = realloc(*mant, c * sizeof **mant);
    if (!m)
        return -1;
    *mant = m;
    uint16_t *s = realloc(*se, c * sizeof **se);
    if (!s)
        return -1;
    *se = s;
    *cap = c;
    return 0;
}

static inline void b80_memo(B80Memo *memo, int64_t node, uint64_t mant, uint16_t se)
{
    B80Memo *e = &memo[node & (B80_MEMO - 1)];
    e->node = node;
    e->mant = mant;
    e->se = se;
}

static int bits80_put(Bits80Object *b, int64_t node, uint64_t mant, uint16_t se)
{
    if (b->n == 0 || node > b->lnode[b->n - 1]) {
        if (b80_grow(b->n + 1, &b->cap, &b->lnode, &b->lmant, &b->lse) < 0)
            return -1;
        b->lnode[b->n] = node;
        b->lmant[b->n] = mant;
        b->lse[b->n] = se;
        b->n++;
    } else {
        uint64_t *slot = um_get(&b->late, (uint64_t)node);
        if (slot) {
            b->xmant[*slot] = mant;
            b->xse[*slot] = se;
        } else {
            if (b80_grow(b->xn + 1, &b->xcap, NULL, &b->xmant, &b->xse) < 0 ||
                um_put(&b->late, (uint64_t)node, b->xn) < 0)
                return -1;
            b->xmant[b->xn] = mant;
            b->xse[b->xn] = se;
            b->xn++;
        }
    }
    b80_memo(b->memo, node, mant, se);
    if (b->seen[node & (B80_MEMO - 1)].node == node)
        b80_memo(b->seen, node, mant, se);
    return 0;
}

/* The pattern of node into mant and se; 0 if the node has none. */
static inline int bits80_get(Bits80Object *b, int64_t node, uint64_t *mant, uint16_t *se)
{
    const B80Memo *e = &b->memo[node & (B80_MEMO - 1)];
    if (e->node != node)
        e = &b->seen[node & (B80_MEMO - 1)];
    if (e->node == node) {
        *mant = e->mant;
        *se = e->se;
        return 1;
    }
    if (b->xn) {
        const uint64_t *slot = um_get(&b->late, (uint64_t)node);
        if (slot) {
            *mant = b->xmant[*slot];
            *se = b->xse[*slot];
            return 1;
        }
    }
    uint64_t lo = 0, hi = b->n;
    while (lo < hi) {
        uint64_t mid = (lo + hi) / 2;
        if (b->lnode[mid] < node)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == b->n || b->lnode[lo] != node)
        return 0;
    *mant = b->lmant[lo];
    *se = b->lse[lo];
    b80_memo(b->seen, node, *mant, *se);
    return 1;
}

static PyObject *bits80_new(void) { return PyObject_CallNoArgs((PyObject *)&Bits80Type); }

static int bits80_from_int(PyObject *v, uint64_t *mant, uint16_t *se)
{
    *mant = PyLong_AsUnsignedLongLongMask(v);
    if (*mant == (uint64_t)-1 && PyErr_Occurred())
        return -1;
    PyObject *sixty_four = PyLong_FromLong(64);
    PyObject *hi = sixty_four ? PyNumber_Rshift(v, sixty_four) : NULL;
    Py_XDECREF(sixty_four);
    if (!hi)
        return -1;
    *se = (uint16_t)PyLong_AsUnsignedLongLongMask(hi);
    Py_DECREF(hi);
    return PyErr_Occurred() ? -1 : 0;
}

/* bits80[node] = int (Tape.add/new_input for width-10 nodes, and the Python handlers) */
static int bits80_set(PyObject *self, int64_t node, PyObject *bits)
{
    uint64_t mant;
    uint16_t se;
    if (bits80_from_int(bits, &mant, &se) < 0)
        return -1;
    if (bits80_put((Bits80Object *)self, node, mant, se) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static PyObject *bits80_to_int(uint64_t mant, uint16_t se)
{
    PyObject *lo = PyLong_FromUnsignedLongLong(mant), *hi = PyLong_FromLong(se);
    PyObject *sixty_four = PyLong_FromLong(64);
    PyObject *shifted = hi && sixty_four ? PyNumber_Lshift(hi, sixty_four) : NULL;
    PyObject *out = shifted && lo ? PyNumber_Or(shifted, lo) : NULL;
    Py_XDECREF(lo);
    Py_XDECREF(hi);
    Py_XDECREF(sixty_four);
    Py_XDECREF(shifted);
    return out;
}

static int Bits80_init(Bits80Object *self, PyObject *args, PyObject *kw)
{
    if (!PyArg_ParseTuple(args, ""))
        return -1;
    for (int i = 0; i < B80_MEMO; i++)
        self->memo[i].node = self->seen[i].node = -1;
    return 0;
}

static void Bits80_dealloc(Bits80Object *self)
{
    um_free(&self->late);
    free(self->lnode);
    free(self->lmant);
    free(self->lse);
    free(self->xmant);
    free(self->xse);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* Nodes with a pattern: the log's, plus late ones not in it. */
static Py_ssize_t Bits80_len(Bits80Object *self)
{
    Py_ssize_t n = (Py_ssize_t)self->n;
    for (uint64_t j = 0; j < self->late.cap; j++) {
        uint64_t k = self->late.keys[j];
        if (k) {
            uint64_t mant;
            uint16_t se;
            Bits80Object probe = *self; /* the log alone: is this late node also in it? */
            probe.xn = 0;
            for (int i = 0; i < B80_MEMO; i++)
                probe.memo[i].node = probe.seen[i].node = -1;
            if (!bits80_get(&probe, (int64_t)(k - 1), &mant, &se))
                n++;
        }
    }
    return n;
}

static PyObject *Bits80_lookup(Bits80Object *self, PyObject *key, PyObject *dflt)
{
    long long node = PyLong_AsLongLong(key);
    if (node == -1 && PyErr_Occurred())
        return NULL;
    uint64_t mant;
    uint16_t se;
    if (bits80_get(self, node, &mant, &se))
        return bits80_to_int(mant, se);
    if (!dflt)
        PyErr_SetObject(PyExc_KeyError, key);
    else
        Py_INCREF(dflt);
    return dflt;
}

static PyObject *Bits80_subscript(Bits80Object *self, PyObject *key)
{
    return Bits80_lookup(self, key, NULL);
}

static int Bits80_ass(Bits80Object *self, PyObject *key, PyObject *v)
{
    if (!v) {
        PyErr_SetString(PyExc_TypeError, "80-bit patterns are never deleted");
        return -1;
    }
    long long node = PyLong_AsLongLong(key);
    if (node == -1 && PyErr_Occurred())
        return -1;
    return bits80_set((PyObject *)self, node, v);
}

static int Bits80_contains(Bits80Object *self, PyObject *key)
{
    long long node = PyLong_AsLongLong(key);
    if (node == -1 && PyErr_Occurred())
        return -1;
    uint64_t mant;
    uint16_t se;
    return bits80_get(self, node, &mant, &se);
}

static PyObject *Bits80_get(Bits80Object *self, PyObject *const *a, Py_ssize_t n)
{
    if (n < 1 || n > 2)
        return PyErr_Format(PyExc_TypeError, "get(node[, default])");
    return Bits80_lookup(self, a[0], n == 2 ? a[1] : Py_None);
}

static PyMethodDef Bits80_methods[] = {
    {"get", (PyCFunction)(void (*)(void))Bits80_get, METH_FASTCALL, NULL}, {NULL}};

static PyMappingMethods Bits80_as_map = {.mp_length = (lenfunc)Bits80_len,
                                         .mp_subscript = (binaryfunc)Bits80_subscript,
                                         .mp_ass_subscript = (objobjargproc)Bits80_ass};

static PySequenceMethods Bits80_as_seq = {.sq_contains = (objobjproc)Bits80_contains};

static PyTypeObject Bits80Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "revad_emu._hot.Bits80",
    .tp_basicsize = sizeof(Bits80Object),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "node -> exact 80-bit pattern of the tape's x87 values (a dict-like mapping).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Bits80_init,
    .tp_dealloc = (destructor)Bits80_dealloc,
    .tp_methods = Bits80_methods,
    .tp_as_mapping = &Bits80_as_map,
    .tp_as_sequence = &Bits80_as_seq,
};

/* ---------------------------------------------------------------- the compiled handlers */

#include <float.h>

static int parse_loc(PyObject *o, Loc *l);

/* Unicorn's register ids (set_x87_regs, from unicorn.x86_const via fastuc). */
static int X87_FP0 = -1, X87_FPSW = -1, X87_FPCW = -1;

static PyObject *set_x87_regs(PyObject *mod, PyObject *args)
{
    if (!PyArg_ParseTuple(args, "iii", &X87_FP0, &X87_FPSW, &X87_FPCW))
        return NULL;
    Py_RETURN_NONE;
}

#define D_X87 32
#define X87_BASE ((1ULL << 60) + 0x2000)
#define X87LOC(p) (X87_BASE + 16ULL * (uint64_t)((p)&7))

/* Desc fields as run_x87 reads them: op = sub-kind, w_out = arithmetic operation,
 * di = register a (relative to TOP, mod 8), lanes = register b / count, deref = pop,
 * w = memory width, is_jmp = memory action of X_PASSIVE, src = memory operand, code. */
enum { X_FLD_ST, X_FLD_M80, X_FLD_MF, X_FST_ST, X_FST_M80, X_FST_MF, X_FXCH, X_ARITH,
       X_ARITH_INT, X_UNARY, X_PASSIVE };
static const char *x87_kinds[] = {"fld_st", "fld_m80", "fld_mf", "fst_st", "fst_m80", "fst_mf",
                                  "fxch", "arith", "arith_int", "unary", "passive"};
enum { XA_ADD, XA_SUB, XA_SUBR, XA_MUL, XA_DIV, XA_DIVR, XA_NEG, XA_ABS, XA_SQRT, XA_NONE };
static const char *x87_ops[] = {"add", "sub", "subr", "mul", "div", "divr", "neg", "abs",
                                "sqrt", ""};
enum { XM_NONE, XM_CHECK, XM_CLEAR }; /* X_PASSIVE: integer operand read / written */

typedef struct {
    uint64_t mant;
    uint16_t se;
} F80;

static inline int x87_top(HotObject *h)
{
    uint64_t sw = 0;
    h->rr(h->uc, X87_FPSW, &sw);
    return (int)((sw >> 11) & 7);
}

static inline F80 x87_reg(HotObject *h, int phys)
{
    uint8_t buf[16] = {0};
    h->rr(h->uc, X87_FP0 + (phys & 7), buf);
    F80 f;
    memcpy(&f.mant, buf, 8);
    memcpy(&f.se, buf + 8, 2);
    return f;
}

/* 64-bit precision, round to nearest, every exception masked (Linux's 0x037F). */
static inline int x87_cw_default(HotObject *h)
{
    uint64_t cw = 0;
    h->rr(h->uc, X87_FPCW, &cw);
    return (cw & 0x0F3F) == 0x033F;
}

/* Normal (integer bit set, exponent neither 0 nor all ones) or a zero. */
static inline int f80_plain(F80 f)
{
    int e = f.se & 0x7FFF;
    if (e == 0)
        return f.mant == 0;
    return e != 0x7FFF && (f.mant >> 63);
}

static inline long double f80_ld(F80 f)
{
    long double v = 0;
    memcpy(&v, &f.mant, 8);
    memcpy((uint8_t *)&v + 8, &f.se, 2);
    return v;
}

static inline F80 ld_f80(long double v)
{
    F80 f;
    memcpy(&f.mant, &v, 8);
    memcpy(&f.se, (const uint8_t *)&v + 8, 2);
    return f;
}

/* recorder.x87_to_float, step for step: the binary64 tape value of an 80-bit pattern. */
static inline double f80_value(F80 f)
{
    double sign = (f.se & 0x8000) ? -1.0 : 1.0;
    int e = f.se & 0x7FFF;
    if (e == 0x7FFF)
        return sign * ((f.mant << 1) == 0 ? INFINITY : NAN);
    if (e == 0 && f.mant == 0)
        return sign * 0.0;
    return sign * ldexp((double)f.mant, e - 16383 - 63);
}

/* A double or float memory value that loads into an x87 register as a plain number. */
static inline int mf_plain(double v, int w)
{
    double a = fabs(v);
    return a == 0.0 || (a >= FLT_MIN_OF[w] && a <= (w == 8 ? DBL_MAX : FLT_MAX));
}

/* rules._div */
static inline double x87_div(double x, double y)
{
    if (y == 0.0)
        return (x == 0.0 || x != x) ? NAN : copysign(INFINITY, x) * copysign(1.0, y);
    return x / y;
}

/* Is the register still holding node's value (recorder.valid for width 10)? */
static inline int x87_node_ok(HotObject *h, int64_t node, F80 f)
{
    const TapeObject *t = h->tape;
    uint64_t mant;
    uint16_t se;
    return node < t->n && node_width(t, node) == 10 &&
           bits80_get((Bits80Object *)t->bits80, node, &mant, &se) && mant == f.mant &&
           se == f.se;
}

/* A node for the 80-bit value f now in physical register phys (x87._X.emit). */
static int x87_emit(HotObject *h, int phys, int64_t p1, double d1, int64_t p2, double d2,
                    F80 f, uint64_t addr, int code)
{
    int64_t node = tape_add(h->tape, p1, p1 ? d1 : 0.0, p2, p2 ? d2 : 0.0, f80_value(f), 10,
                            addr, code);
    if (node < 0 || bits80_put((Bits80Object *)h->tape->bits80, node, f.mant, f.se) < 0)
        return -1;
    return sh_set_node(&h->sh->m, X87LOC(phys), 10, node);
}

static int run_x87(HotObject *h, const Desc *d, uint64_t addr)
{
    SMap *m = &h->sh->m;
    if (!m->live)
        return 1;
    const int t = x87_top(h), a = d->di, b = d->lanes;
    switch (d->op) {
    case X_FLD_ST:
        return sh_copy(m, X87LOC(t + a), X87LOC(t - 1), 16) == 0;
    case X_FLD_M80:
        return sh_copy(m, loc_eval(h, &d->src), X87LOC(t - 1), 10) == 0;
    case X_FST_ST:
        if (sh_copy(m, X87LOC(t), X87LOC(t + a), 16) < 0)
            return 0;
        if (d->deref)
            sh_clear(m, X87LOC(t), 16);
        return 1;
    case X_FST_M80:
        if (sh_copy(m, X87LOC(t), loc_eval(h, &d->src), 10) < 0)
            return 0;
        if (d->deref)
            sh_clear(m, X87LOC(t), 16);
        return 1;
    case X_FXCH: {
        int64_t ea[16], eb[16];
        sh_get(m, X87LOC(t), 16, ea);
        sh_get(m, X87LOC(t + a), 16, eb);
        return sh_put(m, X87LOC(t), 16, eb) == 0 && sh_put(m, X87LOC(t + a), 16, ea) == 0;
    }
    case X_PASSIVE: {
        if (d->is_jmp != XM_NONE) {
            uint64_t ea = loc_eval(h, &d->src);
            if (d->is_jmp == XM_CHECK && sh_any(m, ea, d->w))
                return 0; /* active bits read as an integer: Python warns */
            if (d->is_jmp == XM_CLEAR)
                sh_clear(m, ea, d->w);
        }
        for (int k = 0; k < b; k++)
            sh_clear(m, X87LOC(t + a + k), 16);
        return 1;
    }
    case X_FLD_MF: {
        const int w = d->w, dst = (t - 1) & 7;
        const uint64_t ea = loc_eval(h, &d->src);
        int64_t n = sh_node_at(m, ea, w);
        if (n <= 0) {
            if (n < 0)
                return 0;
            sh_clear(m, X87LOC(dst), 16);
            return 1;
        }
        uint8_t raw[8];
        if (h->mr(h->uc, ea, raw, (uint64_t)w))
            return 0;
        double v = lane_value(raw, 0, w);
        if (!node_ok(h->tape, n, v, w) || !mf_plain(v, w))
            return 0;
        return x87_emit(h, dst, n, 1.0, 0, 0.0, ld_f80((long double)v), addr, d->code) == 0;
    }
    case X_FST_MF: {
        const int w = d->w;
        int64_t n = sh_node_at(m, X87LOC(t), 10);
        if (n < 0)
            return 0;
        const uint64_t ea = loc_eval(h, &d->src);
        if (!n) {
            if (d->deref)
                sh_clear(m, X87LOC(t), 16);
            sh_clear(m, ea, w);
            return 1;
        }
        F80 f = x87_reg(h, t);
        if (!x87_node_ok(h, n, f) || !f80_plain(f) || !x87_cw_default(h))
            return 0;
        long double x = f80_ld(f);
        double r = w == 8 ? (double)x : (double)(float)x;
        if (!mf_plain(r, w))
            return 0; /* overflow or underflow in the narrower format */
        int64_t node = tape_add(h->tape, n, 1.0, 0, 0.0, r, w, addr, d->code);
        if (node < 0)
            return 0;
        if (d->deref)
            sh_clear(m, X87LOC(t), 16);
        return sh_set_node(m, ea, w, node) == 0;
    }
    case X_UNARY: {
        int64_t n = sh_node_at(m, X87LOC(t), 10);
        if (n <= 0) {
            if (n < 0)
                return 0;
            sh_clear(m, X87LOC(t), 16);
            return 1;
        }
        F80 f = x87_reg(h, t);
        if (!x87_node_ok(h, n, f) || !f80_plain(f) || !x87_cw_default(h))
            return 0;
        long double x = f80_ld(f), r;
        double av = f80_value(f), dx;
        switch (d->w_out) {
        case XA_NEG: r = -x; dx = -1.0; break;
        case XA_ABS: r = fabsl(x); dx = av >= 0 ? 1.0 : -1.0; break;
        default:
            if (x < 0)
                return 0; /* nan */
            r = sqrtl(x);
            dx = av > 0 ? 0.5 / sqrt(av) : (av == 0 ? INFINITY : NAN);
        }
        F80 rf = ld_f80(r);
        if (!f80_plain(rf))
            return 0;
        return x87_emit(h, t, n, dx, 0, 0.0, rf, addr, d->code) == 0;
    }
    case X_ARITH:
    case X_ARITH_INT: {
        const int dp = (t + a) & 7, mem = d->src.kind != 0, w = d->w;
        int64_t na = sh_node_at(m, X87LOC(dp), 10), nb = 0;
        if (na < 0)
            return 0;
        uint64_t ea = 0;
        if (mem) {
            ea = loc_eval(h, &d->src);
            if (d->op == X_ARITH_INT) {
                if (sh_any(m, ea, w))
                    return 0; /* active bits read as an integer: Python warns */
            } else if ((nb = sh_node_at(m, ea, w)) < 0) {
                return 0;
            }
        } else if ((nb = sh_node_at(m, X87LOC(t + b), 10)) < 0) {
            return 0;
        }
        if (!na && !nb) {
            sh_clear(m, X87LOC(dp), 16);
            if (d->deref)
                sh_clear(m, X87LOC(t), 16);
            return 1;
        }
        F80 fa = x87_reg(h, dp);
        if ((na && !x87_node_ok(h, na, fa)) || !f80_plain(fa) || !x87_cw_default(h))
            return 0;
        long double A = f80_ld(fa), B;
        double av = f80_value(fa), bv;
        if (mem) {
            uint8_t raw[8] = {0};
            if (h->mr(h->uc, ea, raw, (uint64_t)w))
                return 0;
            if (d->op == X_ARITH_INT) {
                int64_t iv;
                if (w == 2) {
                    int16_t s;
                    memcpy(&s, raw, 2);
                    iv = s;
                } else if (w == 4) {
                    int32_t s;
                    memcpy(&s, raw, 4);
                    iv = s;
                } else {
                    memcpy(&iv, raw, 8);
                }
                B = (long double)iv;
                bv = (double)iv;
            } else {
                bv = lane_value(raw, 0, w);
                if ((nb && !node_ok(h->tape, nb, bv, w)) || !mf_plain(bv, w))
                    return 0;
                B = (long double)bv;
            }
        } else {
            F80 fb = x87_reg(h, t + b);
            if ((nb && !x87_node_ok(h, nb, fb)) || !f80_plain(fb))
                return 0;
            B = f80_ld(fb);
            bv = f80_value(fb);
        }
        long double r;
        double da, db;
        switch (d->w_out) {
        case XA_ADD: r = A + B; da = 1.0; db = 1.0; break;
        case XA_SUB: r = A - B; da = 1.0; db = -1.0; break;
        case XA_SUBR: r = B - A; da = -1.0; db = 1.0; break;
        case XA_MUL: r = A * B; da = bv; db = av; break;
        case XA_DIV:
            r = A / B;
            da = x87_div(1.0, bv);
            db = -x87_div(x87_div(av, bv), bv);
            break;
        default:
            r = B / A;
            da = -x87_div(x87_div(bv, av), av);
            db = x87_div(1.0, av);
        }
        F80 rf = ld_f80(r);
        if (!f80_plain(rf))
            return 0;
        if (x87_emit(h, dp, na, da, nb, db, rf, addr, d->code) < 0)
            return 0;
        if (d->deref)
            sh_clear(m, X87LOC(t), 16);
        return 1;
    }
    default:
        return 0;
    }
}

/* A long double math-library call (run_call): argument i is the 10 bytes at
 * args + 16 i (mathcalls.begin), validated like any x87 operand. 0: Python's business. */
static int x87_call_args(HotObject *h, CCall *c, uint64_t args)
{
    SMap *m = &h->sh->m;
    for (int i = 0; i < c->nargs; i++) {
        uint64_t loc = args + 16ULL * (uint64_t)i;
        int64_t n = sh_node_at(m, loc, 10);
        uint8_t raw[10];
        if (n < 0 || h->mr(h->uc, loc, raw, 10))
            return 0;
        F80 f;
        memcpy(&f.mant, raw, 8);
        memcpy(&f.se, raw + 8, 2);
        if (n && !x87_node_ok(h, n, f))
            return 0;
        c->nodes[i] = n;
        c->vals[i] = f80_value(f);
    }
    return 1;
}

/* ("x87", kind, op, a, b, pop, w, loc or None, code) -> d (see the field map above) */
static int x87_parse_desc(Desc *d, PyObject *spec)
{
    if (PyTuple_GET_SIZE(spec) != 9)
        return -1;
    const char *kind = PyUnicode_AsUTF8(PyTuple_GET_ITEM(spec, 1));
    const char *op = PyUnicode_AsUTF8(PyTuple_GET_ITEM(spec, 2));
    if (!kind || !op)
        return -1;
    int k = -1, o = -1;
    for (int i = 0; i < (int)(sizeof x87_kinds / sizeof *x87_kinds); i++)
        if (!strcmp(kind, x87_kinds[i]))
            k = i;
    for (int i = 0; i < (int)(sizeof x87_ops / sizeof *x87_ops); i++)
        if (!strcmp(op, x87_ops[i]))
            o = i;
    long a = PyLong_AsLong(PyTuple_GET_ITEM(spec, 3));
    long b = PyLong_AsLong(PyTuple_GET_ITEM(spec, 4));
    long pop = PyLong_AsLong(PyTuple_GET_ITEM(spec, 5));
    long w = PyLong_AsLong(PyTuple_GET_ITEM(spec, 6));
    long code = PyLong_AsLong(PyTuple_GET_ITEM(spec, 8));
    PyObject *loc = PyTuple_GET_ITEM(spec, 7);
    if (PyErr_Occurred() || k < 0 || o < 0 || a < -8 || a > 8 || b < 0 || b > 8 || pop < 0 ||
        pop > 2 || w < 0 || w > 10 || code < 0 || code > 0xFFFF || X87_FP0 < 0)
        return -1;
    if (loc != Py_None && parse_loc(loc, &d->src) < 0)
        return -1;
    int mem = loc != Py_None;
    switch (k) {
    case X_FLD_M80: case X_FST_M80: if (!mem || w != 10) return -1; break;
    case X_FLD_MF: case X_FST_MF: if (!mem || (w != 4 && w != 8)) return -1; break;
    case X_ARITH: if (o > XA_DIVR || (mem && w != 4 && w != 8)) return -1; break;
    case X_ARITH_INT: if (o > XA_DIVR || !mem || (w != 2 && w != 4 && w != 8)) return -1; break;
    case X_UNARY: if (o < XA_NEG || o > XA_SQRT) return -1; break;
    case X_PASSIVE: if (pop > 2 || (mem && w != 2 && w != 4 && w != 8 && w != 10)) return -1;
                    break;
    default: break;
    }
    d->kind = D_X87;
    d->op = (uint8_t)k;
    d->w_out = (uint8_t)o;
    d->di = (uint8_t)(a & 7);
    d->lanes = (uint8_t)b;
    d->deref = (uint8_t)(k == X_PASSIVE ? 0 : pop);
    d->is_jmp = (uint8_t)(k == X_PASSIVE ? pop : 0); /* XM_*: what happens to the memory */
    d->w = (uint8_t)w;
    d->code = (uint16_t)code;
    return 0;
}

static PyMethodDef x87_functions[] = {
    {"set_x87_regs", (PyCFunction)set_x87_regs, METH_VARARGS,
     "set_x87_regs(fp0, fpsw, fpcw): Unicorn's register ids for the compiled x87 path."},
    {NULL}};

static int x87_module_init(PyObject *m)
{
    if (PyType_Ready(&Bits80Type) < 0 || PyModule_AddFunctions(m, x87_functions) < 0)
        return -1;
    Py_INCREF(&Bits80Type);
    if (PyModule_AddObject(m, "Bits80", (PyObject *)&Bits80Type) < 0) {
        Py_DECREF(&Bits80Type);
        return -1;
    }
    return 0;
}
