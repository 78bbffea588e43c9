/* revad_emu._hot: the recorder's per-instruction hot path, compiled.
 *
 * Three objects, mirroring the pure-Python reference implementation:
 *   Shadow  - byte-granular map location -> node entry (shadow.py), as an open-addressing
 *             hash table of 8-byte slots; entry 0 = passive, node << 4 | k = byte k of a
 *             node's value, negative = taint written by a bit trick.
 *   Tape    - the growable tape columns (tape.TapeBuilder) plus the value width of each node.
 *   Hot     - a Unicorn code hook written in C. Per address it holds a small descriptor built
 *             by the Python isa tables (a data move, an SSE arithmetic lane rule, an integer
 *             instruction's reads and writes). It runs the descriptor's happy path without
 *             touching Python; anything unusual (a stale or partial operand, a warning to
 *             give, a non-default rounding mode, an instruction without a descriptor) calls
 *             the Python handler instead, *before* any state has changed, so both paths give
 *             the same tape.
 * The hook runs inside uc_emu_start, which ctypes calls with the GIL released: the C path
 * takes no GIL; the Python fallback takes it.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* ===================================================================== shadow map */

#define K_EMPTY 0ULL
#define K_TOMB 1ULL /* stored keys are slot index + 2 */

typedef struct {
    uint64_t key;
    int64_t e[8];
} Slot;

/* Register shadows (above 2^60, see shadow.py) live in a direct array: they are touched by
 * almost every instruction, and a call clobbers dozens of them at once. */
#define REGK0 ((1ULL << 60) >> 3)
#define NREGK 0x420 /* GPRs at +0, XMM (32 bytes each) at +0x200, x87 at +0x400 */

typedef struct {
    Slot *t;
    uint64_t cap; /* power of two */
    uint64_t live; /* occupied slots, registers included */
    uint64_t filled; /* occupied + tombstones in t */
    /* Memory slots (in t) and bounds of their keys: every occupied key of t lies in
     * [klo, khi]. The bounds only widen while mem_live > 0 and start afresh at the next
     * insertion once it is 0, so a look-up outside them is a miss without hashing (the
     * common case of passive code: its stores and loads are nowhere near the active data). */
    uint64_t mem_live, klo, khi;
    Slot regs[NREGK]; /* key != 0: occupied */
} SMap;

static inline uint64_t mix64(uint64_t k)
{
    k *= 0x9E3779B97F4A7C15ULL;
    return k ^ (k >> 31);
}

/* Home slot of shadow key k (an 8-byte word): the eight words of one 64-byte line are
 * hashed together and sit side by side, so arrays walked in order (stencils, memcpy) touch
 * neighbouring slots instead of a random slot per word. */
static inline uint64_t sm_home(uint64_t k, uint64_t mask)
{
    return ((mix64(k >> 3) << 3) | (k & 7)) & mask;
}

static int sm_init(SMap *m, uint64_t cap)
{
    m->t = (Slot *)calloc(cap, sizeof(Slot));
    if (!m->t)
        return -1;
    m->cap = cap;
    m->live = m->filled = m->mem_live = 0;
    m->klo = m->khi = 0;
    return 0;
}

static inline Slot *sm_find(const SMap *m, uint64_t k)
{
    if (!m->live)
        return NULL;
    if (k - REGK0 < NREGK) {
        const Slot *r = &m->regs[k - REGK0];
        return r->key ? (Slot *)r : NULL;
    }
    if (k < m->klo || k > m->khi || !m->mem_live)
        return NULL;
    uint64_t key = k + 2, mask = m->cap - 1, i = sm_home(k, mask);
    for (;;) {
        Slot *s = &m->t[i];
        if (s->key == key)
            return s;
        if (s->key == K_EMPTY)
            return NULL;
        i = (i + 1) & mask;
    }
}

static int sm_rehash(SMap *m, uint64_t cap)
{
    Slot *old = m->t;
    uint64_t oldcap = m->cap;
    Slot *t = (Slot *)calloc(cap, sizeof(Slot));
    if (!t)
        return -1;
    uint64_t mask = cap - 1;
    for (uint64_t j = 0; j < oldcap; j++) {
        if (old[j].key > K_TOMB) {
            uint64_t i = sm_home(old[j].key - 2, mask);
            while (t[i].key != K_EMPTY)
                i = (i + 1) & mask;
            t[i] = old[j];
        }
    }
    uint64_t in_t = 0;
    for (uint64_t j = 0; j < cap; j++)
        in_t += t[j].key > K_TOMB;
    free(old);
    m->t = t;
    m->cap = cap;
    m->filled = in_t;
    return 0;
}

/* The slot for k, created zeroed if absent (NULL only when out of memory). */
static Slot *sm_insert(SMap *m, uint64_t k)
{
    if (k - REGK0 < NREGK) {
        Slot *r = &m->regs[k - REGK0];
        if (!r->key) {
            r->key = k + 2;
            memset(r->e, 0, sizeof r->e);
            m->live++;
        }
        return r;
    }
    if ((m->filled + 1) * 2 > m->cap) {
        uint64_t cap = m->cap;
        while ((m->live + 1) * 4 > cap)
            cap *= 2;
        if (sm_rehash(m, cap) < 0)
            return NULL;
    }
    uint64_t key = k + 2, mask = m->cap - 1, i = sm_home(k, mask);
    Slot *tomb = NULL;
    for (;;) {
        Slot *s = &m->t[i];
        if (s->key == key)
            return s;
        if (s->key == K_EMPTY) {
            if (tomb)
                s = tomb;
            else
                m->filled++;
            s->key = key;
            memset(s->e, 0, sizeof s->e);
            m->live++;
            if (!m->mem_live++) {
                m->klo = m->khi = k;
            } else if (k < m->klo) {
                m->klo = k;
            } else if (k > m->khi) {
                m->khi = k;
            }
            return s;
        }
        if (s->key == K_TOMB && !tomb)
            tomb = s;
        i = (i + 1) & mask;
    }
}

static inline void sm_remove(SMap *m, Slot *s)
{
    m->live--;
    if (s >= m->regs && s < m->regs + NREGK) {
        s->key = K_EMPTY;
        return;
    }
    s->key = K_TOMB;
    m->mem_live--;
    if (!m->live && m->filled > 64) { /* empty again: drop the tombstones */
        memset(m->t, 0, m->cap * sizeof(Slot));
        m->filled = 0;
    }
}

static inline int slot_empty(const Slot *s)
{
    for (int j = 0; j < 8; j++)
        if (s->e[j])
            return 0;
    return 1;
}

/* ------------------------------------------------------------ byte operations */

/* Entries of loc..loc+n-1 into out; returns 1 if any is non-zero. */
static int sh_get(const SMap *m, uint64_t loc, int64_t n, int64_t *out)
{
    int any = 0;
    int64_t i = 0;
    while (i < n) {
        uint64_t a = loc + (uint64_t)i;
        int o = (int)(a & 7);
        int64_t c = 8 - o;
        if (c > n - i)
            c = n - i;
        const Slot *s = sm_find(m, a >> 3);
        if (s) {
            for (int64_t j = 0; j < c; j++) {
                out[i + j] = s->e[o + j];
                any |= s->e[o + j] != 0;
            }
        } else {
            memset(out + i, 0, (size_t)c * sizeof(int64_t));
        }
        i += c;
    }
    return any;
}

static void sh_clear_big(SMap *m, uint64_t lo, uint64_t hi);

static void sh_clear(SMap *m, uint64_t loc, uint64_t n)
{
    if (!m->live || !n)
        return;
    if ((n >> 3) > m->live + 8) {
        sh_clear_big(m, loc, loc + n);
        return;
    }
    uint64_t i = 0;
    while (i < n) {
        uint64_t a = loc + i;
        int o = (int)(a & 7);
        uint64_t c = 8 - (uint64_t)o;
        if (c > n - i)
            c = n - i;
        Slot *s = sm_find(m, a >> 3);
        if (s) {
            if (c == 8) {
                sm_remove(m, s);
            } else {
                memset(s->e + o, 0, c * sizeof(int64_t));
                if (slot_empty(s))
                    sm_remove(m, s);
            }
        }
        i += c;
    }
}

/* Clear [lo, hi) by scanning the table (for ranges much larger than the shadow). */
static void sh_clear_big(SMap *m, uint64_t lo, uint64_t hi)
{
    uint64_t klo = lo >> 3, khi = (hi + 7) >> 3;
    for (uint64_t j = 0; j < m->cap + NREGK && m->live; j++) {
        Slot *s = j < m->cap ? &m->t[j] : &m->regs[j - m->cap];
        if (s->key <= K_TOMB)
            continue;
        uint64_t k = s->key - 2;
        if (k < klo || k >= khi)
            continue;
        uint64_t base = k << 3;
        uint64_t a = lo > base ? lo : base;
        uint64_t b = hi < base + 8 ? hi : base + 8;
        if (a == base && b == base + 8) {
            sm_remove(m, s);
        } else {
            memset(s->e + (a - base), 0, (b - a) * sizeof(int64_t));
            if (slot_empty(s))
                sm_remove(m, s);
        }
    }
}

static int sh_put(SMap *m, uint64_t loc, int64_t n, const int64_t *ents)
{
    int64_t i = 0;
    while (i < n) {
        uint64_t a = loc + (uint64_t)i;
        int o = (int)(a & 7);
        int64_t c = 8 - o;
        if (c > n - i)
            c = n - i;
        int nz = 0;
        for (int64_t j = 0; j < c; j++)
            nz |= ents[i + j] != 0;
        if (!nz) {
            sh_clear(m, a, (uint64_t)c);
        } else {
            Slot *s = sm_insert(m, a >> 3);
            if (!s)
                return -1;
            int64_t *dst = s->e + o; /* a plain loop: memcpy became a slow `rep movsq` */
            for (int64_t j = 0; j < c; j++)
                dst[j] = ents[i + j];
        }
        i += c;
    }
    return 0;
}

static int sh_copy_big(SMap *m, uint64_t src, uint64_t dst, int64_t n);

/* sh_copy of 8-byte aligned, non-overlapping ranges (register-to-register moves, aligned
 * spills and reloads): whole slots move as they are. A stored slot always holds a non-zero
 * entry (every writer removes a slot it empties), so copying one is what sh_put of its
 * entries does, and a missing one clears the destination slot. */
static int sh_copy_slots(SMap *m, uint64_t src, uint64_t dst, int64_t n)
{
    for (int64_t i = 0; i < n; i += 8) {
        const Slot *s = sm_find(m, (src + (uint64_t)i) >> 3);
        if (s) {
            int64_t e[8];
            for (int k = 0; k < 8; k++) /* before sm_insert: it may rehash the table */
                e[k] = s->e[k];
            Slot *d = sm_insert(m, (dst + (uint64_t)i) >> 3);
            if (!d)
                return -1;
            for (int k = 0; k < 8; k++)
                d->e[k] = e[k];
        } else {
            Slot *d = sm_find(m, (dst + (uint64_t)i) >> 3);
            if (d)
                sm_remove(m, d);
        }
    }
    return 0;
}

static int sh_copy(SMap *m, uint64_t src, uint64_t dst, int64_t n)
{
    int64_t buf[64];
    if (!((src | dst | (uint64_t)n) & 7) && n <= 64 &&
        (dst + (uint64_t)n <= src || src + (uint64_t)n <= dst))
        return sh_copy_slots(m, src, dst, n);
    if (n > 64)
        return sh_copy_big(m, src, dst, n);
    if (sh_get(m, src, n, buf))
        return sh_put(m, dst, n, buf);
    sh_clear(m, dst, (uint64_t)n);
    return 0;
}

/* A large move (mremap of a heap block): work and memory bounded by the active slots in
 * the source, never by the bytes moved. The active slots are snapshotted first, so
 * overlapping ranges move like memmove. */
static int sh_copy_big(SMap *m, uint64_t src, uint64_t dst, int64_t n)
{
    uint64_t klo = src >> 3, khi = (src + (uint64_t)n + 7) >> 3, cnt = 0, cap = 64;
    Slot *snap = (Slot *)malloc(cap * sizeof(Slot));
    if (!snap)
        return -1;
    int scan_table = khi - klo > m->live;
    uint64_t end = scan_table ? m->cap + NREGK : khi - klo;
    for (uint64_t j = 0; j < end; j++) {
        const Slot *s;
        if (scan_table) {
            s = j < m->cap ? &m->t[j] : &m->regs[j - m->cap];
            if (s->key <= K_TOMB || s->key - 2 < klo || s->key - 2 >= khi)
                continue;
        } else if (!(s = sm_find(m, klo + j))) {
            continue;
        }
        if (cnt == cap) {
            Slot *more = (Slot *)realloc(snap, 2 * cap * sizeof(Slot));
            if (!more) {
                free(snap);
                return -1;
            }
            snap = more;
            cap *= 2;
        }
        snap[cnt++] = *s;
    }
    sh_clear(m, dst, (uint64_t)n);
    int rc = 0;
    for (uint64_t i = 0; i < cnt && rc == 0; i++) {
        uint64_t base = (snap[i].key - 2) << 3;
        uint64_t a = src > base ? src : base;
        uint64_t b = src + (uint64_t)n < base + 8 ? src + (uint64_t)n : base + 8;
        rc = sh_put(m, dst + (a - src), (int64_t)(b - a), snap[i].e + (a - base));
    }
    free(snap);
    return rc;
}

static int sh_any(const SMap *m, uint64_t loc, int64_t n)
{
    if (!m->live)
        return 0;
    int64_t buf[64];
    while (n > 0) {
        int64_t c = n > 64 ? 64 : n;
        if (sh_get(m, loc, c, buf))
            return 1;
        loc += (uint64_t)c;
        n -= c;
    }
    return 0;
}

/* Node whose whole value (width bytes) sits at loc; 0 passive, -1 partial/taint. */
static inline int64_t sh_node_at(const SMap *m, uint64_t loc, int w)
{
    if (!m->live)
        return 0;
    int64_t buf[16];
    const int64_t *e;
    int o = (int)(loc & 7);
    if (o + w <= 8) {
        const Slot *s = sm_find(m, loc >> 3);
        if (!s)
            return 0;
        e = s->e + o;
    } else {
        if (w > 16)
            return -1;
        if (!sh_get(m, loc, w, buf))
            return 0;
        e = buf;
    }
    int64_t e0 = e[0];
    if (e0 > 0 && !(e0 & 15)) {
        int ok = 1;
        for (int k = 1; k < w; k++)
            if (e[k] != e0 + k) {
                ok = 0;
                break;
            }
        if (ok)
            return e0 >> 4;
    }
    for (int k = 0; k < w; k++)
        if (e[k])
            return -1;
    return 0;
}

static int sh_set_node(SMap *m, uint64_t loc, int w, int64_t node)
{
    if (node == 0) {
        sh_clear(m, loc, (uint64_t)w);
        return 0;
    }
    int o = (int)(loc & 7);
    if (o + w <= 8) { /* within one slot: what sh_put does, without the buffer */
        Slot *s = sm_insert(m, loc >> 3);
        if (!s)
            return -1;
        for (int k = 0; k < w; k++)
            s->e[o + k] = (node << 4) + k;
        return 0;
    }
    int64_t ents[16];
    for (int k = 0; k < w && k < 16; k++)
        ents[k] = (node << 4) + k;
    return sh_put(m, loc, w, ents);
}

/* ===================================================================== address maps */
/* uint64 -> uint64 open-addressing map (keys stored + 1, 0 = empty; no deletion): the
 * descriptors by instruction address, call targets, vetted translation blocks. */

typedef struct {
    uint64_t *keys, *vals;
    uint64_t cap, n;
} UMap;

static uint64_t *um_get(const UMap *u, uint64_t key)
{
    if (!u->cap)
        return NULL;
    uint64_t mask = u->cap - 1, i = mix64(key) & mask;
    for (;;) {
        if (u->keys[i] == key + 1)
            return &u->vals[i];
        if (!u->keys[i])
            return NULL;
        i = (i + 1) & mask;
    }
}

