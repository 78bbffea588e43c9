/* Compiled twins of the reference sweep loops in sweep.py (`_loop_reverse`, `_loop_forward`).
 *
 * Why a separate extension: the sweeps have nothing to do with recording, so they live apart
 * from the recorder's hot path (_hot.c). Each function does exactly the floating-point
 * operations of the Python reference loop, in the same order, per seed, so results are
 * bit-identical to it (tests/test_sweep.py checks that); it only runs them without the
 * interpreter: ~10 ns per node instead of ~1 µs.
 *
 * Arguments are numpy arrays checked by sweep.py before the call (C-contiguous, right dtype,
 * shapes consistent with the window): parents int64 or int32 (hi+1, 2), partials float64
 * (hi+1, 2), X float64 (m+1, k) with m = hi-lo+1, row r holding node lo-1+r for r >= 1 (row
 * 0 unused).
 * Parents below lo carry nothing into the window: their tangent is 0 (forward, skipped by the
 * zero convention) and their adjoint is never read (reverse: every input is >= lo).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

static int get_buf(PyObject *o, Py_buffer *b, int writable, const char *what)
{
    if (PyObject_GetBuffer(o, b, PyBUF_C_CONTIGUOUS | (writable ? PyBUF_WRITABLE : 0)) < 0) {
        PyErr_Format(PyExc_TypeError, "%s: a C-contiguous buffer is needed", what);
        return -1;
    }
    return 0;
}

/* Parents: int64, or int32 (the compiled recorder's tapes below 2^31 nodes). */
static int get_parents(PyObject *o, Py_buffer *b)
{
    if (PyObject_GetBuffer(o, b, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
        PyErr_SetString(PyExc_TypeError, "parents: a C-contiguous buffer is needed");
        return -1;
    }
    const char *f = b->format ? b->format : "B";
    if (*f == '<' || *f == '=' || *f == '@')
        f++;
    if (!((b->itemsize == 4 && (*f == 'i' || *f == 'l')) ||
          (b->itemsize == 8 && (*f == 'l' || *f == 'q')))) {
        PyBuffer_Release(b);
        PyErr_SetString(PyExc_TypeError, "parents: int32 or int64 entries are needed");
        return -1;
    }
    return 0;
}

/* Parse (parents, partials, X, lo, hi, k[, first, last]) and check the sizes against each
 * other. Nodes first+1..last are swept (default lo+1..hi): sweep.py passes consecutive
 * stretches of a spilled tape, so that it can let go of each one's pages once it is done;
 * the operations and their order are those of one call over the whole window. */
static int parse(PyObject *args, Py_buffer *P, Py_buffer *D, Py_buffer *X, Py_ssize_t *lo,
                 Py_ssize_t *hi, Py_ssize_t *k, Py_ssize_t *first, Py_ssize_t *last)
{
    PyObject *po, *dobj, *xo;
    *first = -1;
    *last = -1;
    if (!PyArg_ParseTuple(args, "OOOnnn|nn", &po, &dobj, &xo, lo, hi, k, first, last))
        return -1;
    if (*first < 0)
        *first = *lo;
    if (*last < 0)
        *last = *hi;
    if (*first < *lo || *last > *hi) {
        PyErr_SetString(PyExc_ValueError, "sweep: first/last outside the window lo..hi");
        return -1;
    }
    if (get_parents(po, P) < 0)
        return -1;
    if (get_buf(dobj, D, 0, "partials") < 0) {
        PyBuffer_Release(P);
        return -1;
    }
    if (get_buf(xo, X, 1, "X") < 0) {
        PyBuffer_Release(P);
        PyBuffer_Release(D);
        return -1;
    }
    Py_ssize_t m = *hi - *lo + 1;
    if (*lo < 1 || m < 1 || *k < 1 || P->len < (*hi + 1) * 2 * P->itemsize || D->len < (*hi + 1) * 2 * 8
        || X->len < (m + 1) * *k * 8) {
        PyBuffer_Release(P);
        PyBuffer_Release(D);
        PyBuffer_Release(X);
        PyErr_SetString(PyExc_ValueError, "sweep: inconsistent array sizes");
        return -1;
    }
    return 0;
}

static void release(Py_buffer *P, Py_buffer *D, Py_buffer *X)
{
    PyBuffer_Release(P);
    PyBuffer_Release(D);
    PyBuffer_Release(X);
}

/* Row of node i in X (k values), or NULL for a node below the window (see the top). */
static inline double *row(double *X, int64_t i, Py_ssize_t lo, Py_ssize_t k)
{
    return i >= lo ? X + (i - (lo - 1)) * k : NULL;
}

/* reverse(parents, partials, A, lo, hi, k[, first, last]): adjoints of nodes last (hi) down
 * to first+1 (lo+1) flow to their parents; A is updated in place. */
static PyObject *sweep_reverse(PyObject *self, PyObject *args)
{
    Py_buffer P, D, X;
    Py_ssize_t lo, hi, k, first, last;
    if (parse(args, &P, &D, &X, &lo, &hi, &k, &first, &last) < 0)
        return NULL;
    const double *d = D.buf;
    double *A = X.buf;
    Py_BEGIN_ALLOW_THREADS
#define REVERSE(T)                                                                         \
    do {                                                                                   \
        const T *par = P.buf;                                                              \
        for (Py_ssize_t node = last; node > first; node--) {                              \
            const int64_t i1 = par[2 * node], i2 = par[2 * node + 1];                      \
            const double d1 = d[2 * node], d2 = d[2 * node + 1];                           \
            double *a = row(A, node, lo, k), *a1 = row(A, i1, lo, k), *a2 = row(A, i2, lo, k); \
            for (Py_ssize_t s = 0; s < k; s++) {                                           \
                const double ak = a[s];                                                    \
                if (ak != 0.0) { /* zero convention; NaN != 0 so NaN propagates */         \
                    if (a1)                                                                \
                        a1[s] += ak * d1;                                                  \
                    if (a2)                                                                \
                        a2[s] += ak * d2;                                                  \
                }                                                                          \
            }                                                                              \
        }                                                                                  \
    } while (0)
    if (P.itemsize == 4)
        REVERSE(int32_t);
    else
        REVERSE(int64_t);
#undef REVERSE
    Py_END_ALLOW_THREADS
    release(&P, &D, &X);
    Py_RETURN_NONE;
}

/* forward(parents, partials, T, lo, hi, k[, first, last]): tangents of nodes first+1 (lo+1)
 * up to last (hi) gather their parents' tangents; T is updated in place. */
static PyObject *sweep_forward(PyObject *self, PyObject *args)
{
    Py_buffer P, D, X;
    Py_ssize_t lo, hi, k, first, last;
    if (parse(args, &P, &D, &X, &lo, &hi, &k, &first, &last) < 0)
        return NULL;
    const double *d = D.buf;
    double *T = X.buf;
    Py_BEGIN_ALLOW_THREADS
#define FORWARD(TY)                                                                        \
    do {                                                                                   \
        const TY *par = P.buf;                                                             \
        for (Py_ssize_t node = first + 1; node <= last; node++) {                         \
            const int64_t i1 = par[2 * node], i2 = par[2 * node + 1];                      \
            const double d1 = d[2 * node], d2 = d[2 * node + 1];                           \
            double *t = row(T, node, lo, k);                                               \
            const double *t1 = row(T, i1, lo, k), *t2 = row(T, i2, lo, k);                 \
            for (Py_ssize_t s = 0; s < k; s++) {                                           \
                double acc = t[s];                                                         \
                if (t1 && t1[s] != 0.0) /* zero convention */                              \
                    acc += d1 * t1[s];                                                     \
                if (t2 && t2[s] != 0.0)                                                    \
                    acc += d2 * t2[s];                                                     \
                t[s] = acc;                                                                \
            }                                                                              \
        }                                                                                  \
    } while (0)
    if (P.itemsize == 4)
        FORWARD(int32_t);
    else
        FORWARD(int64_t);
#undef FORWARD
    Py_END_ALLOW_THREADS
    release(&P, &D, &X);
    Py_RETURN_NONE;
}

/* depths(parents, sites, is_input, out, first, last): the depth of nodes first..last-1 as
 * the recorder's builder defines it (tape.recorded_depth, its Python twin): 0 for node 0 and
 * for inputs (nodes whose site is flagged in is_input), else one more than the deeper
 * parent. The compiled tape does not store depths; a finished tape computes them once asked,
 * a stretch at a time when it is spilled. */
static PyObject *sweep_depths(PyObject *self, PyObject *args)
{
    PyObject *po, *so, *io, *oo;
    Py_ssize_t first, last;
    Py_buffer P, S, I, O;
    if (!PyArg_ParseTuple(args, "OOOOnn", &po, &so, &io, &oo, &first, &last))
        return NULL;
    if (get_parents(po, &P) < 0)
        return NULL;
    if (get_buf(so, &S, 0, "sites") < 0) {
        PyBuffer_Release(&P);
        return NULL;
    }
    if (get_buf(io, &I, 0, "is_input") < 0) {
        PyBuffer_Release(&P);
        PyBuffer_Release(&S);
        return NULL;
    }
    if (get_buf(oo, &O, 1, "out") < 0) {
        PyBuffer_Release(&P);
        PyBuffer_Release(&S);
        PyBuffer_Release(&I);
        return NULL;
    }
    const int64_t *par = P.buf;
    const int32_t *par32 = P.buf;
    const int narrow = P.itemsize == 4;
    const uint32_t *site = S.buf;
    const uint8_t *inp = I.buf;
    int32_t *out = O.buf;
    Py_ssize_t n = O.len / 4;
    int ok = first >= 0 && last <= n && first <= last && P.len >= n * 2 * P.itemsize &&
             S.len >= n * 4;
    if (ok) {
        Py_BEGIN_ALLOW_THREADS
        for (Py_ssize_t k = first; k < last && ok; k++) {
            int64_t a = narrow ? par32[2 * k] : par[2 * k];
            int64_t b = narrow ? par32[2 * k + 1] : par[2 * k + 1];
            uint32_t s = site[k];
            if ((Py_ssize_t)s >= I.len || a < 0 || b < 0 || (k && (a >= k || b >= k))) {
                ok = 0;
                break;
            }
            if (k == 0 || inp[s]) {
                out[k] = 0;
            } else {
                int32_t da = out[a], db = out[b];
                out[k] = (da > db ? da : db) + 1;
            }
        }
        Py_END_ALLOW_THREADS
    }
    PyBuffer_Release(&P);
    PyBuffer_Release(&S);
    PyBuffer_Release(&I);
    PyBuffer_Release(&O);
    if (!ok) {
        PyErr_SetString(PyExc_ValueError, "depths: inconsistent arrays");
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"depths", sweep_depths, METH_VARARGS,
     "depths(parents, sites, is_input, out, first, last)"},
    {"reverse", sweep_reverse, METH_VARARGS,
     "reverse(parents, partials, A, lo, hi, k[, first, last])"},
    {"forward", sweep_forward, METH_VARARGS,
     "forward(parents, partials, T, lo, hi, k[, first, last])"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_sweep",
                                    "Compiled twins of sweep.py's reference loops.", -1,
                                    methods};

PyMODINIT_FUNC PyInit__sweep(void) { return PyModule_Create(&module); }