/* Insert a key known to be absent. */
static int um_put(UMap *u, uint64_t key, uint64_t val)
{
    if ((u->n + 1) * 2 > u->cap) {
        uint64_t cap = u->cap ? u->cap * 2 : 1024;
        uint64_t *keys = calloc(cap, 8), *vals = calloc(cap, 8);
        if (!keys || !vals) {
            free(keys);
            free(vals);
            return -1;
        }
        for (uint64_t j = 0; j < u->cap; j++)
            if (u->keys[j]) {
                uint64_t i = mix64(u->keys[j] - 1) & (cap - 1);
                while (keys[i])
                    i = (i + 1) & (cap - 1);
                keys[i] = u->keys[j];
                vals[i] = u->vals[j];
            }
        free(u->keys);
        free(u->vals);
        u->keys = keys;
        u->vals = vals;
        u->cap = cap;
    }
    uint64_t i = mix64(key) & (u->cap - 1);
    while (u->keys[i])
        i = (i + 1) & (u->cap - 1);
    u->keys[i] = key + 1;
    u->vals[i] = val;
    u->n++;
    return 0;
}

static void um_free(UMap *u)
{
    free(u->keys);
    free(u->vals);
    memset(u, 0, sizeof *u);
}

/* ===================================================================== Shadow type */

typedef struct {
    PyObject_HEAD SMap m;
} ShadowObject;

static PyTypeObject ShadowType;

static int Shadow_init(ShadowObject *self, PyObject *args, PyObject *kw)
{
    if (!PyArg_ParseTuple(args, ""))
        return -1;
    free(self->m.t);
    memset(&self->m, 0, sizeof self->m);
    if (sm_init(&self->m, 64) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static void Shadow_dealloc(ShadowObject *self)
{
    free(self->m.t);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static Py_ssize_t Shadow_len(ShadowObject *self) { return (Py_ssize_t)self->m.live; }

static PyObject *Shadow_node_at(ShadowObject *self, PyObject *const *a, Py_ssize_t n)
{
    if (n != 2)
        return PyErr_Format(PyExc_TypeError, "node_at(loc, width)");
    uint64_t loc = PyLong_AsUnsignedLongLongMask(a[0]);
    long w = PyLong_AsLong(a[1]);
    if (PyErr_Occurred())
        return NULL;
    if (w <= 0 || w > 16)
        return PyErr_Format(PyExc_ValueError, "width %ld", w);
    return PyLong_FromLongLong(sh_node_at(&self->m, loc, (int)w));
}

static PyObject *Shadow_set_node(ShadowObject *self, PyObject *const *a, Py_ssize_t n)
{
    if (n != 3)
        return PyErr_Format(PyExc_TypeError, "set_node(loc, width, node)");
    uint64_t loc = PyLong_AsUnsignedLongLongMask(a[0]);
    long w = PyLong_AsLong(a[1]);
    long long node = PyLong_AsLongLong(a[2]);
    if (PyErr_Occurred())
        return NULL;
    if (w <= 0 || w > 16)
        return PyErr_Format(PyExc_ValueError, "width %ld", w);
    if (sh_set_node(&self->m, loc, (int)w, node) < 0)
        return PyErr_NoMemory();
    Py_RETURN_NONE;
}

static PyObject *Shadow_get(ShadowObject *self, PyObject *const *a, Py_ssize_t n)
{
    if (n != 2)
        return PyErr_Format(PyExc_TypeError, "get(loc, n)");
    uint64_t loc = PyLong_AsUnsignedLongLongMask(a[0]);
    Py_ssize_t cnt = PyLong_AsSsize_t(a[1]);
    if (PyErr_Occurred())
        return NULL;
    if (cnt <= 0 || !self->m.live)
        Py_RETURN_NONE;
    int64_t stackbuf[64];
    int64_t *buf = cnt <= 64 ? stackbuf : (int64_t *)malloc((size_t)cnt * sizeof(int64_t));
    if (!buf)
        return PyErr_NoMemory();
    PyObject *out = NULL;
    if (!sh_get(&self->m, loc, cnt, buf)) {
        out = Py_None;
        Py_INCREF(out);
    } else if ((out = PyList_New(cnt))) {
        for (Py_ssize_t i = 0; i < cnt; i++) {
            PyObject *v;
            if (buf[i]) {
                v = PyLong_FromLongLong(buf[i]);
                if (!v) {
                    Py_CLEAR(out);
                    break;
                }
            } else {
                v = Py_None;
                Py_INCREF(v);
            }
            PyList_SET_ITEM(out, i, v);
        }
    }
    if (buf != stackbuf)
        free(buf);
    return out;
}

static PyObject *Shadow_put(ShadowObject *self, PyObject *const *a, Py_ssize_t n)
{
    if (n != 2)
        return PyErr_Format(PyExc_TypeError, "put(loc, entries)");
    uint64_t loc = PyLong_AsUnsignedLongLongMask(a[0]);
    if (PyErr_Occurred())
        return NULL;
    PyObject *seq = PySequence_Fast(a[1], "put: entries must be a sequence");
    if (!seq)
        return NULL;
    Py_ssize_t cnt = PySequence_Fast_GET_SIZE(seq);
    int64_t stackbuf[64];
    int64_t *buf = cnt <= 64 ? stackbuf : (int64_t *)malloc((size_t)(cnt ? cnt : 1) * 8);
    if (!buf) {
        Py_DECREF(seq);
        return PyErr_NoMemory();
    }
    PyObject **items = PySequence_Fast_ITEMS(seq);
    for (Py_ssize_t i = 0; i < cnt; i++) {
        if (items[i] == Py_None) {
            buf[i] = 0;
        } else {
            buf[i] = PyLong_AsLongLong(items[i]);
            if (buf[i] == -1 && PyErr_Occurred()) {
                if (buf != stackbuf)
                    free(buf);
                Py_DECREF(seq);
                return NULL;
            }
        }
    }
    int rc = sh_put(&self->m, loc, cnt, buf);
    if (buf != stackbuf)
        free(buf);
    Py_DECREF(seq);
    if (rc < 0)
        return PyErr_NoMemory();
    Py_RETURN_NONE;
}

static PyObject *Shadow_clear(ShadowObject *self, PyObject *const *a, Py_ssize_t n)
{
    if (n != 2)
        return PyErr_Format(PyExc_TypeError, "clear(loc, n)");
    uint64_t loc = PyLong_AsUnsignedLongLongMask(a[0]);
    long long cnt = PyLong_AsLongLong(a[1]);
    if (PyErr_Occurred())
        return NULL;
    if (cnt > 0)
        sh_clear(&self->m, loc, (uint64_t)cnt);
    Py_RETURN_NONE;
}

static PyObject *Shadow_clear_range(ShadowObject *self, PyObject *const *a, Py_ssize_t n)
{
    if (n != 2)
        return PyErr_Format(PyExc_TypeError, "clear_range(lo, hi)");
    uint64_t lo = PyLong_AsUnsignedLongLongMask(a[0]);
    uint64_t hi = PyLong_AsUnsignedLongLongMask(a[1]);
    if (PyErr_Occurred())
        return NULL;
    if (hi > lo)
        sh_clear(&self->m, lo, hi - lo);
    Py_RETURN_NONE;
}

static PyObject *Shadow_copy(ShadowObject *self, PyObject *const *a, Py_ssize_t n)
{
    if (n != 3)
        return PyErr_Format(PyExc_TypeError, "copy(src, dst, n)");
    uint64_t src = PyLong_AsUnsignedLongLongMask(a[0]);
    uint64_t dst = PyLong_AsUnsignedLongLongMask(a[1]);
    long long cnt = PyLong_AsLongLong(a[2]);
    if (PyErr_Occurred())
        return NULL;
    if (cnt > 0 && self->m.live && sh_copy(&self->m, src, dst, cnt) < 0)
        return PyErr_NoMemory();
    Py_RETURN_NONE;
}

static PyObject *Shadow_any_active(ShadowObject *self, PyObject *const *a, Py_ssize_t n)
{
    if (n != 2)
        return PyErr_Format(PyExc_TypeError, "any_active(loc, n)");
    uint64_t loc = PyLong_AsUnsignedLongLongMask(a[0]);
    long long cnt = PyLong_AsLongLong(a[1]);
    if (PyErr_Occurred())
        return NULL;
    return PyBool_FromLong(cnt > 0 && sh_any(&self->m, loc, cnt));
}

static PyObject *Shadow_clear_slots(ShadowObject *self, PyObject *keys)
{
    PyObject *it = PyObject_GetIter(keys);
    if (!it)
        return NULL;
    PyObject *k;
    while ((k = PyIter_Next(it))) {
        uint64_t key = PyLong_AsUnsignedLongLongMask(k);
        Py_DECREF(k);
        Slot *s = sm_find(&self->m, key);
        if (s)
            sm_remove(&self->m, s);
    }
    Py_DECREF(it);
    if (PyErr_Occurred())
        return NULL;
    Py_RETURN_NONE;
}

/* Per-thread register shadows: the direct register array as bytes, and back. */
static PyObject *Shadow_save_regs(ShadowObject *self, PyObject *unused)
{
    return PyBytes_FromStringAndSize((const char *)self->m.regs, sizeof self->m.regs);
}

static PyObject *Shadow_load_regs(ShadowObject *self, PyObject *arg)
{
    char *buf;
    Py_ssize_t len;
    if (PyBytes_AsStringAndSize(arg, &buf, &len) < 0)
        return NULL;
    if (len != (Py_ssize_t)sizeof self->m.regs)
        return PyErr_Format(PyExc_ValueError, "load_regs: %zd bytes, not %zu", len,
                            sizeof self->m.regs);
    SMap *m = &self->m;
    for (int i = 0; i < NREGK; i++)
        m->live -= m->regs[i].key != 0;
    memcpy(m->regs, buf, sizeof m->regs);
    for (int i = 0; i < NREGK; i++)
        m->live += m->regs[i].key != 0;
    Py_RETURN_NONE;
}

static PyObject *Shadow_get_slots(ShadowObject *self, void *closure)
{
    Py_INCREF(self); /* `sh.slots` is the shadow itself: truthy when anything is active */
    return (PyObject *)self;
}

static PyMethodDef Shadow_methods[] = {
    {"node_at", (PyCFunction)(void (*)(void))Shadow_node_at, METH_FASTCALL, NULL},
    {"set_node", (PyCFunction)(void (*)(void))Shadow_set_node, METH_FASTCALL, NULL},
    {"get", (PyCFunction)(void (*)(void))Shadow_get, METH_FASTCALL, NULL},
    {"put", (PyCFunction)(void (*)(void))Shadow_put, METH_FASTCALL, NULL},
    {"clear", (PyCFunction)(void (*)(void))Shadow_clear, METH_FASTCALL, NULL},
    {"clear_range", (PyCFunction)(void (*)(void))Shadow_clear_range, METH_FASTCALL, NULL},
    {"copy", (PyCFunction)(void (*)(void))Shadow_copy, METH_FASTCALL, NULL},
    {"any_active", (PyCFunction)(void (*)(void))Shadow_any_active, METH_FASTCALL, NULL},
    {"clear_slots", (PyCFunction)Shadow_clear_slots, METH_O, NULL},
    {"save_regs", (PyCFunction)Shadow_save_regs, METH_NOARGS, NULL},
    {"load_regs", (PyCFunction)Shadow_load_regs, METH_O, NULL},
    {NULL}};

static PyGetSetDef Shadow_getset[] = {{"slots", (getter)Shadow_get_slots, NULL, NULL, NULL},
                                      {NULL}};

static PySequenceMethods Shadow_as_seq = {.sq_length = (lenfunc)Shadow_len};

static PyTypeObject ShadowType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "revad_emu._hot.Shadow",
    .tp_basicsize = sizeof(ShadowObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Byte-granular shadow map location -> node entry (see shadow.py).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Shadow_init,
    .tp_dealloc = (destructor)Shadow_dealloc,
    .tp_methods = Shadow_methods,
    .tp_getset = Shadow_getset,
    .tp_as_sequence = &Shadow_as_seq,
};

/* The tape's 80-bit patterns live in a Bits80 mapping (_hot_x87.c, included below). */
static PyTypeObject Bits80Type;
static PyObject *bits80_new(void);
static int bits80_set(PyObject *self, int64_t node, PyObject *bits);

/* ===================================================================== Tape type */

/* Storage. Each column lives in its own range of address space, reserved once (MAP_NORESERVE,
 * so only touched pages cost memory) and never moved: numpy arrays of a finished tape are
 * views of it (no copy when recording ends), and the pointers the hook holds stay valid.
 *
 * Spilling: while the tape's bytes stay under `memory` (Tape(memory=...), 0 = no limit) the
 * columns are anonymous memory. Past it, each column is written once to an unlinked file in
 * `spill_dir` and that file is mapped over the same addresses (MAP_SHARED|MAP_FIXED); the
 * columns then grow a chunk at a time inside the files. Every `drop_every` nodes the pages of
 * all but the newest `keep` nodes are dropped from this process (MADV_DONTNEED; for a shared
 * file mapping the data stays in the file / page cache), so the tape's resident size stays
 * below `memory`. Old nodes read again (an operand recorded long ago) fault their page back
 * in from the file: correct, only slower. The files have no name from the start, so the
 * kernel frees their space when the process ends, however it ends. */
#include <sys/mman.h>
#include <sys/resource.h>
#include <fcntl.h>
#include <unistd.h>
#include <errno.h>

enum { C_P1, C_P2, C_D1, C_D2, C_VALUE, C_ADDR, C_OP, C_WIDTH, C_SITE, NCOLS,
       C_PAR = NCOLS, C_DER };
static const char *col_names[NCOLS + 2] = {"p1", "p2", "d1", "d2", "value", "addr", "op",
                                           "width", "site", "parents", "partials"};
static const int col_size[NCOLS + 2] = {8, 8, 8, 8, 8, 8, 2, 1, 4, 16, 16};

/* Storage areas: parents and partials interleaved (node k at 2k, 2k+1) as the finished
 * Tape's (n, 2) arrays want them, parents as int32 while every index fits (below
 * `narrow_max`, 2^31 nodes), then widened in place to int64 (`widen`); per node a value and
 * a *site*, the index of its
 * (instruction address, operation code, value width) in a small table: a program has a few
 * thousand such triples, so 4 bytes per node stand for 11. Depths are not stored: they
 * follow from the parents (tape.py computes them when asked). */
enum { A_PAR, A_DER, A_VAL, A_SITE, NAREA };
static const int area_size[NAREA] = {16, 16, 8, 4}; /* address space reserved per node */
#define NODE_BYTES_WIDE 44      /* sum of area_size */
#define NODE_BYTES_NARROW 36    /* the same with int32 parents */
#define TAPE_CHUNK (1LL << 16)   /* nodes; every area's chunk is a whole number of pages */

typedef struct {
    PyObject_HEAD int64_t *par; /* p1 of node k at 2k, p2 at 2k+1 (wide) */
    int32_t *par32;              /* the same address, while parents are narrow */
    int wide;                    /* parents are int64 */
    int64_t narrow_max;          /* widen before node narrow_max is added */
    long long memory;            /* the budget in bytes (Tape(memory=...)) */
    double *der;                 /* d1, d2 likewise */
    double *val;
    uint32_t *site;   /* index into s_addr/s_op/s_width */
    uint64_t *s_addr; /* the site table */
    uint16_t *s_op;
    uint8_t *s_width;  /* value width in bytes; | ROOT_SITE for nodes made by new_input */
    uint32_t ns, scap; /* sites, and room for them */
    uint32_t *hash;   /* open addressing over the sites: id + 1, 0 = empty */
    uint32_t hcap;    /* a power of two, at least twice ns */
    int64_t n;        /* nodes on the tape */
    int64_t cap;      /* nodes usable without calling tape_more */
    int64_t reserve;  /* nodes of address space reserved per area */
    int64_t limit;    /* nodes kept in anonymous memory before spilling; 0 = never spill */
    int64_t mapped;   /* spilling: nodes [0, mapped) are file-backed; 0 = not spilling */
    int64_t next_drop;
    int fd[NAREA];
    Py_ssize_t exports;
    char *spill_path; /* directory of the spill files (NULL: /tmp) */
    PyObject *bits80; /* Bits80: node -> exact 80-bit pattern of x87 values */
} TapeObject;

static PyTypeObject TapeType;

static char *area_ptr(TapeObject *t, int a)
{
    switch (a) {
    case A_PAR: return (char *)t->par;
    case A_DER: return (char *)t->der;
    case A_VAL: return (char *)t->val;
    default: return (char *)t->site;
    }
}

static void set_area(TapeObject *t, int a, void *p)
{
    switch (a) {
    case A_PAR: t->par = p; t->par32 = p; break;
    case A_DER: t->der = p; break;
    case A_VAL: t->val = p; break;
    default: t->site = p; break;
    }
}

/* Reserve address space: 2^32 nodes (236 GB of address space, none of it memory), less
 * under an address-space limit, halving while the kernel refuses. */
static int tape_reserve(TapeObject *t)
{
    int64_t nodes = 1LL << 32;
    struct rlimit rl;
    if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        int64_t fit = (int64_t)(rl.rlim_cur / 16 / NODE_BYTES_WIDE);
        if (fit < nodes)
            nodes = fit;
    }
    for (; nodes >= TAPE_CHUNK; nodes /= 2) {
        int a;
        for (a = 0; a < NAREA; a++) {
            void *p = mmap(NULL, (size_t)nodes * area_size[a], PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
            if (p == MAP_FAILED)
                break;
            set_area(t, a, p);
        }
        if (a == NAREA) {
            t->reserve = nodes;
            return 0;
        }
        while (a-- > 0) {
            munmap(area_ptr(t, a), (size_t)nodes * area_size[a]);
            set_area(t, a, NULL);
        }
    }
    PyErr_NoMemory();
    return -1;
}

/* Bytes per node of area a as stored now (the parents' width may still be narrow). */
static inline size_t asz(const TapeObject *t, int a)
{
    return a == A_PAR && !t->wide ? 8 : (size_t)area_size[a];
}

static int64_t round_chunk(int64_t n) { return (n + TAPE_CHUNK - 1) / TAPE_CHUNK * TAPE_CHUNK; }

/* Map file-backed nodes [from, to) of every area (the files already hold that length). */
static int map_files(TapeObject *t, int64_t from, int64_t to)
{
    for (int a = 0; a < NAREA; a++) {
        size_t s = asz(t, a);
        void *want = area_ptr(t, a) + from * s;
        void *p = mmap(want, (to - from) * s, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
                       t->fd[a], (off_t)(from * s));
        if (p == MAP_FAILED || p != want)
            return -1;
    }
    return 0;
}

/* Drop the resident pages of file-backed nodes [from, to), rounded outwards to whole pages:
 * everything below `mapped` is a shared file mapping, so a neighbour's page dropped with
 * them only comes back from the file when read (stretches that do not start on a page
 * boundary would otherwise leave a page behind each time). */
static void drop_pages(TapeObject *t, int64_t from, int64_t to)
{
    if (to > t->mapped)
        to = t->mapped;
    long page = sysconf(_SC_PAGESIZE);
    for (int a = 0; a < NAREA; a++) {
        uintptr_t lo = (uintptr_t)(area_ptr(t, a) + from * asz(t, a));
        uintptr_t hi = (uintptr_t)(area_ptr(t, a) + to * asz(t, a));
        lo = lo / page * page;
        hi = (hi + page - 1) / page * page;
        if (hi > lo)
            madvise((void *)lo, hi - lo, MADV_DONTNEED);
    }
}

/* Start spilling: one unlinked file per area, holding the nodes so far, mapped over them. */
static int spill_start(TapeObject *t)
{
    const char *d = t->spill_path ? t->spill_path : "/tmp";
    int64_t upto = round_chunk(t->n + 1);
    for (int a = 0; a < NAREA; a++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/revad_emu-tape-XXXXXX", d);
        int fd = mkstemp(path);
        if (fd < 0) {
            return -1;
        }
        unlink(path);
        t->fd[a] = fd;
        size_t len = (size_t)upto * asz(t, a), done = 0;
        const char *src = area_ptr(t, a);
        if (ftruncate(fd, (off_t)len) < 0)
            goto fail;
        while (done < (size_t)t->n * asz(t, a)) {
            ssize_t w = write(fd, src + done, (size_t)t->n * asz(t, a) - done);
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                goto fail;
            }
            done += (size_t)w;
        }
    }
    if (map_files(t, 0, upto) < 0)
        goto fail;
    t->mapped = upto;
    t->cap = upto;
    return 0;
fail:
    for (int a = 0; a < NAREA; a++)
        if (t->fd[a] >= 0) {
            int e = errno;
            close(t->fd[a]);
            t->fd[a] = -1;
            errno = e;
        }
    return -1;
}

/* Slow path of tape_add: start spilling, or map the next chunk of the files (and drop old
 * pages now and then). Runs in the hook without the GIL, so it never touches Python: -1
 * with errno set (or a full reservation) and the caller, holding the GIL, raises. */
static int64_t limit_nodes(const TapeObject *t)
{
    if (t->memory <= 0)
        return 0;
    int64_t l = t->memory / (t->wide ? NODE_BYTES_WIDE : NODE_BYTES_NARROW);
    return l > 0 ? l : 1;
}

/* Parents int32 -> int64 in place, from the last node down: the 16-byte pair of node i
 * covers the 8-byte pairs of nodes 2i and 2i+1, already moved (node 0 reads before it
 * writes). A spilled tape's parents file doubles and its pages are let go of as the loop
 * goes. Refused while a finished tape views the narrow parents. */
static int widen(TapeObject *t)
{
    if (t->exports) {
        errno = EBUSY;
        return -1;
    }
    const int64_t n = t->n;
    long page = sysconf(_SC_PAGESIZE);
    if (t->mapped) {
        if (ftruncate(t->fd[A_PAR], (off_t)(t->mapped * 16)) < 0)
            return -1;
        void *p = mmap(t->par, (size_t)t->mapped * 16, PROT_READ | PROT_WRITE,
                       MAP_SHARED | MAP_FIXED, t->fd[A_PAR], 0);
        if (p != (void *)t->par)
            return -1;
    }
    const int32_t *src = t->par32;
    int64_t *dst = t->par;
    for (int64_t i = n - 1; i >= 0; i--) {
        const int64_t a = src[2 * i], b = src[2 * i + 1];
        dst[2 * i] = a;
        dst[2 * i + 1] = b;
        if (t->mapped && (i & 0xFFFFF) == 0) {
            uintptr_t lo = ((uintptr_t)t->par + 8 * (uintptr_t)i + page - 1) / page * page;
            uintptr_t hi = ((uintptr_t)t->par + 16 * (uintptr_t)n) / page * page;
            if (hi > lo)
                madvise((void *)lo, hi - lo, MADV_DONTNEED);
        }
    }
    t->wide = 1;
    t->limit = limit_nodes(t);
    return 0;
}

static int tape_more(TapeObject *t)
{
    if (t->n >= t->reserve - 1)
        return -1;
    if (!t->wide && t->n >= t->narrow_max && widen(t) < 0)
        return -1;
    if (!t->mapped) {
        if (t->limit && t->n >= t->limit) {
            if (spill_start(t) < 0)
                return -1;
        } else {
            t->cap = t->limit && t->limit < t->reserve ? t->limit : t->reserve - 1;
            if (!t->wide && t->cap > t->narrow_max)
                t->cap = t->narrow_max;
            return t->n < t->cap ? 0 : -1;
        }
    }
    if (t->n >= t->mapped) {
        int64_t to = t->mapped + TAPE_CHUNK;
        for (int a = 0; a < NAREA; a++)
            if (ftruncate(t->fd[a], (off_t)(to * asz(t, a))) < 0)
                return -1;
        if (map_files(t, t->mapped, to) < 0)
            return -1;
        t->mapped = to;
    }
    if (t->n >= t->next_drop) {
        int64_t keep = t->limit / 2;
        drop_pages(t, 0, t->n - keep);
        t->next_drop = t->n + (t->limit / 4 > TAPE_CHUNK ? t->limit / 4 : TAPE_CHUNK);
    }
    t->cap = t->mapped < t->reserve - 1 ? t->mapped : t->reserve - 1;
    if (!t->wide && t->cap > t->narrow_max)
        t->cap = t->narrow_max;
    return 0;
}

static inline uint32_t site_hash(uint64_t addr, int op, int width)
{
    uint64_t h = (addr ^ ((uint64_t)op << 48) ^ ((uint64_t)width << 40)) * 0x9E3779B97F4A7C15ULL;
    return (uint32_t)(h >> 32);
}

/* Room for one more site (table and hash); no Python, as tape_more. */
static int site_room(TapeObject *t)
{
    if (t->ns == t->scap) {
        if (t->scap >= 0x7FFFFFFFu)
            return -1;
        uint32_t cap = t->scap ? t->scap * 2 : 512;
        uint64_t *a = realloc(t->s_addr, (size_t)cap * 8);
        if (!a)
            return -1;
        t->s_addr = a;
        uint16_t *o = realloc(t->s_op, (size_t)cap * 2);
        if (!o)
            return -1;
        t->s_op = o;
        uint8_t *w = realloc(t->s_width, cap);
        if (!w)
            return -1;
        t->s_width = w;
        t->scap = cap;
    }
    if ((uint64_t)(t->ns + 1) * 2 > t->hcap) {
        uint32_t cap = t->hcap ? t->hcap * 2 : 1024;
        uint32_t *h = calloc(cap, 4);
        if (!h)
            return -1;
        for (uint32_t e = 0; e < t->ns; e++) {
            uint32_t i = site_hash(t->s_addr[e], t->s_op[e], t->s_width[e]) & (cap - 1);
            while (h[i])
                i = (i + 1) & (cap - 1);
            h[i] = e + 1;
        }
        free(t->hash);
        t->hash = h;
        t->hcap = cap;
    }
    return 0;
}

/* The site of (addr, op, width), added to the table on first use; -1: out of memory. */
static inline int64_t site_id(TapeObject *t, uint64_t addr, int op, int width)
{
    uint32_t mask = t->hcap - 1, i = site_hash(addr, op, width) & mask, e;
    while ((e = t->hash[i]) != 0) {
        e--;
        if (t->s_addr[e] == addr && t->s_op[e] == (uint16_t)op &&
            t->s_width[e] == (uint8_t)width)
            return e;
        i = (i + 1) & mask;
    }
    if ((t->ns == t->scap || (uint64_t)(t->ns + 1) * 2 > t->hcap)) {
        if (site_room(t) < 0)
            return -1;
        mask = t->hcap - 1;
        i = site_hash(addr, op, width) & mask;
        while (t->hash[i])
            i = (i + 1) & mask;
    }
    e = t->ns++;
    t->s_addr[e] = addr;
    t->s_op[e] = (uint16_t)op;
    t->s_width[e] = (uint8_t)width;
    t->hash[i] = e + 1;
    return e;
}

/* Flag in s_width of the sites of nodes made by new_input: the depth rule (inputs 0, every
 * other node one more than its deeper parent) needs to know them, and a node made by add
 * may carry the "input" op code too (Derivgrind's NEW_INDEX). */
#define ROOT_SITE 0x80

static inline uint8_t node_width(const TapeObject *t, int64_t k)
{
    return t->s_width[t->site[k]] & ~ROOT_SITE;
}

static inline int64_t tape_add(TapeObject *t, int64_t p1, double d1, int64_t p2, double d2,
                               double value, int width, uint64_t addr, int op)
{
    if (t->n >= t->cap && tape_more(t) < 0)
        return -1;
    int64_t s = site_id(t, addr, op, width);
    if (s < 0)
        return -1;
    int64_t k = t->n++;
    t->site[k] = (uint32_t)s;
    if (t->wide) {
        t->par[2 * k] = p1;
        t->par[2 * k + 1] = p2;
    } else {
        t->par32[2 * k] = (int32_t)p1;
        t->par32[2 * k + 1] = (int32_t)p2;
    }
    t->der[2 * k] = d1;
    t->der[2 * k + 1] = d2;
    t->val[k] = value;
    return k;
}

/* Tape(memory=0, spill_dir=None, narrow_max=2**31): `memory` bytes of tape in RAM before
 * spilling (0: never); parents are int32 until the tape reaches narrow_max nodes (a smaller
 * value lets the tests widen a short tape). */
static int Tape_init(TapeObject *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"memory", "spill_dir", "narrow_max", NULL};
    long long memory = 0, narrow_max = 1LL << 31;
    PyObject *dir = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|LOL", kwlist, &memory, &dir, &narrow_max))
        return -1;
    if (narrow_max < 1 || narrow_max > (1LL << 31)) {
        PyErr_SetString(PyExc_ValueError, "narrow_max must lie in 1..2**31");
        return -1;
    }
    if (self->reserve) {
        PyErr_SetString(PyExc_RuntimeError, "Tape is initialised once");
        return -1;
    }
    if (dir != Py_None && !PyUnicode_Check(dir)) {
        PyErr_SetString(PyExc_TypeError, "spill_dir must be a str or None");
        return -1;
    }
    for (int a = 0; a < NAREA; a++)
        self->fd[a] = -1;
    if (tape_reserve(self) < 0)
        return -1;
    self->memory = memory;
    self->narrow_max = narrow_max;
    self->wide = 0;
    self->limit = limit_nodes(self);
    self->cap = 0;
    self->n = 0;
    self->next_drop = 0;
    if (dir != Py_None) {
        const char *d = PyUnicode_AsUTF8(dir);
        if (!d || !(self->spill_path = strdup(d))) {
            if (!PyErr_Occurred())
                PyErr_NoMemory();
            return -1;
        }
    }
    Py_XSETREF(self->bits80, bits80_new());
    if (!self->bits80)
        return -1;
    if (site_room(self) < 0 || tape_add(self, 0, 0.0, 0, 0.0, 0.0, 0, 0, 0) < 0) {
        if (!PyErr_Occurred()) /* node 0: the passive node, site 0 */
            PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static void Tape_dealloc(TapeObject *self)
{
    for (int a = 0; a < NAREA; a++) {
        if (area_ptr(self, a))
            munmap(area_ptr(self, a), (size_t)self->reserve * area_size[a]);
        if (self->reserve && self->fd[a] >= 0)
            close(self->fd[a]);
    }
    free(self->spill_path);
    free(self->s_addr);
    free(self->s_op);
    free(self->s_width);
    free(self->hash);
    Py_XDECREF(self->bits80);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static Py_ssize_t Tape_len(TapeObject *self) { return (Py_ssize_t)self->n; }

static PyObject *tape_full(TapeObject *t)
{
    if (!PyErr_Occurred()) {
        if (t->n >= t->reserve - 1)
            PyErr_Format(PyExc_MemoryError, "the tape is full (%lld nodes reserved)",
                         (long long)t->reserve);
        else if (errno == EBUSY)
            PyErr_SetString(PyExc_MemoryError, "the tape passed 2^31 nodes while a finished "
                            "tape views its int32 parents; record with a new recorder");
        else
            PyErr_Format(PyExc_OSError, "cannot spill the tape to %s: %s",
                         t->spill_path ? t->spill_path : "/tmp", strerror(errno));
    }
    return NULL;
}

static int parent_ok(TapeObject *t, int64_t p)
{
    if (p < 0 || p >= t->n) {
        PyErr_Format(PyExc_IndexError, "parent %lld is not on the tape", (long long)p);
        return 0;
    }
    return 1;
}

/* add(p1, d1, p2, d2, value, bits, width, addr, op) -> node (Recorder.new_node) */
static PyObject *Tape_add(TapeObject *self, PyObject *const *a, Py_ssize_t n)
{
    if (n != 9)
        return PyErr_Format(PyExc_TypeError, "add(p1, d1, p2, d2, value, bits, width, addr, op)");
    long long p1 = PyLong_AsLongLong(a[0]);
    double d1 = PyFloat_AsDouble(a[1]);
    long long p2 = PyLong_AsLongLong(a[2]);
    double d2 = PyFloat_AsDouble(a[3]);
    double v = PyFloat_AsDouble(a[4]);
    long w = PyLong_AsLong(a[6]);
    uint64_t addr = PyLong_AsUnsignedLongLongMask(a[7]);
    long op = PyLong_AsLong(a[8]);
    if (PyErr_Occurred() || !parent_ok(self, p1) || !parent_ok(self, p2))
        return NULL;
    if (w < 0 || w >= ROOT_SITE)
        return PyErr_Format(PyExc_ValueError, "width %ld out of range", w);
    int64_t k = tape_add(self, p1, d1, p2, d2, v, (int)w, addr, (int)op);
    if (k < 0)
        return tape_full(self);
    PyObject *node = PyLong_FromLongLong(k);
    if (node && w == 10 && bits80_set(self->bits80, k, a[5]) < 0)
        Py_CLEAR(node);
    return node;
}

/* new_input(value, bits, width, addr, op) -> node */
static PyObject *Tape_new_input(TapeObject *self, PyObject *const *a, Py_ssize_t n)
{
    if (n != 5)
        return PyErr_Format(PyExc_TypeError, "new_input(value, bits, width, addr, op)");
    double v = PyFloat_AsDouble(a[0]);
    long w = PyLong_AsLong(a[2]);
    uint64_t addr = PyLong_AsUnsignedLongLongMask(a[3]);
    long op = PyLong_AsLong(a[4]);
    if (PyErr_Occurred())
        return NULL;
    if (w < 0 || w >= ROOT_SITE)
        return PyErr_Format(PyExc_ValueError, "width %ld out of range", w);
    int64_t k = tape_add(self, 0, 0.0, 0, 0.0, v, (int)w | ROOT_SITE, addr, (int)op);
    if (k < 0)
        return tape_full(self);
    PyObject *node = PyLong_FromLongLong(k);
    if (node && w == 10 && bits80_set(self->bits80, k, a[1]) < 0)
        Py_CLEAR(node);
    return node;
}

static inline int same_value(double v, double tv)
{
    if (v == tv)
        return v != 0.0 || signbit(v) == signbit(tv);
    return v != v && tv != tv;
}

/* valid(node, value, width): does a value read now still carry node's value? */
static PyObject *Tape_valid(TapeObject *self, PyObject *const *a, Py_ssize_t n)
{
    if (n != 3)
        return PyErr_Format(PyExc_TypeError, "valid(node, value, width)");
    long long k = PyLong_AsLongLong(a[0]);
    double v = PyFloat_AsDouble(a[1]);
    long w = PyLong_AsLong(a[2]);
    if (PyErr_Occurred())
        return NULL;
    return PyBool_FromLong(k > 0 && k < self->n && node_width(self, k) == w &&
                           same_value(v, self->val[k]));
}

static int col_index(PyObject *name, int views)
{
    const char *s = PyUnicode_AsUTF8(name);
    if (!s)
        return -1;
    for (int c = 0; c < NCOLS + (views ? 2 : 0); c++)
        if (!strcmp(s, col_names[c]))
            return c;
    PyErr_Format(PyExc_KeyError, "no tape column %s", s);
    return -1;
}

/* Address of entry i of column c (p1/p2/d1/d2 are every other entry of their area;
 * addr/op/width are entries of the site table). */
static char *col_entry(TapeObject *t, int c, int64_t i)
{
    switch (c) {
    case C_P1: return (char *)(t->par + 2 * i); /* wide parents only */
    case C_P2: return (char *)(t->par + 2 * i + 1);
    case C_D1: return (char *)(t->der + 2 * i);
    case C_D2: return (char *)(t->der + 2 * i + 1);
    case C_VALUE: return (char *)(t->val + i);
    case C_ADDR: return (char *)(t->s_addr + t->site[i]);
    case C_OP: return (char *)(t->s_op + t->site[i]);
    case C_SITE: return (char *)(t->site + i);
    case C_PAR: return t->wide ? (char *)(t->par + 2 * i) : (char *)(t->par32 + 2 * i);
    default: return (char *)(t->der + 2 * i);
    }
}

/* column_bytes(name[, n]) -> a copy of the first n entries of a column */
static PyObject *Tape_column_bytes(TapeObject *self, PyObject *args)
{
    PyObject *name;
    Py_ssize_t cnt = -1;
    if (!PyArg_ParseTuple(args, "U|n", &name, &cnt))
        return NULL;
    int c = col_index(name, 0);
    if (c < 0)
        return NULL;
    if (cnt < 0 || cnt > self->n)
        cnt = (Py_ssize_t)self->n;
    int s = col_size[c];
    PyObject *b = PyBytes_FromStringAndSize(NULL, cnt * s);
    if (!b)
        return NULL;
    char *dst = PyBytes_AS_STRING(b);
    if (c == C_WIDTH) {
        for (Py_ssize_t i = 0; i < cnt; i++)
            dst[i] = (char)node_width(self, i);
    } else if ((c == C_P1 || c == C_P2) && !self->wide) {
        for (Py_ssize_t i = 0; i < cnt; i++) {
            int64_t p = self->par32[2 * i + (c == C_P2)];
            memcpy(dst + i * 8, &p, 8);
        }
    } else if (c <= C_D2 || (c >= C_ADDR && c <= C_WIDTH)) { /* interleaved, or via sites */
        for (Py_ssize_t i = 0; i < cnt; i++)
            memcpy(dst + i * s, col_entry(self, c, i), s);
    } else {
        memcpy(dst, col_entry(self, c, 0), (size_t)cnt * s);
    }
    return b;
}

/* release(lo, hi): drop the resident pages of spilled nodes [lo, hi) (sweeps and saving
 * stream over a spilled tape this way); a no-op for nodes in anonymous memory. */
static PyObject *Tape_release(TapeObject *self, PyObject *args)
{
    long long lo, hi;
    if (!PyArg_ParseTuple(args, "LL", &lo, &hi))
        return NULL;
    if (lo < 0)
        lo = 0;
    if (self->mapped && hi > lo)
        drop_pages(self, lo, hi);
    Py_RETURN_NONE;
}

/* --- Column: a live list-like view of one column (value[node], width[node] = w); with
 * `view`, also a buffer of a column's first n entries (finished tapes' numpy arrays) --- */
typedef struct {
    PyObject_HEAD TapeObject *tape;
    int c;
    Py_ssize_t n;       /* entries exported as a buffer */
    Py_ssize_t shape[2];
} ColumnObject;

static PyTypeObject ColumnType;

static Py_ssize_t Column_len(ColumnObject *self) { return (Py_ssize_t)self->tape->n; }

static PyObject *Column_item(ColumnObject *self, Py_ssize_t i)
{
    TapeObject *t = self->tape;
    if (i < 0 || i >= t->n || self->c >= NCOLS) {
        PyErr_SetString(PyExc_IndexError, "tape index out of range");
        return NULL;
    }
    switch (self->c) {
    case C_P1: return PyLong_FromLongLong(t->wide ? t->par[2 * i] : t->par32[2 * i]);
    case C_P2: return PyLong_FromLongLong(t->wide ? t->par[2 * i + 1] : t->par32[2 * i + 1]);
    case C_D1: return PyFloat_FromDouble(t->der[2 * i]);
    case C_D2: return PyFloat_FromDouble(t->der[2 * i + 1]);
    case C_VALUE: return PyFloat_FromDouble(t->val[i]);
    case C_ADDR: return PyLong_FromUnsignedLongLong(t->s_addr[t->site[i]]);
    case C_OP: return PyLong_FromLong(t->s_op[t->site[i]]);
    case C_SITE: return PyLong_FromUnsignedLong(t->site[i]);
    default: return PyLong_FromLong(node_width(t, i));
    }
}

static int Column_ass_item(ColumnObject *self, Py_ssize_t i, PyObject *v)
{
    TapeObject *t = self->tape;
    if (!v || i < 0 || i >= t->n) {
        PyErr_SetString(PyExc_IndexError, "tape index out of range");
        return -1;
    }
    switch (self->c) {
    case C_D1: t->der[2 * i] = PyFloat_AsDouble(v); break;
    case C_D2: t->der[2 * i + 1] = PyFloat_AsDouble(v); break;
    case C_VALUE: t->val[i] = PyFloat_AsDouble(v); break;
    case C_WIDTH: { /* the node moves to the site of its instruction with this width */
        long w = PyLong_AsLong(v);
        if (w < 0 || w > 255) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_ValueError, "width out of range");
            return -1;
        }
        uint32_t e = t->site[i];
        if (w & ROOT_SITE) {
            PyErr_SetString(PyExc_ValueError, "width out of range");
            return -1;
        }
        int64_t s = site_id(t, t->s_addr[e], t->s_op[e], (int)w | (t->s_width[e] & ROOT_SITE));
        if (s < 0) {
            PyErr_NoMemory();
            return -1;
        }
        t->site[i] = (uint32_t)s;
        break;
    }
    default: PyErr_SetString(PyExc_TypeError, "tape column is read-only"); return -1;
    }
    return PyErr_Occurred() ? -1 : 0;
}

static int Column_getbuffer(ColumnObject *self, Py_buffer *view, int flags)
{
    static char *formats[NCOLS + 2] = {"q", "q", "d", "d", "d", "Q", "H", "B", "I", "q", "d"};
    int c = self->c;
    if (c != C_VALUE && c < C_SITE) {
        PyErr_SetString(PyExc_BufferError, "only value, site, parents and partials are "
                        "stored as arrays");
        return -1;
    }
    int pair = c >= C_PAR;
    view->obj = (PyObject *)self;
    Py_INCREF(self);
    int narrow = c == C_PAR && !self->tape->wide;
    view->buf = col_entry(self->tape, c, 0);
    view->itemsize = narrow ? 4 : pair ? 8 : col_size[c];
    view->len = self->n * (narrow ? 8 : col_size[c]);
    view->readonly = 0;
    view->format = (flags & PyBUF_FORMAT) ? (narrow ? "i" : formats[c]) : NULL;
    view->ndim = pair ? 2 : 1;
    self->shape[0] = self->n;
    self->shape[1] = 2;
    view->shape = (flags & PyBUF_ND) ? self->shape : NULL;
    view->strides = NULL;
    view->suboffsets = NULL;
    view->internal = NULL;
    self->tape->exports++;
    return 0;
}

static void Column_releasebuffer(ColumnObject *self, Py_buffer *view)
{
    self->tape->exports--;
}

static PyBufferProcs Column_as_buffer = {
    .bf_getbuffer = (getbufferproc)Column_getbuffer,
    .bf_releasebuffer = (releasebufferproc)Column_releasebuffer,
};

static void Column_dealloc(ColumnObject *self)
{
    Py_XDECREF(self->tape);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PySequenceMethods Column_as_seq = {
    .sq_length = (lenfunc)Column_len,
    .sq_item = (ssizeargfunc)Column_item,
    .sq_ass_item = (ssizeobjargproc)Column_ass_item,
};

static PyTypeObject ColumnType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "revad_emu._hot.Column",
    .tp_basicsize = sizeof(ColumnObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Live view of one tape column; with Tape.view, a buffer of its first entries.",
    .tp_dealloc = (destructor)Column_dealloc,
    .tp_as_sequence = &Column_as_seq,
    .tp_as_buffer = &Column_as_buffer,
};

static ColumnObject *new_column(TapeObject *self, int c, Py_ssize_t n)
{
    ColumnObject *col = PyObject_New(ColumnObject, &ColumnType);
    if (!col)
        return NULL;
    Py_INCREF(self);
    col->tape = self;
    col->c = c;
    col->n = n;
    return col;
}

static PyObject *Tape_column(TapeObject *self, PyObject *name)
{
    int c = col_index(name, 0);
    return c < 0 ? NULL : (PyObject *)new_column(self, c, 0);
}

/* view(name[, n]) -> an object whose buffer is the first n entries of a column, in place
 * (parents/partials: shape (n, 2)); it keeps the tape alive. Entries below n never move or
 * change size, so the view stays valid while recording goes on. */
static PyObject *Tape_view(TapeObject *self, PyObject *args)
{
    PyObject *name;
    Py_ssize_t cnt = -1;
    if (!PyArg_ParseTuple(args, "U|n", &name, &cnt))
        return NULL;
    int c = col_index(name, 1);
    if (c < 0)
        return NULL;
    if (cnt < 0 || cnt > self->n)
        cnt = (Py_ssize_t)self->n;
    return (PyObject *)new_column(self, c, cnt);
}

/* sites() -> (addr, op, width): the site table as bytes (u64, u16, u8 entries; width has
 * ROOT_SITE set for the sites of nodes made by new_input) */
static PyObject *Tape_sites(TapeObject *self, PyObject *unused)
{
    return Py_BuildValue("y#y#y#", (const char *)self->s_addr, (Py_ssize_t)self->ns * 8,
                         (const char *)self->s_op, (Py_ssize_t)self->ns * 2,
                         (const char *)self->s_width, (Py_ssize_t)self->ns);
}

static PyObject *Tape_get_bits80(TapeObject *self, void *closure)
{
    Py_INCREF(self->bits80);
    return self->bits80;
}

static PyObject *Tape_get_spilled(TapeObject *self, void *closure)
{
    return PyLong_FromLongLong(self->mapped ? self->mapped : 0);
}

static PyObject *Tape_get_wide(TapeObject *self, void *closure)
{
    return PyBool_FromLong(self->wide);
}

static PyObject *Tape_get_memory(TapeObject *self, void *closure)
{
    return PyLong_FromLongLong(self->memory);
}

static PyObject *Tape_get_limit(TapeObject *self, void *closure)
{
    return PyLong_FromLongLong(self->limit);
}

static PyMethodDef Tape_methods[] = {
    {"add", (PyCFunction)(void (*)(void))Tape_add, METH_FASTCALL, NULL},
    {"new_input", (PyCFunction)(void (*)(void))Tape_new_input, METH_FASTCALL, NULL},
    {"valid", (PyCFunction)(void (*)(void))Tape_valid, METH_FASTCALL, NULL},
    {"column_bytes", (PyCFunction)Tape_column_bytes, METH_VARARGS, NULL},
    {"column", (PyCFunction)Tape_column, METH_O, NULL},
    {"view", (PyCFunction)Tape_view, METH_VARARGS, NULL},
    {"release", (PyCFunction)Tape_release, METH_VARARGS, NULL},
    {"sites", (PyCFunction)Tape_sites, METH_NOARGS, NULL},
    {NULL}};

static PyGetSetDef Tape_getset[] = {
    {"bits80", (getter)Tape_get_bits80, NULL, NULL, NULL},
    {"spilled", (getter)Tape_get_spilled, NULL, "nodes held in spill files (0: none)", NULL},
    {"memory", (getter)Tape_get_memory, NULL, "the budget in bytes (0: no limit)", NULL},
    {"wide", (getter)Tape_get_wide, NULL, "parents are int64 (else int32)", NULL},
    {"limit", (getter)Tape_get_limit, NULL, "nodes kept in memory before spilling (0: no limit)",
     NULL},
    {NULL}};

static PySequenceMethods Tape_as_seq = {.sq_length = (lenfunc)Tape_len};

static PyTypeObject TapeType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "revad_emu._hot.Tape",
    .tp_basicsize = sizeof(TapeObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Tape columns in reserved address space, spilling to files past a memory limit "
              "(see tape.HotTapeBuilder).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Tape_init,
    .tp_dealloc = (destructor)Tape_dealloc,
    .tp_methods = Tape_methods,
    .tp_getset = Tape_getset,
    .tp_as_sequence = &Tape_as_seq,
};

/* ===================================================================== descriptors */

typedef int (*reg_read_fn)(void *uc, int regid, void *value);
typedef int (*mem_read_fn)(void *uc, uint64_t addr, void *bytes, uint64_t size);
typedef int (*emu_stop_fn)(void *uc);

/* A location: a constant (register shadow, rip-relative address) or an effective address. */
typedef struct {
    int8_t kind; /* 0 none, 1 constant, 2 effective address */
    int8_t base, index, seg; /* our GPR numbers, -1 none; seg 0 none, 1 fs, 2 gs */
    uint8_t scale;
    uint64_t c; /* constant, or displacement */
} Loc;

enum { D_NOP = 1, D_MOVE, D_GEN, D_GUARD, D_BIN, D_UN, D_CALL, D_REP };
enum { MT_PLAIN = 1, MT_FN, MT_STUB }; /* what a call target is (kinds of the target map) */
enum { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MIN, OP_MAX };
enum { UN_SQRT, UN_CVT };

#define MAXPIECES 16
#define MAXSPANS 8

typedef struct {
    uint8_t doff, n, soff;
    int8_t src; /* operand index, -1 = zero-filled */
} Piece;

typedef struct {
    Loc loc;
    uint8_t n;
} Span;

typedef struct {
    uint8_t kind;
    /* hot_hook's fast exit (see desc_classify): `fast` when the handler of this kind is a
     * no-op while every location it touches is passive and each location is a register
     * shadow or one of the nmem memory locations mem[] (with the extent in bytes the handler
     * looks at). The register shadow slots touched are rs[0..nrs) (nrs = 0xFF: more than 8;
     * then only "no register slot occupied at all" vouches for them). Next to `kind`, on
     * the cache line the hook reads anyway. */
    uint8_t fast, nmem, nrs;
    uint16_t rs[8];
    /* D_MOVE */
    uint8_t nops, npieces;
    Loc ops[3];
    Piece pieces[MAXPIECES];
    /* D_GEN */
    uint8_t nreads, nwrites, passive, x87;
    Span reads[MAXSPANS], writes[MAXSPANS];
    /* D_BIN / D_UN; D_CALL (src = target, deref: load it from there); MT_* targets
     * (op = math rule, w, lanes = number of arguments, code; ret = GOT slot of a stub) */
    uint8_t op, w, w_out, lanes, di, deref, is_jmp;
    Loc src;
    uint16_t code;
    uint64_t ret;
    struct {
        Loc loc;
        uint16_t ext;
    } mem[4];
} Desc;

/* Descriptors by instruction address: a UMap whose values are Desc pointers it owns. */
typedef UMap DMap;

static inline Desc *dm_get(const DMap *d, uint64_t addr)
{
    const uint64_t *v = um_get(d, addr);
    return v ? (Desc *)(uintptr_t)*v : NULL;
}

static int dm_set(DMap *d, uint64_t addr, Desc *v)
{
    uint64_t *old = um_get(d, addr);
    if (old) {
        free((Desc *)(uintptr_t)*old);
        *old = (uint64_t)(uintptr_t)v;
        return 0;
    }
    return um_put(d, addr, (uint64_t)(uintptr_t)v);
}

static void dm_free(DMap *d)
{
    for (uint64_t j = 0; j < d->cap; j++)
        if (d->keys[j])
            free((Desc *)(uintptr_t)d->vals[j]);
    um_free(d);
}

/* ===================================================================== Hot type */

/* A math-library call being run unrecorded under the compiled hook's control. */
typedef struct {
    uint8_t fn, w, nargs;
    uint16_t code;
    uint64_t addr, ret, rsp; /* call site, return address, rsp at the function's entry */
    int64_t nodes[2];
    double vals[2];
} CCall;

#define DC_SIZE 4096 /* descriptor cache entries, a power of two */
#define DC_SLOT(a) ((((a) >> 12) ^ (a)) & (DC_SIZE - 1))

typedef struct {
    PyObject_HEAD void *uc;
    reg_read_fn rr;
    mem_read_fn mr;
    emu_stop_fn stop;
    ShadowObject *sh;
    TapeObject *tape;
    PyObject *py_step; /* step(addr, size): the Python recorder for one instruction */
    int fp_mode, disabled, py_pending;
    long long suppress_ret; /* -1: no math call running unrecorded */
    unsigned long long prev;
    unsigned long long n_c, n_py; /* instructions handled here / by Python */
    unsigned long long n_skip; /* of n_c: taken by hot_hook's fast exit (nothing it touches active) */
    DMap descs, targets;
    int gpr_ids[16], xmm_ids[16], seg_ids[3];
    int ccall; /* the call being suppressed is the C path's (cc) */
    CCall cc;
    PyObject *py_math_finish; /* finish(fn, w, addr, ret, rsp, nodes, values) in Python */
    unsigned long long n_calls;
    /* Direct-mapped cache in front of `descs` (hits only; an entry is dropped whenever its
     * address gets a new descriptor, all of them when the descriptors are cleared): the hot
     * loop's instructions find theirs with one compare instead of a hash probe. */
    struct {
        uint64_t addr;
        const Desc *d;
    } dc[DC_SIZE];
} HotObject;

static PyTypeObject HotType;

static inline uint64_t gpr(HotObject *h, int i)
{
    uint64_t v = 0;
    h->rr(h->uc, h->gpr_ids[i], &v);
    return v;
}

static inline uint64_t loc_eval(HotObject *h, const Loc *l)
{
    if (l->kind == 1)
        return l->c;
    uint64_t a = l->c;
    if (l->base >= 0)
        a += gpr(h, l->base);
    if (l->index >= 0)
        a += gpr(h, l->index) * l->scale;
    if (l->seg) {
        uint64_t s = 0;
        h->rr(h->uc, h->seg_ids[l->seg], &s);
        a += s;
    }
    return a;
}

#define XMM_BASE ((1ULL << 60) + 0x1000)

/* ---- D_MOVE: byte pieces, snapshotted before any is written (in-register shuffles) ---- */
static int run_move(HotObject *h, const Desc *d)
{
    SMap *m = &h->sh->m;
    if (!m->live)
        return 1;
    uint64_t loc[3] = {0, 0, 0};
    for (int i = 0; i < d->nops; i++)
        if (d->ops[i].kind)
            loc[i] = loc_eval(h, &d->ops[i]);
    if (d->npieces == 1 && d->pieces[0].src >= 0) { /* one piece: a copy (moves.mover's h1) */
        const Piece *pc = &d->pieces[0];
        return sh_copy(m, loc[pc->src] + pc->soff, loc[0] + pc->doff, pc->n) >= 0;
    }
    int64_t buf[MAXPIECES * 32];
    int any[MAXPIECES];
    int64_t off = 0;
    for (int p = 0; p < d->npieces; p++) {
        const Piece *pc = &d->pieces[p];
        any[p] = pc->src >= 0 && sh_get(m, loc[pc->src] + pc->soff, pc->n, buf + off);
        off += pc->n;
    }
    off = 0;
    for (int p = 0; p < d->npieces; p++) {
        const Piece *pc = &d->pieces[p];
        uint64_t dl = loc[0] + pc->doff;
        if (any[p]) {
            if (sh_put(m, dl, pc->n, buf + off) < 0)
                return 0;
        } else {
            sh_clear(m, dl, pc->n);
        }
        off += pc->n;
    }
    return 1;
}

/* ---- D_GEN: integer/other instruction: clear what it writes, taint if it read active bits */
static int run_gen(HotObject *h, const Desc *d, uint64_t addr)
{
    SMap *m = &h->sh->m;
    if (!m->live)
        return 1;
    int active = 0;
    for (int i = 0; i < d->nreads && !active; i++)
        active = sh_any(m, loc_eval(h, &d->reads[i].loc), d->reads[i].n);
    if (active && d->x87 && !d->passive)
        return 0; /* Python warns */
    if (active && !d->x87) { /* bits of an active value: a taint (printf's too) */
        int64_t taint[32];
        for (int k = 0; k < 32; k++)
            taint[k] = -1 - (int64_t)addr;
        for (int i = 0; i < d->nwrites; i++)
            if (sh_put(m, loc_eval(h, &d->writes[i].loc), d->writes[i].n, taint) < 0)
                return 0;
        return 1;
    }
    for (int i = 0; i < d->nwrites; i++)
        sh_clear(m, loc_eval(h, &d->writes[i].loc), d->writes[i].n);
    return 1;
}

/* ---- D_GUARD: while everything it reads is passive, the result is passive (clear the
 * writes); an active read goes to Python (data moves inside GPRs, warnings) ---- */
static int run_guard(HotObject *h, const Desc *d)
{
    SMap *m = &h->sh->m;
    if (!m->live)
        return 1;
    for (int i = 0; i < d->nreads; i++)
        if (sh_any(m, loc_eval(h, &d->reads[i].loc), d->reads[i].n))
            return 0;
    for (int i = 0; i < d->nwrites; i++)
        sh_clear(m, loc_eval(h, &d->writes[i].loc), d->writes[i].n);
    return 1;
}

static const double FLT_MIN_OF[9] = {0, 0, 0, 0, 1.1754943508222875e-38, 0, 0, 0,
                                     2.2250738585072014e-308};

static inline double flush(double v, int w)
{
    return (v != 0.0 && fabs(v) < FLT_MIN_OF[w]) ? copysign(0.0, v) : v;
}

static inline double lane_value(const uint8_t *raw, int off, int w)
{
    if (w == 8) {
        double v;
        memcpy(&v, raw + off, 8);
        return v;
    }
    float f;
    memcpy(&f, raw + off, 4);
    return (double)f;
}

static inline int node_ok(const TapeObject *t, int64_t node, double v, int w)
{
    return node < t->n && node_width(t, node) == w && same_value(v, t->val[node]);
}

/* The bytes of an xmm register or memory source operand at location sl (nonzero: unmapped). */
static int read_src(HotObject *h, const Desc *d, uint64_t sl, uint8_t *buf, uint64_t n)
{
    if (d->src.kind == 1 && sl >= XMM_BASE && sl < XMM_BASE + 32 * 16) {
        h->rr(h->uc, h->xmm_ids[(sl - XMM_BASE) / 32], buf);
        return 0;
    }
    return h->mr(h->uc, sl, buf, n);
}

/* ---- D_BIN: addsd/mulps & co. Values computed here exactly as SSE does under
 * round-to-nearest (FTZ/DAZ emulated); other rounding modes go to Python. ---- */
static int run_bin(HotObject *h, const Desc *d, uint64_t addr)
{
    SMap *m = &h->sh->m;
    if (!m->live)
        return 1;
    const int w = d->w, lanes = d->lanes;
    const uint64_t dloc = XMM_BASE + 32ULL * d->di;
    const uint64_t sl = loc_eval(h, &d->src);
    int64_t na[4], nb[4];
    int any = 0;
    for (int j = 0; j < lanes; j++) {
        na[j] = sh_node_at(m, dloc + (uint64_t)j * w, w);
        nb[j] = sh_node_at(m, sl + (uint64_t)j * w, w);
        if (na[j] < 0 || nb[j] < 0)
            return 0; /* partial or tainted operand: Python warns */
        any |= na[j] || nb[j];
    }
    if (!any)
        return 1;
    if (h->fp_mode == 2)
        return 0;
    uint8_t ra[16], rb[16];
    h->rr(h->uc, h->xmm_ids[d->di], ra);
    if (sl == dloc) /* mulsd xmm0, xmm0 */
        memcpy(rb, ra, sizeof rb);
    else if (read_src(h, d, sl, rb, (uint64_t)w * lanes))
        return 1; /* unreadable: the instruction faults */
    double av[4], bv[4], rv[4];
    int step[4];
    const int mode1 = h->fp_mode == 1;
    const TapeObject *t = h->tape;
    for (int j = 0; j < lanes; j++) {
        step[j] = 0;
        if (!na[j] && !nb[j])
            continue;
        double a = lane_value(ra, j * w, w), b = lane_value(rb, j * w, w);
        if ((na[j] && !node_ok(t, na[j], a, w)) || (nb[j] && !node_ok(t, nb[j], b, w)))
            return 0; /* stale operand: Python warns */
        if (mode1) {
            a = flush(a, w);
            b = flush(b, w);
        }
        double r;
        switch (d->op) {
        case OP_ADD: r = a + b; break;
        case OP_SUB: r = a - b; break;
        case OP_MUL: r = a * b; break;
        case OP_DIV: r = a / b; break;
        case OP_MIN: r = a < b ? a : b; break;
        default: r = a > b ? a : b; break;
        }
        if (w == 4)
            r = (double)(float)r;
        if (mode1)
            r = flush(r, w);
        if ((d->op == OP_ADD || d->op == OP_SUB) && (!na[j] || !nb[j])) {
            /* x + 1.5*2^52 keeps only round(x): a step function (see sse.scalar_binop) */
            double x = na[j] ? a : b, c = na[j] ? b : a;
            double ac = fabs(c);
            int e;
            double fr = frexp(ac, &e);
            int magic = fr == 0.5 || fr == 0.75;
            double big = w == 8 ? 4503599627370496.0 : 8388608.0;   /* 2^52, 2^23 */
            double bigm = w == 8 ? 1099511627776.0 : 2097152.0;     /* 2^40, 2^21 */
            if ((magic ? ac >= bigm : ac >= big) && fabs(x) * 1048576.0 < ac) {
                if (!magic)
                    return 0; /* Python warns about the unusual constant */
                step[j] = 1;
            }
        }
        av[j] = a;
        bv[j] = b;
        rv[j] = r;
    }
    TapeObject *tw = h->tape;
    for (int j = 0; j < lanes; j++) {
        uint64_t lo = dloc + (uint64_t)j * w;
        if (!na[j] && !nb[j])
            continue;
        if (step[j]) {
            sh_clear(m, lo, w);
            continue;
        }
        double a = av[j], b = bv[j], da, db;
        switch (d->op) {
        case OP_ADD: da = 1.0; db = 1.0; break;
        case OP_SUB: da = 1.0; db = -1.0; break;
        case OP_MUL: da = b; db = a; break;
        case OP_DIV: da = 1.0 / b; db = -((a / b) / b); break;
        case OP_MIN: if (a < b) { da = 1.0; db = 0.0; } else { da = 0.0; db = 1.0; } break;
        default: if (a > b) { da = 1.0; db = 0.0; } else { da = 0.0; db = 1.0; } break;
        }
        int64_t node = tape_add(tw, na[j], na[j] ? da : 0.0, nb[j], nb[j] ? db : 0.0, rv[j], w,
                                addr, d->code);
        if (node < 0 || sh_set_node(m, lo, w, node) < 0)
            return 0;
    }
    return 1;
}

/* ---- D_UN: sqrtsd/sqrtss/cvtss2sd/cvtsd2ss (one lane) ---- */
static int run_un(HotObject *h, const Desc *d, uint64_t addr)
{
    SMap *m = &h->sh->m;
    if (!m->live)
        return 1;
    const int w = d->w, wo = d->w_out;
    const uint64_t dloc = XMM_BASE + 32ULL * d->di;
    const uint64_t sl = loc_eval(h, &d->src);
    int64_t n = sh_node_at(m, sl, w);
    if (n < 0)
        return 0;
    if (!n) {
        sh_clear(m, dloc, wo);
        return 1;
    }
    if (h->fp_mode == 2)
        return 0;
    uint8_t raw[16];
    if (read_src(h, d, sl, raw, (uint64_t)w))
        return 1;
    double a = lane_value(raw, 0, w);
    if (!node_ok(h->tape, n, a, w))
        return 0;
    if (h->fp_mode == 1)
        a = flush(a, w);
    double r, da;
    if (d->op == UN_SQRT) {
        r = sqrt(a);
        da = a > 0 ? 0.5 / sqrt(a) : (a == 0 ? INFINITY : NAN);
    } else {
        r = a;
        da = 1.0;
    }
    if (wo == 4)
        r = (double)(float)r;
    if (h->fp_mode == 1)
        r = flush(r, wo);
    int64_t node = tape_add(h->tape, n, da, 0, 0.0, r, wo, addr, d->code);
    if (node < 0 || sh_set_node(m, dloc, wo, node) < 0)
        return 0;
    return 1;
}

#include "_hot_x87.c" /* the x87 section: run_x87, Bits80 */

/* ---- math-library calls: the common functions of libm.RULES, evaluated exactly as the
 * Python rules do (same libm, same operation order; tests/test_compiled.py compares the
 * tapes bit for bit). A rule returns 0 to hand the call to Python (non-finite values:
 * Python decides whether to warn). Order = MATH_RULES in the module. ---- */
static const char *math_names[] = {
    "sin", "cos", "tan", "exp", "log", "sqrt", "atan", "atan2", "pow", "hypot", "sinh",
    "cosh", "tanh", "asin", "acos", "acosh", "atanh", "exp2", "exp10", "expm1", "log2",
    "log10", "log1p", "cbrt", "erf", "erfc", "fabs", "fmin", "fmax", "fdim", "fmod",
    "remainder", "copysign", "floor", "ceil", "trunc", "round", "rint", "nearbyint",
    "roundeven", "ldexp", "scalbn", NULL};
enum { M_SIN, M_COS, M_TAN, M_EXP, M_LOG, M_SQRT, M_ATAN, M_ATAN2, M_POW, M_HYPOT, M_SINH,
       M_COSH, M_TANH, M_ASIN, M_ACOS, M_ACOSH, M_ATANH, M_EXP2, M_EXP10, M_EXPM1, M_LOG2,
       M_LOG10, M_LOG1P, M_CBRT, M_ERF, M_ERFC, M_FABS, M_FMIN, M_FMAX, M_FDIM, M_FMOD,
       M_REMAINDER, M_COPYSIGN, M_FLOOR, M_CEIL, M_TRUNC, M_ROUND, M_RINT, M_NEARBYINT,
       M_ROUNDEVEN, M_LDEXP, M_SCALBN, M_COUNT };

static volatile double two = 2.0, ten = 10.0;
static double LN2, LN10, TWO_OVER_SQRTPI;

static int math_rule(int fn, const double *a, double r, double *p)
{
    double x = a[0], y = a[1];
    if (!isfinite(x) || !isfinite(y) || !isfinite(r))
        return 0;
    p[1] = 0.0;
    switch (fn) {
    case M_SIN: p[0] = cos(x); break;
    case M_COS: p[0] = -sin(x); break;
    case M_TAN: p[0] = 1.0 + r * r; break;
    case M_EXP: p[0] = r; break;
    case M_LOG: p[0] = 1.0 / x; break;
    case M_SQRT: p[0] = 0.5 / r; break;
    case M_ATAN: p[0] = 1.0 / (1.0 + x * x); break;
    case M_ATAN2: { /* atan2(y, x): the first argument is y */
        double yy = a[0], xx = a[1], q = xx * xx + yy * yy;
        p[0] = xx / q;
        p[1] = -yy / q;
        break;
    }
    case M_POW:
        if (y == 0)
            p[0] = 0.0;
        else if (x == 0)
            return 0;
        else
            p[0] = y * (r / x);
        if (x > 0)
            p[1] = r * log(x);
        else
            return 0;
        break;
    case M_HYPOT: p[0] = x / r; p[1] = y / r; break;
    case M_SINH: p[0] = fabs(x) < 710 ? cosh(x) : fabs(r); break;
    case M_COSH: p[0] = fabs(x) < 710 ? sinh(x) : copysign(r, x); break;
    case M_TANH: p[0] = 1.0 - r * r; break;
    case M_ASIN: p[0] = 1.0 / sqrt(1.0 - x * x); break;
    case M_ACOS: p[0] = -(1.0 / sqrt(1.0 - x * x)); break;
    case M_ACOSH: p[0] = 1.0 / (sqrt(x - 1.0) * sqrt(x + 1.0)); break;
    case M_ATANH: p[0] = 1.0 / (1.0 - x * x); break;
    case M_EXP2: p[0] = r * LN2; break;
    case M_EXP10: p[0] = r * LN10; break;
    case M_EXPM1: p[0] = r + 1.0; break;
    case M_LOG2: p[0] = 1.0 / (x * LN2); break;
    case M_LOG10: p[0] = 1.0 / (x * LN10); break;
    case M_LOG1P: p[0] = 1.0 / (1.0 + x); break;
    case M_CBRT: p[0] = 1.0 / (3.0 * r * r); break;
    case M_ERF: p[0] = TWO_OVER_SQRTPI * exp(-x * x); break;
    case M_ERFC: p[0] = -TWO_OVER_SQRTPI * exp(-x * x); break;
    case M_FABS: p[0] = x >= 0 ? 1.0 : -1.0; break;
    case M_FMIN: p[0] = x <= y ? 1.0 : 0.0; p[1] = x <= y ? 0.0 : 1.0; break;
    case M_FMAX: p[0] = x >= y ? 1.0 : 0.0; p[1] = x >= y ? 0.0 : 1.0; break;
    case M_FDIM: p[0] = x > y ? 1.0 : 0.0; p[1] = x > y ? -1.0 : 0.0; break;
    case M_FMOD: {
        double q = x / y;
        p[0] = 1.0;
        p[1] = (y != 0 && isfinite(q)) ? -trunc(q) : 0.0;
        break;
    }
    case M_REMAINDER: p[0] = 1.0; p[1] = y != 0 ? -((x - r) / y) : 0.0; break;
    case M_COPYSIGN: p[0] = copysign(1.0, x) * copysign(1.0, y); break;
    case M_LDEXP: case M_SCALBN: p[0] = x != 0 ? r / x : 0.0; break;
    default: p[0] = 0.0; break; /* floor ... roundeven: steps */
    }
    return isfinite(p[0]) && isfinite(p[1]);
}

static int run_call(HotObject *h, const Desc *d)
{
    uint64_t t = loc_eval(h, &d->src);
    if (d->deref && h->mr(h->uc, t, &t, 8))
        return 0;
    const Desc *e = dm_get(&h->targets, t);
    if (e && e->kind == MT_STUB) { /* a PLT stub: where its GOT slot points now */
        uint64_t nxt;
        if (h->mr(h->uc, e->ret, &nxt, 8) || nxt == t)
            return 0;
        e = dm_get(&h->targets, nxt);
        if (e && e->kind == MT_STUB)
            return 0;
    }
    if (!e)
        return 0; /* not classified yet, or Python's business */
    SMap *m = &h->sh->m;
    uint64_t rsp = gpr(h, 4);
    if (e->kind == MT_PLAIN) {
        if (!d->is_jmp)
            sh_clear(m, rsp - 8, 8);
        return 1;
    }
    CCall c = {.fn = e->op, .w = e->w, .nargs = e->lanes, .code = e->code};
    uint8_t raw[16];
    if (c.w == 10 && !x87_call_args(h, &c, (d->is_jmp ? rsp : rsp - 8) + 8))
        return 0; /* long double arguments: in memory (_hot_x87.c) */
    for (int i = 0; i < c.nargs && c.w != 10; i++) {
        int64_t n = sh_node_at(m, XMM_BASE + 32ULL * i, c.w);
        if (n < 0)
            return 0;
        h->rr(h->uc, h->xmm_ids[i], raw);
        double v = lane_value(raw, 0, c.w);
        if (n && !node_ok(h->tape, n, v, c.w))
            return 0;
        c.nodes[i] = n;
        c.vals[i] = v;
    }
    if (d->is_jmp) {
        if (h->mr(h->uc, rsp, &c.ret, 8))
            return 0;
        c.rsp = rsp;
    } else {
        c.ret = d->ret;
        c.rsp = rsp - 8;
        sh_clear(m, rsp - 8, 8);
    }
    h->cc = c;
    h->ccall = 1;
    h->suppress_ret = (long long)c.ret;
    return 1;
}

static const int CALLER_SAVED[] = {0, 1, 2, 6, 7, 8, 9, 10, 11};

static void finish_call(HotObject *h)
{
    CCall *c = &h->cc;
    SMap *m = &h->sh->m;
    h->ccall = 0;
    h->suppress_ret = -1;
    h->n_calls++;
    uint8_t raw[16];
    F80 r80 = {0, 0};
    const int top = c->w == 10 ? x87_top(h) : 0; /* a long double result is in ST0 */
    if (c->w == 10)
        r80 = x87_reg(h, top);
    else
        h->rr(h->uc, h->xmm_ids[0], raw);
    double r = c->w == 10 ? f80_value(r80) : lane_value(raw, 0, c->w), p[2];
    if (!math_rule(c->fn, c->vals, r, p)) {
        PyGILState_STATE g = PyGILState_Ensure();
        PyObject *res = PyObject_CallFunction(
            h->py_math_finish, "siKKK(LL)(dd)", math_names[c->fn], c->w,
            (unsigned long long)c->addr, (unsigned long long)c->ret,
            (unsigned long long)c->rsp, (long long)c->nodes[0], (long long)c->nodes[1],
            c->vals[0], c->vals[1]);
        if (!res) {
            PyErr_WriteUnraisable(h->py_math_finish);
            h->stop(h->uc);
        }
        Py_XDECREF(res);
        PyGILState_Release(g);
        return;
    }
    /* registers the call may clobber lose their shadows */
    for (size_t i = 0; i < sizeof CALLER_SAVED / sizeof *CALLER_SAVED; i++) {
        Slot *s = &m->regs[CALLER_SAVED[i]];
        if (s->key)
            sm_remove(m, s);
    }
    for (int k = 0x200; k < 0x420; k++) {
        Slot *s = &m->regs[k];
        if (s->key)
            sm_remove(m, s);
    }
    int64_t node = 0;
    int active = 0;
    for (int i = 0; i < c->nargs; i++)
        active |= c->nodes[i] && p[i] != 0.0;
    if (active) {
        if (c->nargs == 1)
            node = tape_add(h->tape, c->nodes[0], p[0], 0, 0.0, r, c->w, c->addr, c->code);
        else
            node = tape_add(h->tape, c->nodes[0], c->nodes[0] ? p[0] : 0.0, c->nodes[1],
                            c->nodes[1] ? p[1] : 0.0, r, c->w, c->addr, c->code);
    }
    if (c->w == 10) {
        if (node < 0 || (node && bits80_put((Bits80Object *)h->tape->bits80, node, r80.mant,
                                            r80.se) < 0) ||
            sh_set_node(m, X87LOC(top), 10, node) < 0)
            h->stop(h->uc);
        return;
    }
    if (node < 0 || sh_set_node(m, XMM_BASE, c->w, node) < 0)
        h->stop(h->uc);
}

static void call_python(HotObject *h, uint64_t addr, uint32_t size)
{
    PyGILState_STATE g = PyGILState_Ensure();
    h->n_py++;
    PyObject *r = PyObject_CallFunction(h->py_step, "KI", (unsigned long long)addr,
                                        (unsigned int)size);
    if (!r) {
        PyErr_WriteUnraisable(h->py_step);
        h->stop(h->uc);
    } else {
        Py_DECREF(r);
    }
    PyGILState_Release(g);
}

/* A code hook that does nothing: benchmarks/bench_record.py registers it over a plain run
 * to measure what Unicorn's per-instruction hook dispatch alone costs (the floor under any
 * recorder that hooks every instruction). */
static void noop_hook(void *uc, uint64_t addr, uint32_t size, void *ud)
{
    (void)uc;
    (void)addr;
    (void)size;
    (void)ud;
}

/* Everything but hot_hook's fast exit: kept out of line so that the exit, taken by most
 * instructions of passive code, runs as a small leaf without saving registers. */
static __attribute__((noinline)) void hot_hook_full(void *uc, uint64_t addr, uint32_t size,
                                                    void *ud)
{
    HotObject *h = (HotObject *)ud;
    if (h->disabled)
        return;
    if (h->suppress_ret != -1) {
        if (addr != (uint64_t)h->suppress_ret)
            return;
        if (!h->ccall) {
            call_python(h, addr, size);
            h->prev = addr;
            return;
        }
        if (gpr(h, 4) != h->cc.rsp + 8)
            return; /* a deeper return to the same address (recursion) */
        finish_call(h);
        if (h->suppress_ret != -1)
            return;
    }
    if (!h->py_pending) {
        const Desc *d;
        uint64_t slot = DC_SLOT(addr);
        if (h->dc[slot].d && h->dc[slot].addr == addr) {
            d = h->dc[slot].d;
        } else if ((d = dm_get(&h->descs, addr))) {
            h->dc[slot].addr = addr;
            h->dc[slot].d = d;
        }
        if (d) {
            int ok;
            switch (d->kind) {
            case D_NOP: ok = 1; break;
            case D_MOVE: ok = run_move(h, d); break;
            case D_GEN: ok = run_gen(h, d, addr); break;
            case D_GUARD: ok = run_guard(h, d); break;
            case D_BIN: ok = run_bin(h, d, addr); break;
            case D_UN: ok = run_un(h, d, addr); break;
            case D_X87: ok = run_x87(h, d, addr); break;
            case D_REP: ok = h->prev == addr; break; /* later iterations: done already */
            case D_CALL:
                ok = run_call(h, d);
                h->cc.addr = addr;
                break;
            default: ok = 0;
            }
            if (ok) {
                h->n_c++;
                h->prev = addr;
                return;
            }
        }
    }
    call_python(h, addr, size);
    h->prev = addr;
}

/* Whether no byte the memory locations of d cover can be active: with no active memory
 * slot at all, or each byte range wholly outside [klo, khi] (the bounds of the active memory
 * slots' keys), where sm_find answers "none" without hashing. A range that wraps around the
 * address space counts as possibly active. */
static inline int mem_passive(HotObject *h, const Desc *d)
{
    const SMap *m = &h->sh->m;
    if (!m->mem_live)
        return 1;
    for (int i = 0; i < d->nmem; i++) {
        uint64_t a = loc_eval(h, &d->mem[i].loc), e = a + d->mem[i].ext - 1;
        if (e < a || !((e >> 3) < m->klo || (a >> 3) > m->khi))
            return 0;
    }
    return 1;
}

/* Whether the register shadow slots d touches are all free: none occupied at all (live
 * counts register slots, mem_live does not: two loads), or each of d->rs free. */
static inline int regs_passive(const SMap *m, const Desc *d)
{
    if (m->live == m->mem_live)
        return 1;
    if (d->nrs == 0xFF)
        return 0;
    for (int i = 0; i < d->nrs; i++)
        if (m->regs[d->rs[i]].key)
            return 0;
    return 1;
}

/* The Unicorn code hook (UC_HOOK_CODE callback). Its fast exit: an instruction whose
 * descriptor is `fast`, with every register slot it touches free (regs_passive) and none of
 * its memory bytes possibly active (mem_passive), touches only passive bytes; its handler
 * would change nothing and return 1, so the exit does only what the full hook then does
 * (count it, remember the address). The other conditions are those under which the full
 * hook would reach that handler. */
static void hot_hook(void *uc, uint64_t addr, uint32_t size, void *ud)
{
    HotObject *h = (HotObject *)ud;
    uint64_t slot = DC_SLOT(addr);
    const Desc *d = h->dc[slot].d;
    if (d && h->dc[slot].addr == addr && d->fast && !h->disabled && h->suppress_ret == -1 &&
        !h->py_pending && regs_passive(&h->sh->m, d) && (!d->nmem || mem_passive(h, d))) {
        h->n_c++;
        h->n_skip++;
        h->prev = addr;
        return;
    }
    hot_hook_full(uc, addr, size, ud);
}

/* ------------------------------------------------------------ building descriptors */

static int parse_loc(PyObject *o, Loc *l)
{
    memset(l, 0, sizeof *l);
    l->base = l->index = -1;
    if (o == Py_None)
        return 0;
    long long base, index, scale, seg;
    unsigned long long c;
    if (!PyTuple_Check(o))
        goto bad;
    if (PyTuple_GET_SIZE(o) == 2) { /* ("c", loc) */
        c = PyLong_AsUnsignedLongLongMask(PyTuple_GET_ITEM(o, 1));
        l->kind = 1;
        l->c = c;
        return PyErr_Occurred() ? -1 : 0;
    }
    if (PyTuple_GET_SIZE(o) != 6) /* ("m", base, index, scale, disp, seg) */
        goto bad;
    base = PyLong_AsLongLong(PyTuple_GET_ITEM(o, 1));
    index = PyLong_AsLongLong(PyTuple_GET_ITEM(o, 2));
    scale = PyLong_AsLongLong(PyTuple_GET_ITEM(o, 3));
    c = PyLong_AsUnsignedLongLongMask(PyTuple_GET_ITEM(o, 4));
    seg = PyLong_AsLongLong(PyTuple_GET_ITEM(o, 5));
    if (PyErr_Occurred())
        return -1;
    if (base < -1 || base > 15 || index < -1 || index > 15 || seg < 0 || seg > 2)
        goto bad;
    l->kind = 2;
    l->base = (int8_t)base;
    l->index = (int8_t)index;
    l->scale = (uint8_t)scale;
    l->seg = (int8_t)seg;
    l->c = c;
    return 0;
bad:
    PyErr_SetString(PyExc_ValueError, "bad location spec");
    return -1;
}

static int parse_spans(PyObject *seq, Span *out, uint8_t *count)
{
    PyObject *f = PySequence_Fast(seq, "spans");
    if (!f)
        return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(f);
    if (n > MAXSPANS) {
        Py_DECREF(f);
        PyErr_SetString(PyExc_ValueError, "too many spans");
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *it = PySequence_Fast_GET_ITEM(f, i);
        long cnt;
        if (!PyTuple_Check(it) || PyTuple_GET_SIZE(it) != 2 ||
            parse_loc(PyTuple_GET_ITEM(it, 0), &out[i].loc) < 0) {
            Py_DECREF(f);
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_ValueError, "bad span");
            return -1;
        }
        cnt = PyLong_AsLong(PyTuple_GET_ITEM(it, 1));
        if (cnt < 0 || cnt > 32) {
            Py_DECREF(f);
            PyErr_SetString(PyExc_ValueError, "bad span size");
            return -1;
        }
        out[i].n = (uint8_t)cnt;
    }
    *count = (uint8_t)n;
    Py_DECREF(f);
    return 0;
}

/* Whether bytes [l, l + extent) of a location are all register shadow bytes (the direct
 * array of the shadow map); a location with no kind takes part in nothing. */
static int loc_in_regs(const Loc *l, uint64_t extent)
{
    if (l->kind == 0)
        return 1;
    const uint64_t r0 = REGK0 << 3, r1 = (REGK0 + NREGK) << 3;
    return l->kind == 1 && l->c >= r0 && l->c < r1 && extent <= r1 - l->c;
}

/* Account for bytes [l, l + extent) of a location in desc_classify: a register shadow range
 * is fine as it is, a memory location joins d->mem (once per location, with the largest
 * extent); anything else (too many memory locations, a constant straddling the register
 * range) returns 0: no fast exit for this descriptor. */
static int classify_loc(Desc *d, const Loc *l, uint64_t extent)
{
    if (loc_in_regs(l, extent)) {
        if (l->kind == 0 || !extent || d->nrs == 0xFF)
            return 1;
        for (uint64_t k = l->c >> 3; k <= (l->c + extent - 1) >> 3; k++) {
            uint16_t r = (uint16_t)(k - REGK0);
            int seen = 0;
            for (int i = 0; i < d->nrs; i++)
                seen |= d->rs[i] == r;
            if (seen)
                continue;
            if (d->nrs == 8) {
                d->nrs = 0xFF;
                return 1;
            }
            d->rs[d->nrs++] = r;
        }
        return 1;
    }
    const uint64_t r0 = REGK0 << 3;
    if (l->kind == 1 && l->c + extent > r0)
        return 0;
    if (extent > 0xFFFF)
        return 0;
    for (int i = 0; i < d->nmem; i++)
        if (!memcmp(&d->mem[i].loc, l, sizeof *l)) {
            if (extent > d->mem[i].ext)
                d->mem[i].ext = (uint16_t)extent;
            return 1;
        }
    if (d->nmem == 4)
        return 0;
    d->mem[d->nmem].loc = *l;
    d->mem[d->nmem].ext = (uint16_t)extent;
    d->nmem++;
    return 1;
}

/* Set Desc.fast, nmem/mem and nrs/rs (fast stays 0: no fast exit). Only the kinds whose
 * handlers, with every location they touch passive, return 1 without changing anything:
 * run_move copies/clears passive bytes over passive bytes, run_gen and run_guard see no
 * active read and clear passive writes, run_bin finds no active lane, run_un clears a
 * passive destination; and D_NOP's, which does nothing at all. The extents are the byte
 * ranges the handler looks at. */
static void desc_classify(Desc *d)
{
    int ok = 1;
    d->nmem = d->nrs = 0;
    Loc cp;
    switch (d->kind) {
    case D_NOP: /* its handler does nothing whatever is active */
        break;
    case D_MOVE:
        for (int p = 0; p < d->npieces && ok; p++) {
            const Piece *pc = &d->pieces[p];
            ok = classify_loc(d, &d->ops[0], (uint64_t)pc->doff + pc->n) &&
                 (pc->src < 0 || classify_loc(d, &d->ops[pc->src], (uint64_t)pc->soff + pc->n));
        }
        break;
    case D_GEN:
    case D_GUARD:
        for (int i = 0; i < d->nreads && ok; i++)
            ok = classify_loc(d, &d->reads[i].loc, d->reads[i].n);
        for (int i = 0; i < d->nwrites && ok; i++)
            ok = classify_loc(d, &d->writes[i].loc, d->writes[i].n);
        break;
    case D_BIN:
    case D_UN:
        memset(&cp, 0, sizeof cp); /* the destination: xmm register di (fixed) */
        cp.kind = 1;
        cp.c = XMM_BASE + 32ULL * d->di;
        ok = d->src.kind != 0 &&
             classify_loc(d, &d->src, d->kind == D_BIN ? (uint64_t)d->w * d->lanes : d->w) &&
             classify_loc(d, &cp, d->kind == D_BIN ? (uint64_t)d->w * d->lanes : d->w_out);
        break;
    default:
        ok = 0;
    }
    d->fast = (uint8_t)ok;
}

/* set_desc(addr, desc): desc is one of
 *   ("nop",)
 *   ("rep",)   -- a rep-prefixed string instruction: Python handles the first iteration
 *   ("move", (loc0, loc1, loc2), ((doff, n, src|None, soff), ...))
 *   ("gen", ((loc, n), ...) reads, ((loc, n), ...) writes, passive, x87)
 *   ("guard", reads, writes)   -- all reads passive: clear writes; else Python
 *   ("bin", op, w, lanes, di, src_loc, code)
 *   ("un", op, w_in, w_out, di, src_loc, code)
 *   ("call", target_loc, deref, is_jmp, return_address)  -- see set_target
 * with loc = ("c", value) | ("m", base, index, scale, disp, seg) | None. */
static PyObject *Hot_set_desc(HotObject *self, PyObject *args)
{
    unsigned long long addr;
    PyObject *spec;
    if (!PyArg_ParseTuple(args, "KO!", &addr, &PyTuple_Type, &spec))
        return NULL;
    if (PyTuple_GET_SIZE(spec) < 1)
        return PyErr_Format(PyExc_ValueError, "empty descriptor");
    const char *kind = PyUnicode_AsUTF8(PyTuple_GET_ITEM(spec, 0));
    if (!kind)
        return NULL;
    Desc *d = calloc(1, sizeof(Desc));
    if (!d)
        return PyErr_NoMemory();
    Py_ssize_t n = PyTuple_GET_SIZE(spec);
    if (!strcmp(kind, "nop")) {
        d->kind = D_NOP;
    } else if (!strcmp(kind, "rep")) {
        d->kind = D_REP;
    } else if (!strcmp(kind, "move") && n == 3) {
        d->kind = D_MOVE;
        PyObject *ops = PySequence_Fast(PyTuple_GET_ITEM(spec, 1), "ops");
        if (!ops)
            goto fail;
        Py_ssize_t no = PySequence_Fast_GET_SIZE(ops);
        if (no > 3) {
            Py_DECREF(ops);
            goto bad;
        }
        for (Py_ssize_t i = 0; i < no; i++)
            if (parse_loc(PySequence_Fast_GET_ITEM(ops, i), &d->ops[i]) < 0) {
                Py_DECREF(ops);
                goto fail;
            }
        d->nops = (uint8_t)no;
        Py_DECREF(ops);
        PyObject *ps = PySequence_Fast(PyTuple_GET_ITEM(spec, 2), "pieces");
        if (!ps)
            goto fail;
        Py_ssize_t np = PySequence_Fast_GET_SIZE(ps);
        if (np > MAXPIECES) {
            Py_DECREF(ps);
            goto bad;
        }
        for (Py_ssize_t i = 0; i < np; i++) {
            PyObject *p = PySequence_Fast_GET_ITEM(ps, i);
            if (!PyTuple_Check(p) || PyTuple_GET_SIZE(p) != 4) {
                Py_DECREF(ps);
                goto bad;
            }
            long doff = PyLong_AsLong(PyTuple_GET_ITEM(p, 0));
            long cnt = PyLong_AsLong(PyTuple_GET_ITEM(p, 1));
            PyObject *src = PyTuple_GET_ITEM(p, 2);
            long si = src == Py_None ? -1 : PyLong_AsLong(src);
            long soff = PyLong_AsLong(PyTuple_GET_ITEM(p, 3));
            if (PyErr_Occurred() || doff < 0 || doff > 255 || cnt < 0 || cnt > 32 ||
                soff < 0 || soff > 255 || si >= no || si < -1 ||
                (si >= 0 && d->ops[si].kind == 0)) {
                Py_DECREF(ps);
                goto bad;
            }
            d->pieces[i] = (Piece){(uint8_t)doff, (uint8_t)cnt, (uint8_t)soff, (int8_t)si};
        }
        d->npieces = (uint8_t)np;
        Py_DECREF(ps);
        if (!no || d->ops[0].kind == 0)
            goto bad;
    } else if (!strcmp(kind, "guard") && n == 3) {
        d->kind = D_GUARD;
        if (parse_spans(PyTuple_GET_ITEM(spec, 1), d->reads, &d->nreads) < 0 ||
            parse_spans(PyTuple_GET_ITEM(spec, 2), d->writes, &d->nwrites) < 0)
            goto fail;
    } else if (!strcmp(kind, "gen") && n == 5) {
        d->kind = D_GEN;
        if (parse_spans(PyTuple_GET_ITEM(spec, 1), d->reads, &d->nreads) < 0 ||
            parse_spans(PyTuple_GET_ITEM(spec, 2), d->writes, &d->nwrites) < 0)
            goto fail;
        d->passive = (uint8_t)PyObject_IsTrue(PyTuple_GET_ITEM(spec, 3));
        d->x87 = (uint8_t)PyObject_IsTrue(PyTuple_GET_ITEM(spec, 4));
    } else if ((!strcmp(kind, "bin") || !strcmp(kind, "un")) && n == 7) {
        int bin = kind[0] == 'b';
        d->kind = bin ? D_BIN : D_UN;
        long op = PyLong_AsLong(PyTuple_GET_ITEM(spec, 1));
        long w = PyLong_AsLong(PyTuple_GET_ITEM(spec, 2));
        long x = PyLong_AsLong(PyTuple_GET_ITEM(spec, 3)); /* lanes or w_out */
        long di = PyLong_AsLong(PyTuple_GET_ITEM(spec, 4));
        long code = PyLong_AsLong(PyTuple_GET_ITEM(spec, 6));
        if (PyErr_Occurred() || parse_loc(PyTuple_GET_ITEM(spec, 5), &d->src) < 0)
            goto fail;
        if ((w != 4 && w != 8) || di < 0 || di > 15 || d->src.kind == 0 || code < 0 ||
            code > 0xFFFF)
            goto bad;
        if (bin && (op < OP_ADD || op > OP_MAX || x < 1 || x * w > 16))
            goto bad;
        if (!bin && (op < UN_SQRT || op > UN_CVT || (x != 4 && x != 8)))
            goto bad;
        d->op = (uint8_t)op;
        d->w = (uint8_t)w;
        d->lanes = bin ? (uint8_t)x : 1;
        d->w_out = bin ? (uint8_t)w : (uint8_t)x;
        d->di = (uint8_t)di;
        d->code = (uint16_t)code;
    } else if (!strcmp(kind, "x87")) {
        if (x87_parse_desc(d, spec) < 0)
            goto bad;
    } else if (!strcmp(kind, "call") && n == 5) {
        d->kind = D_CALL;
        if (parse_loc(PyTuple_GET_ITEM(spec, 1), &d->src) < 0)
            goto fail;
        d->deref = (uint8_t)PyObject_IsTrue(PyTuple_GET_ITEM(spec, 2));
        d->is_jmp = (uint8_t)PyObject_IsTrue(PyTuple_GET_ITEM(spec, 3));
        d->ret = PyLong_AsUnsignedLongLongMask(PyTuple_GET_ITEM(spec, 4));
        if (PyErr_Occurred() || d->src.kind == 0)
            goto bad;
    } else {
        goto bad;
    }
    desc_classify(d);
    if (self->dc[DC_SLOT(addr)].addr == addr)
        self->dc[DC_SLOT(addr)].d = NULL; /* dm_set frees the descriptor it replaces */
    if (dm_set(&self->descs, addr, d) < 0) {
        free(d);
        return PyErr_NoMemory();
    }
    Py_RETURN_NONE;
bad:
    if (!PyErr_Occurred())
        PyErr_SetString(PyExc_ValueError, "bad descriptor");
fail:
    free(d);
    return NULL;
}

/* set_target(addr, spec): what a call/jmp target is, for call descriptors:
 *   ("plain",) ordinary traced code | ("stub", got_slot) a PLT stub |
 *   ("fn", rule, width, nargs, op_code) a math function with a compiled rule */
static PyObject *Hot_set_target(HotObject *self, PyObject *args)
{
    unsigned long long addr;
    PyObject *spec;
    if (!PyArg_ParseTuple(args, "KO!", &addr, &PyTuple_Type, &spec))
        return NULL;
    const char *kind = PyTuple_GET_SIZE(spec) ? PyUnicode_AsUTF8(PyTuple_GET_ITEM(spec, 0)) : "";
    if (!kind)
        return NULL;
    Desc *d = calloc(1, sizeof(Desc));
    if (!d)
        return PyErr_NoMemory();
    Py_ssize_t n = PyTuple_GET_SIZE(spec);
    if (!strcmp(kind, "plain") && n == 1) {
        d->kind = MT_PLAIN;
    } else if (!strcmp(kind, "stub") && n == 2) {
        d->kind = MT_STUB;
        d->ret = PyLong_AsUnsignedLongLongMask(PyTuple_GET_ITEM(spec, 1));
    } else if (!strcmp(kind, "fn") && n == 5) {
        long fn = PyLong_AsLong(PyTuple_GET_ITEM(spec, 1));
        long w = PyLong_AsLong(PyTuple_GET_ITEM(spec, 2));
        long nargs = PyLong_AsLong(PyTuple_GET_ITEM(spec, 3));
        long code = PyLong_AsLong(PyTuple_GET_ITEM(spec, 4));
        if (fn < 0 || fn >= M_COUNT || (w != 4 && w != 8 && w != 10) || nargs < 1 || nargs > 2 ||
            code < 0 || code > 0xFFFF) {
            free(d);
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_ValueError, "bad math target");
            return NULL;
        }
        d->kind = MT_FN;
        d->op = (uint8_t)fn;
        d->w = (uint8_t)w;
        d->lanes = (uint8_t)nargs;
        d->code = (uint16_t)code;
    } else {
        free(d);
        PyErr_SetString(PyExc_ValueError, "bad call target spec");
        return NULL;
    }
    if (PyErr_Occurred() || dm_set(&self->targets, addr, d) < 0) {
        free(d);
        return PyErr_Occurred() ? NULL : PyErr_NoMemory();
    }
    Py_RETURN_NONE;
}

static PyObject *Hot_clear_descs(HotObject *self, PyObject *unused)
{
    memset(self->dc, 0, sizeof self->dc);
    dm_free(&self->descs);
    Py_RETURN_NONE;
}

/* Hot(shadow, tape, py_step, uc_handle, reg_read, mem_read, emu_stop, gpr_ids, xmm_ids,
 *     fs_base_id, gs_base_id) */
static int Hot_init(HotObject *self, PyObject *args, PyObject *kw)
{
    PyObject *sh, *tape, *step, *gids, *xids;
    unsigned long long uc, rr, mr, stop;
    int fs, gs;
    if (!PyArg_ParseTuple(args, "O!O!OKKKKOOii", &ShadowType, &sh, &TapeType, &tape, &step, &uc,
                          &rr, &mr, &stop, &gids, &xids, &fs, &gs))
        return -1;
    if (!PyCallable_Check(step)) {
        PyErr_SetString(PyExc_TypeError, "py_step must be callable");
        return -1;
    }
    for (int i = 0; i < 16; i++) {
        PyObject *g = PySequence_GetItem(gids, i), *x = PySequence_GetItem(xids, i);
        if (!g || !x) {
            Py_XDECREF(g);
            Py_XDECREF(x);
            return -1;
        }
        self->gpr_ids[i] = (int)PyLong_AsLong(g);
        self->xmm_ids[i] = (int)PyLong_AsLong(x);
        Py_DECREF(g);
        Py_DECREF(x);
    }
    if (PyErr_Occurred())
        return -1;
    self->seg_ids[0] = 0;
    self->seg_ids[1] = fs;
    self->seg_ids[2] = gs;
    Py_INCREF(sh);
    Py_XSETREF(self->sh, (ShadowObject *)sh);
    Py_INCREF(tape);
    Py_XSETREF(self->tape, (TapeObject *)tape);
    Py_INCREF(step);
    Py_XSETREF(self->py_step, step);
    self->uc = (void *)(uintptr_t)uc;
    self->rr = (reg_read_fn)(uintptr_t)rr;
    self->mr = (mem_read_fn)(uintptr_t)mr;
    self->stop = (emu_stop_fn)(uintptr_t)stop;
    self->suppress_ret = -1;
    return 0;
}

/* GC support: py_step and math_finish are bound methods of the recorder, which holds the
 * machine, which holds this hook: without it every recorded run would be an uncollectable
 * cycle (its guest memory and shadow never freed). */
static int Hot_traverse(HotObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->py_step);
    Py_VISIT(self->py_math_finish);
    Py_VISIT(self->sh);
    Py_VISIT(self->tape);
    return 0;
}

static int Hot_clear(HotObject *self)
{
    Py_CLEAR(self->py_step);
    Py_CLEAR(self->py_math_finish);
    return 0;
}

static void Hot_dealloc(HotObject *self)
{
    PyObject_GC_UnTrack(self);
    dm_free(&self->descs);
    dm_free(&self->targets);
    Py_XDECREF(self->py_math_finish);
    Py_XDECREF(self->sh);
    Py_XDECREF(self->tape);
    Py_XDECREF(self->py_step);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *Hot_get_hook(HotObject *self, void *closure)
{
    return PyLong_FromVoidPtr((void *)hot_hook);
}

static PyObject *Hot_get_self_ptr(HotObject *self, void *closure)
{
    return PyLong_FromVoidPtr((void *)self);
}

static PyMemberDef Hot_members[] = {
    {"fp_mode", T_INT, offsetof(HotObject, fp_mode), 0, NULL},
    {"disabled", T_INT, offsetof(HotObject, disabled), 0, NULL},
    {"py_pending", T_INT, offsetof(HotObject, py_pending), 0, NULL},
    {"suppress_ret", T_LONGLONG, offsetof(HotObject, suppress_ret), 0, NULL},
    {"prev", T_ULONGLONG, offsetof(HotObject, prev), 0, NULL},
    {"n_c", T_ULONGLONG, offsetof(HotObject, n_c), READONLY, NULL},
    {"n_py", T_ULONGLONG, offsetof(HotObject, n_py), READONLY, NULL},
    {"n_skip", T_ULONGLONG, offsetof(HotObject, n_skip), READONLY, NULL},
    {"n_calls", T_ULONGLONG, offsetof(HotObject, n_calls), READONLY, NULL},
    {"math_finish", T_OBJECT_EX, offsetof(HotObject, py_math_finish), 0, NULL},
    {NULL}};

static PyGetSetDef Hot_getset[] = {
    {"hook_address", (getter)Hot_get_hook, NULL, "address of the C code-hook callback", NULL},
    {"user_data", (getter)Hot_get_self_ptr, NULL, "user_data to register the hook with", NULL},
    {NULL}};

static PyMethodDef Hot_methods[] = {
    {"set_desc", (PyCFunction)Hot_set_desc, METH_VARARGS, NULL},
    {"clear_descs", (PyCFunction)Hot_clear_descs, METH_NOARGS, NULL},
    {"set_target", (PyCFunction)Hot_set_target, METH_VARARGS, NULL},
    {NULL}};

static PyTypeObject HotType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "revad_emu._hot.Hot",
    .tp_basicsize = sizeof(HotObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_traverse = (traverseproc)Hot_traverse,
    .tp_clear = (inquiry)Hot_clear,
    .tp_doc = "The compiled per-instruction recorder (code hook + descriptors).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Hot_init,
    .tp_dealloc = (destructor)Hot_dealloc,
    .tp_members = Hot_members,
    .tp_getset = Hot_getset,
    .tp_methods = Hot_methods,
};

/* ===================================================================== Blocks type */
/* The machine's block hook (knows nothing of AD): counts instructions per translation block,
 * asks Python to vet each new block once (VEX guard, instruction count), and calls Python
 * every 16384 blocks (Ctrl-C, progress) and when the instruction budget is exceeded. */

typedef struct {
    PyObject_HEAD void *uc;
    emu_stop_fn stop;
    PyObject *on_new, *on_tick, *on_budget;
    unsigned long long instructions, blocks, last_block;
    long long max_instructions; /* -1: no budget */
    UMap known; /* block address -> size << 32 | instruction count */
    PyObject *aligner; /* an Aligner whose block checks run at each block, or NULL */
} BlocksObject;

static int aligner_block(PyObject *aligner, void *uc, uint64_t addr);

static void blocks_hook(void *uc, uint64_t addr, uint32_t size, void *ud)
{
    BlocksObject *b = (BlocksObject *)ud;
    uint64_t *v = um_get(&b->known, addr);
    uint64_t count;
    if (v && (*v >> 32) == size) {
        count = *v & 0xFFFFFFFFULL;
    } else {
        PyGILState_STATE g = PyGILState_Ensure();
        PyObject *r = PyObject_CallFunction(b->on_new, "KI", (unsigned long long)addr,
                                            (unsigned int)size);
        long long c = -1;
        if (r && PyLong_Check(r))
            c = PyLong_AsLongLong(r);
        if (PyErr_Occurred())
            PyErr_WriteUnraisable(b->on_new);
        Py_XDECREF(r);
        PyGILState_Release(g);
        if (c < 0) { /* on_new has already stopped the engine with its error */
            b->stop(b->uc);
            return;
        }
        count = (uint64_t)c;
        if (v)
            *v = (uint64_t)size << 32 | count;
        else
            um_put(&b->known, addr, (uint64_t)size << 32 | count);
    }
    if (b->aligner && aligner_block(b->aligner, uc, addr)) { /* misaligned: never runs */
        b->stop(b->uc);
        return;
    }
    b->last_block = addr;
    b->instructions += count;
    b->blocks++;
    int tick = !(b->blocks & 0x3FFF);
    int over = b->max_instructions >= 0 && b->instructions > (uint64_t)b->max_instructions;
    if (tick || over) {
        PyGILState_STATE g = PyGILState_Ensure();
        PyObject *r = over ? PyObject_CallFunction(b->on_budget, "K", (unsigned long long)addr)
                           : PyObject_CallNoArgs(b->on_tick);
        if (!r)
            PyErr_WriteUnraisable(over ? b->on_budget : b->on_tick);
        Py_XDECREF(r);
        PyGILState_Release(g);
    }
}

/* Blocks(uc_handle, emu_stop, on_new, on_tick, on_budget) */
static int Blocks_init(BlocksObject *self, PyObject *args, PyObject *kw)
{
    unsigned long long uc, stop;
    PyObject *a, *t, *bu;
    if (!PyArg_ParseTuple(args, "KKOOO", &uc, &stop, &a, &t, &bu))
        return -1;
    self->uc = (void *)(uintptr_t)uc;
    self->stop = (emu_stop_fn)(uintptr_t)stop;
    Py_INCREF(a);
    Py_XSETREF(self->on_new, a);
    Py_INCREF(t);
    Py_XSETREF(self->on_tick, t);
    Py_INCREF(bu);
    Py_XSETREF(self->on_budget, bu);
    self->max_instructions = -1;
    return 0;
}

/* GC support: the callbacks are bound methods of the machine, which keeps this object alive
 * through its Unicorn wrapper (see Hot_traverse). */
static int Blocks_traverse(BlocksObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->on_new);
    Py_VISIT(self->on_tick);
    Py_VISIT(self->on_budget);
    Py_VISIT(self->aligner);
    return 0;
}

static int Blocks_clear(BlocksObject *self)
{
    Py_CLEAR(self->on_new);
    Py_CLEAR(self->on_tick);
    Py_CLEAR(self->on_budget);
    Py_CLEAR(self->aligner);
    return 0;
}

static void Blocks_dealloc(BlocksObject *self)
{
    PyObject_GC_UnTrack(self);
    um_free(&self->known);
    Py_XDECREF(self->aligner);
    Py_XDECREF(self->on_new);
    Py_XDECREF(self->on_tick);
    Py_XDECREF(self->on_budget);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *Blocks_forget(BlocksObject *self, PyObject *unused)
{
    um_free(&self->known);
    Py_RETURN_NONE;
}

static PyObject *Blocks_get_hook(BlocksObject *self, void *closure)
{
    return PyLong_FromVoidPtr((void *)blocks_hook);
}

static PyObject *Blocks_get_self_ptr(BlocksObject *self, void *closure)
{
    return PyLong_FromVoidPtr((void *)self);
}

static PyMemberDef Blocks_members[] = {
    {"instructions", T_ULONGLONG, offsetof(BlocksObject, instructions), 0, NULL},
    {"blocks", T_ULONGLONG, offsetof(BlocksObject, blocks), 0, NULL},
    {"last_block", T_ULONGLONG, offsetof(BlocksObject, last_block), 0, NULL},
    {"max_instructions", T_LONGLONG, offsetof(BlocksObject, max_instructions), 0, NULL},
    {NULL}};

static PyGetSetDef Blocks_getset[] = {
    {"hook_address", (getter)Blocks_get_hook, NULL, NULL, NULL},
    {"user_data", (getter)Blocks_get_self_ptr, NULL, NULL, NULL},
    {NULL}};

static PyObject *Blocks_set_aligner(BlocksObject *self, PyObject *aligner)
{
    Py_INCREF(aligner);
    Py_XSETREF(self->aligner, aligner);
    Py_RETURN_NONE;
}

static PyMethodDef Blocks_methods[] = {
    {"forget", (PyCFunction)Blocks_forget, METH_NOARGS, "forget the vetted blocks"},
    {"set_aligner", (PyCFunction)Blocks_set_aligner, METH_O, "check an Aligner's blocks"},
    {NULL}};

static PyTypeObject BlocksType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "revad_emu._hot.Blocks",
    .tp_basicsize = sizeof(BlocksObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_traverse = (traverseproc)Blocks_traverse,
    .tp_clear = (inquiry)Blocks_clear,
    .tp_doc = "The machine's block hook: instruction counting and vetting of new blocks.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Blocks_init,
    .tp_dealloc = (destructor)Blocks_dealloc,
    .tp_members = Blocks_members,
    .tp_getset = Blocks_getset,
    .tp_methods = Blocks_methods,
};

/* ===================================================================== Aligner type */
/* Code hooks at the SSE instructions whose memory operand must be aligned (cpu.py): the
 * operand's address from the registers, and a stop of the engine when it is misaligned
 * (Unicorn does not check, a CPU raises #GP: SIGSEGV). One object holds every site; each
 * site's hook passes the object, and the address picks the site. */

typedef struct {
    int base, index, seg; /* Unicorn register ids, -1: none */
    int64_t scale, disp;
    uint64_t align, pc;
    uint64_t next; /* block checks: the next check of the same block + 1, 0: none */
} AlignSite;

typedef struct {
    PyObject_HEAD void *uc;
    emu_stop_fn stop;
    reg_read_fn rr;
    UMap index;  /* instruction address -> site number (checked by a code hook there) */
    UMap blocks; /* block address -> first block check + 1 (checked as the block starts, for
                  * operands whose registers the block does not change before using them) */
    AlignSite *sites;
    uint64_t n, cap;
    unsigned long long fault_pc, fault_address; /* the first misaligned access seen */
} AlignerObject;

/* 1 (and the fault noted) if the site's operand is misaligned now. */
static int aligner_misaligned(AlignerObject *a, void *uc, const AlignSite *s)
{
    uint64_t ea = (uint64_t)s->disp, r;
    if (s->base >= 0 && !a->rr(uc, s->base, &r))
        ea += r;
    if (s->index >= 0 && !a->rr(uc, s->index, &r))
        ea += r * (uint64_t)s->scale;
    if (s->seg >= 0 && !a->rr(uc, s->seg, &r))
        ea += r;
    if (!(ea & (s->align - 1)))
        return 0;
    a->fault_pc = s->pc;
    a->fault_address = ea;
    return 1;
}

static void aligner_hook(void *uc, uint64_t addr, uint32_t size, void *ud)
{
    AlignerObject *a = (AlignerObject *)ud;
    uint64_t *v = um_get(&a->index, addr);
    if (v && !a->fault_pc && aligner_misaligned(a, uc, &a->sites[*v]))
        a->stop(uc);
}

/* Called by the Blocks hook as a block starts: 1 if one of its checks fails. */
static int aligner_block(PyObject *aligner, void *uc, uint64_t addr)
{
    AlignerObject *a = (AlignerObject *)aligner;
    uint64_t *v = um_get(&a->blocks, addr);
    for (uint64_t i = v ? *v : 0; i && !a->fault_pc; i = a->sites[i - 1].next)
        if (aligner_misaligned(a, uc, &a->sites[i - 1]))
            return 1;
    return 0;
}

/* Aligner(uc_handle, emu_stop, uc_reg_read) */
static int Aligner_init(AlignerObject *self, PyObject *args, PyObject *kw)
{
    unsigned long long uc, stop, rr;
    if (!PyArg_ParseTuple(args, "KKK", &uc, &stop, &rr))
        return -1;
    self->uc = (void *)(uintptr_t)uc;
    self->stop = (emu_stop_fn)(uintptr_t)stop;
    self->rr = (reg_read_fn)(uintptr_t)rr;
    return 0;
}

static void Aligner_dealloc(AlignerObject *self)
{
    um_free(&self->index);
    um_free(&self->blocks);
    free(self->sites);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* add(address, base, index, scale, disp, segment, align[, block]): register ids -1 for
 * none; with block, the check runs as that block starts (disp already adjusted for what
 * the block adds to the registers before the instruction), else at the instruction. */
static PyObject *Aligner_add(AlignerObject *self, PyObject *args)
{
    unsigned long long addr, align, block = 0;
    int base, index, seg;
    long long scale, disp;
    if (!PyArg_ParseTuple(args, "KiiLLiK|K", &addr, &base, &index, &scale, &disp, &seg, &align,
                          &block))
        return NULL;
    if (align == 0 || (align & (align - 1)))
        return PyErr_Format(PyExc_ValueError, "alignment must be a power of two");
    if (!block && um_get(&self->index, addr))
        Py_RETURN_NONE;
    if (self->n == self->cap) {
        uint64_t cap = self->cap ? 2 * self->cap : 64;
        AlignSite *more = (AlignSite *)realloc(self->sites, cap * sizeof(AlignSite));
        if (!more)
            return PyErr_NoMemory();
        self->sites = more;
        self->cap = cap;
    }
    AlignSite *s = &self->sites[self->n];
    s->base = base;
    s->index = index;
    s->seg = seg;
    s->scale = scale;
    s->disp = disp;
    s->align = align;
    s->pc = addr;
    s->next = 0;
    if (block) {
        uint64_t *first = um_get(&self->blocks, block);
        if (first) {
            s->next = *first;
            *first = self->n + 1;
        } else if (um_put(&self->blocks, block, self->n + 1) < 0) {
            return PyErr_NoMemory();
        }
    } else if (um_put(&self->index, addr, self->n) < 0) {
        return PyErr_NoMemory();
    }
    self->n++;
    Py_RETURN_NONE;
}

static PyObject *Aligner_get_hook(AlignerObject *self, void *closure)
{
    return PyLong_FromVoidPtr((void *)aligner_hook);
}

static PyObject *Aligner_get_self_ptr(AlignerObject *self, void *closure)
{
    return PyLong_FromVoidPtr((void *)self);
}

static PyMemberDef Aligner_members[] = {
    {"fault_pc", T_ULONGLONG, offsetof(AlignerObject, fault_pc), 0, NULL},
    {"fault_address", T_ULONGLONG, offsetof(AlignerObject, fault_address), 0, NULL},
    {NULL}};

static PyGetSetDef Aligner_getset[] = {
    {"hook_address", (getter)Aligner_get_hook, NULL, NULL, NULL},
    {"user_data", (getter)Aligner_get_self_ptr, NULL, NULL, NULL},
    {NULL}};

static PyMethodDef Aligner_methods[] = {
    {"add", (PyCFunction)Aligner_add, METH_VARARGS, "add a site"}, {NULL}};

static PyTypeObject AlignerType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "revad_emu._hot.Aligner",
    .tp_basicsize = sizeof(AlignerObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Aligner_init,
    .tp_dealloc = (destructor)Aligner_dealloc,
    .tp_methods = Aligner_methods,
    .tp_members = Aligner_members,
    .tp_getset = Aligner_getset,
};

/* ===================================================================== module */

static struct PyModuleDef hotmodule = {PyModuleDef_HEAD_INIT, "_hot",
                                       "Compiled hot path of the revad_emu recorder.", -1, NULL};

PyMODINIT_FUNC PyInit__hot(void)
{
    if (PyType_Ready(&ShadowType) < 0 || PyType_Ready(&TapeType) < 0 ||
        PyType_Ready(&ColumnType) < 0 || PyType_Ready(&HotType) < 0 ||
        PyType_Ready(&BlocksType) < 0 || PyType_Ready(&AlignerType) < 0)
        return NULL;
    LN2 = log(two);
    LN10 = log(ten);
    TWO_OVER_SQRTPI = two / sqrt(M_PI);
    PyObject *m = PyModule_Create(&hotmodule);
    if (!m)
        return NULL;
    if (x87_module_init(m) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    PyObject *names = PyTuple_New(M_COUNT);
    if (!names)
        return NULL;
    for (int i = 0; i < M_COUNT; i++)
        PyTuple_SET_ITEM(names, i, PyUnicode_FromString(math_names[i]));
    if (PyModule_AddObject(m, "MATH_RULES", names) < 0 ||
        PyModule_AddObject(m, "NOOP_HOOK", PyLong_FromVoidPtr((void *)noop_hook)) < 0)
        return NULL;
    Py_INCREF(&ShadowType);
    Py_INCREF(&TapeType);
    Py_INCREF(&HotType);
    Py_INCREF(&BlocksType);
    Py_INCREF(&AlignerType);
    if (PyModule_AddObject(m, "Aligner", (PyObject *)&AlignerType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    if (PyModule_AddObject(m, "Shadow", (PyObject *)&ShadowType) < 0 ||
        PyModule_AddObject(m, "Tape", (PyObject *)&TapeType) < 0 ||
        PyModule_AddObject(m, "Hot", (PyObject *)&HotType) < 0 ||
        PyModule_AddObject(m, "Blocks", (PyObject *)&BlocksType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
