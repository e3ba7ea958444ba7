/* pool._pool: the fast path of pool.Pool in C -- see fastpool.py for the whole design.
 *
 * Mirrors Pool.Get and Pool.Put in Go's src/sync/pool.go: pin to the P, take its private
 * slot or fill it, else go on to the shared queue and getSlow. Here a thread stands for a P
 * (local.py). Three types:
 *
 *   Local     one thread's private slot, shared queue and counters for one generation: the
 *             slots of local.py's Local, as C fields, so that the reference's slow path,
 *             stealing, victim search and cleanup (all Python) work on it unchanged.
 *   FastPool  get(), put() and pin(); everything else is the reference Pool's own methods,
 *             attached by fastpool.py. Finding the thread's Local costs one look into a
 *             per-thread C array (the cache below), not a threading.local lookup.
 *   Handle    pin()'s result: get() and put() on a Local held directly (Go's pinned
 *             poolLocal), as syncpool.Handle.
 *
 * Only the fast path is here: a get served by the private slot or the head of the shared
 * queue, a put into the private slot or onto the head of the shared queue. Every other get
 * calls the pool's _get_slow (steal, victim, new), and a thread's first call in a
 * generation calls its _local().
 *
 * Counters are the reference's: itertools.repeat iterators (local.py's counter()), advanced
 * through their tp_iternext, so that Tallies and Stats read them as they read Pool's.
 *
 * The GIL makes each fast path atomic: no Python code runs inside one, so no other thread
 * and no cleanup runs while a slot is read and written. Without the GIL that no longer
 * holds, so the module declares Py_MOD_GIL_USED (fastpool.py does not import it when the GIL
 * is off).
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include "structmember.h"

static PyObject *deque_type;  /* collections.deque: a Local's default shared queue */
static PyObject *str_get_slow, *str_local, *str_append, *str_pop, *str_all, *str_debug;
static PyTypeObject *Local_Type, *Pool_Type, *Handle_Type;

/* ---------------------------------------------------------------- Local */

typedef struct {
    PyObject_HEAD
    PyObject *private;  /* NULL when empty; only the owner thread writes it */
    PyObject *shared;   /* owner: append/pop at the head; thieves: popleft */
    Py_ssize_t pid;     /* index in Locals.all: where this thread's thefts start */
    char demoted;       /* set by the cleanup that makes this generation the victim */
    /* The thread's own counters (its Tally's), in local.py's COUNTERS order. */
    PyObject *puts, *private_hits, *shared_hits, *steals, *victim_hits, *news, *misses,
             *drops;
} LocalObject;

#define N_COUNTERS 8
static const char *counter_names[N_COUNTERS] = {
    "puts", "private_hits", "shared_hits", "steals", "victim_hits", "news", "misses", "drops"};

static inline PyObject **
counters(LocalObject *self)
{
    return &self->puts;
}

/* next(c) on a counter: an itertools.repeat yields a borrowed-then-returned None, and no
 * allocation -- what lets stats stay on in the fast path. */
static inline void
count(PyObject *c)
{
    PyObject *none = Py_TYPE(c)->tp_iternext(c);
    Py_XDECREF(none);
}

static int
Local_init(LocalObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"pid", "tally", "shared_queue", NULL};
    Py_ssize_t pid;
    PyObject *tally, *shared_queue = deque_type;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "nO|O:Local", kwlist, &pid, &tally,
                                     &shared_queue)) {
        return -1;
    }
    PyObject *fresh[N_COUNTERS];
    for (int i = 0; i < N_COUNTERS; i++) {
        fresh[i] = PyObject_GetAttrString(tally, counter_names[i]);
        if (fresh[i] != NULL && !PyIter_Check(fresh[i])) {
            PyErr_Format(PyExc_TypeError, "tally.%s must be a counter (local.counter()), "
                         "not %.100s", counter_names[i], Py_TYPE(fresh[i])->tp_name);
            Py_CLEAR(fresh[i]);
        }
        if (fresh[i] == NULL) {
            while (i--) {
                Py_DECREF(fresh[i]);
            }
            return -1;
        }
    }
    PyObject *shared = PyObject_CallNoArgs(shared_queue);
    if (shared == NULL) {
        for (int i = 0; i < N_COUNTERS; i++) {
            Py_DECREF(fresh[i]);
        }
        return -1;
    }
    self->pid = pid;
    self->demoted = 0;
    Py_CLEAR(self->private);
    Py_XSETREF(self->shared, shared);
    for (int i = 0; i < N_COUNTERS; i++) {
        Py_XSETREF(counters(self)[i], fresh[i]);
    }
    return 0;
}

static int
Local_traverse(LocalObject *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(self->private);
    Py_VISIT(self->shared);
    for (int i = 0; i < N_COUNTERS; i++) {
        Py_VISIT(counters(self)[i]);
    }
    return 0;
}

static int
Local_clear(LocalObject *self)
{
    Py_CLEAR(self->private);
    Py_CLEAR(self->shared);
    for (int i = 0; i < N_COUNTERS; i++) {
        Py_CLEAR(counters(self)[i]);
    }
    return 0;
}

static void
Local_dealloc(LocalObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    Local_clear(self);
    tp->tp_free(self);
    Py_DECREF(tp);
}

static PyObject *
Local_get_private(LocalObject *self, void *closure)
{
    return Py_NewRef(self->private != NULL ? self->private : Py_None);
}

static int
Local_set_private(LocalObject *self, PyObject *value, void *closure)
{
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "a Local's private slot cannot be deleted: "
                        "set it to None to empty it");
        return -1;
    }
    Py_XSETREF(self->private, value == Py_None ? NULL : Py_NewRef(value));
    return 0;
}

static PyObject *
Local_get_shared(LocalObject *self, void *closure)
{
    return Py_NewRef(self->shared);
}

static int
Local_set_shared(LocalObject *self, PyObject *value, void *closure)
{
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "a Local's shared queue cannot be deleted: "
                        "give it an empty one");
        return -1;
    }
    Py_SETREF(self->shared, Py_NewRef(value));
    return 0;
}

static PyGetSetDef Local_getset[] = {
    {"private", (getter)Local_get_private, (setter)Local_set_private, NULL, NULL},
    {"shared", (getter)Local_get_shared, (setter)Local_set_shared, NULL, NULL},
    {NULL},
};

#define COUNTER_MEMBER(name) \
    {#name, T_OBJECT_EX, offsetof(LocalObject, name), READONLY, NULL}

static PyMemberDef Local_members[] = {
    {"pid", T_PYSSIZET, offsetof(LocalObject, pid), READONLY, NULL},
    {"demoted", T_BOOL, offsetof(LocalObject, demoted), 0, NULL},
    COUNTER_MEMBER(puts), COUNTER_MEMBER(private_hits), COUNTER_MEMBER(shared_hits),
    COUNTER_MEMBER(steals), COUNTER_MEMBER(victim_hits), COUNTER_MEMBER(news),
    COUNTER_MEMBER(misses), COUNTER_MEMBER(drops),
    {NULL},
};

static PyType_Slot Local_slots[] = {
    {Py_tp_doc, "One thread's share of one pool for one generation (local.py's Local, in C)."},
    {Py_tp_new, PyType_GenericNew},
    {Py_tp_init, Local_init},
    {Py_tp_traverse, Local_traverse},
    {Py_tp_clear, Local_clear},
    {Py_tp_dealloc, Local_dealloc},
    {Py_tp_getset, Local_getset},
    {Py_tp_members, Local_members},
    {0, NULL},
};

static PyType_Spec Local_spec = {
    "pool._pool.Local", sizeof(LocalObject), 0, Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    Local_slots,
};

/* ---------------------------------------------------------------- the fast path */

typedef struct {
    PyObject_HEAD
    /* The reference Pool's slots, under the same names (fastpool.py attaches its methods). */
    PyObject *new, *locals, *victim, *tallies, *released;
    PyObject *weakreflist;
    /* Names this pool's current generation: a new one is taken whenever _locals is set
     * (a cleanup), and none is ever reused, so a cache entry of an older generation -- or
     * of a pool since freed -- can never match. */
    uint64_t serial;
} PoolObject;

static uint64_t last_serial;  /* written under the GIL only */

/* Each thread's cache of its Locals, indexed by the pool generation's serial. An entry
 * borrows its Local from the generation, which holds it (Locals.all) for as long as the
 * pool's serial is unchanged. Collisions (two pools at one index) only cost a slower
 * lookup. */
#define CACHE_SIZE 16
static _Thread_local struct {
    uint64_t serial;
    LocalObject *local;
} cache[CACHE_SIZE];

/* Whether pool's current generation holds local (Locals.all[local.pid]), as every Local that
 * Locals.pin makes -- and so keeps it alive for as long as the pool's serial is unchanged. */
static int
held_by_generation(PoolObject *pool, LocalObject *local)
{
    PyObject *all = pool->locals != NULL ? PyObject_GetAttr(pool->locals, str_all) : NULL;
    if (all == NULL) {
        PyErr_Clear();  /* not a generation we know: do not cache, look up every time */
        return 0;
    }
    int held = PyList_Check(all) && local->pid >= 0 && local->pid < PyList_GET_SIZE(all) &&
               PyList_GET_ITEM(all, local->pid) == (PyObject *)local;
    Py_DECREF(all);
    return held;
}

/* This thread's Local in pool's current generation, as a new reference: made by the pool's
 * _local() (Go's pinSlow) and remembered in the cache. */
static LocalObject *
pin_slow(PoolObject *pool)
{
    uint64_t serial = pool->serial;  /* before _local() runs Python code, and maybe cleanup */
    PyObject *local = PyObject_CallMethodNoArgs((PyObject *)pool, str_local);
    if (local == NULL) {
        return NULL;
    }
    if (!Py_IS_TYPE(local, Local_Type)) {
        PyErr_Format(PyExc_TypeError, "%.100s._local() must return a pool._pool.Local, "
                     "not %.100s", Py_TYPE(pool)->tp_name, Py_TYPE(local)->tp_name);
        Py_DECREF(local);
        return NULL;
    }
    if (held_by_generation(pool, (LocalObject *)local) && pool->serial == serial) {
        /* No cleanup meanwhile: local is of the generation that serial names. */
        cache[serial % CACHE_SIZE].serial = serial;
        cache[serial % CACHE_SIZE].local = (LocalObject *)local;
    }
    return (LocalObject *)local;
}

/* The head of the thread's shared queue, else the rest of the slow path (steal, victim,
 * new) in Python. Python code may run here -- a shared queue written in Python, new() --
 * and with it cleanups that drop local's generation: local is held meanwhile. */
static PyObject *
take_slow(PoolObject *pool, LocalObject *local)
{
    PyObject *x = NULL;
    Py_INCREF(local);
    Py_ssize_t n = PyObject_Length(local->shared);
    if (n > 0) {
        /* The head: the most recently put, warmest in cache (Go: l.shared.popHead()). */
        PyObject *args[] = {local->shared};
        x = PyObject_VectorcallMethod(str_pop, args, 1 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
        if (x != NULL) {
            count(local->shared_hits);
        }
        else if (PyErr_ExceptionMatches(PyExc_IndexError)) {
            PyErr_Clear();  /* a thief took the last one (a shared queue written in Python) */
        }
        else {
            n = -1;
        }
    }
    if (x == NULL && n >= 0) {
        /* _get_slow finds the shared queue empty, as here, and goes on to steal. */
        x = PyObject_CallMethodOneArg((PyObject *)pool, str_get_slow, (PyObject *)local);
    }
    Py_DECREF(local);
    return x;
}

/* Pool.get's body, from this thread's Local: the private slot, else the slow path. */
static inline PyObject *
take(PoolObject *pool, LocalObject *local)
{
    PyObject *x = local->private;
    if (x != NULL) {
        local->private = NULL;  /* the slot's reference goes to the caller */
        count(local->private_hits);
        return x;
    }
    return take_slow(pool, local);
}

/* Pool.put's body: the private slot if it is empty, else the head of the shared queue. */
static inline PyObject *
give(LocalObject *local, PyObject *x)
{
    count(local->puts);
    if (local->private == NULL) {
        local->private = Py_NewRef(x);
        Py_RETURN_NONE;
    }
    /* Held for the call: a shared queue written in Python runs Python code, and with it
     * maybe cleanups that empty local's generation (replacing its queue). */
    PyObject *shared = Py_NewRef(local->shared);
    PyObject *args[] = {shared, x};
    PyObject *result = PyObject_VectorcallMethod(str_append, args,
                                                 2 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
    Py_DECREF(shared);
    return result;
}

static PyObject *
Pool_get(PoolObject *self, PyObject *Py_UNUSED(ignored))
{
    uint64_t serial = self->serial;
    if (cache[serial % CACHE_SIZE].serial == serial) {
        return take(self, cache[serial % CACHE_SIZE].local);
    }
    LocalObject *local = pin_slow(self);
    if (local == NULL) {
        return NULL;
    }
    PyObject *x = take(self, local);
    Py_DECREF(local);
    return x;
}

static PyObject *
Pool_put(PoolObject *self, PyObject *x)
{
    if (x == Py_None) {
        Py_RETURN_NONE;
    }
    uint64_t serial = self->serial;
    if (cache[serial % CACHE_SIZE].serial == serial) {
        return give(cache[serial % CACHE_SIZE].local, x);
    }
    LocalObject *local = pin_slow(self);
    if (local == NULL) {
        return NULL;
    }
    PyObject *result = give(local, x);
    Py_DECREF(local);
    return result;
}

static PyObject *Handle_new_for(PoolObject *pool);

static PyObject *
Pool_pin(PoolObject *self, PyObject *Py_UNUSED(ignored))
{
    return Handle_new_for(self);
}

static PyObject *
Pool_tp_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    /* The reference's Pool(new, debug=True) is a CheckedPool: its checks cost far more than
     * this fast path saves, so a debug FastPool is that same checked Python pool. */
    PyObject *debug = kwds != NULL ? PyDict_GetItemWithError(kwds, str_debug) : NULL;
    if (debug == NULL && PyErr_Occurred()) {
        return NULL;
    }
    if (debug != NULL && type == Pool_Type) {  /* as Pool's: a subclass keeps its own */
        int on = PyObject_IsTrue(debug);
        if (on < 0) {
            return NULL;
        }
        if (on) {
            PyObject *checked = PyObject_GetAttrString((PyObject *)type, "debug_pool");
            if (checked == NULL) {
                return NULL;
            }
            PyObject *pool = PyObject_Call(checked, args, kwds);
            Py_DECREF(checked);
            return pool;
        }
    }
    PoolObject *self = (PoolObject *)type->tp_alloc(type, 0);
    if (self != NULL) {
        self->serial = ++last_serial;
    }
    return (PyObject *)self;
}

static int
Pool_traverse(PoolObject *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(self->new);
    Py_VISIT(self->locals);
    Py_VISIT(self->victim);
    Py_VISIT(self->tallies);
    Py_VISIT(self->released);
    return 0;
}

static int
Pool_clear(PoolObject *self)
{
    self->serial = ++last_serial;  /* what the cache borrowed goes with the generation */
    Py_CLEAR(self->new);
    Py_CLEAR(self->locals);
    Py_CLEAR(self->victim);
    Py_CLEAR(self->tallies);
    Py_CLEAR(self->released);
    return 0;
}

static void
Pool_dealloc(PoolObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    if (self->weakreflist != NULL) {
        PyObject_ClearWeakRefs((PyObject *)self);
    }
    Pool_clear(self);
    tp->tp_free(self);
    Py_DECREF(tp);
}

static PyObject *
Pool_get_locals(PoolObject *self, void *closure)
{
    if (self->locals == NULL) {
        PyErr_SetString(PyExc_AttributeError, "_locals: the pool has not been initialised");
        return NULL;
    }
    return Py_NewRef(self->locals);
}

static int
Pool_set_locals(PoolObject *self, PyObject *value, void *closure)
{
    self->serial = ++last_serial;  /* a new generation: every thread pins again */
    Py_XSETREF(self->locals, Py_XNewRef(value));
    return 0;
}

static PyGetSetDef Pool_getset[] = {
    {"_locals", (getter)Pool_get_locals, (setter)Pool_set_locals,
     "The primary generation (a local.Locals); setting it starts a new one.", NULL},
    {NULL},
};

static PyMemberDef Pool_members[] = {
    {"_new", T_OBJECT, offsetof(PoolObject, new), 0, NULL},
    {"_victim", T_OBJECT, offsetof(PoolObject, victim), 0, NULL},
    {"_tallies", T_OBJECT_EX, offsetof(PoolObject, tallies), 0, NULL},
    {"_released", T_OBJECT_EX, offsetof(PoolObject, released), 0, NULL},
    {"__weaklistoffset__", T_PYSSIZET, offsetof(PoolObject, weakreflist), READONLY, NULL},
    {NULL},
};

static PyMethodDef Pool_methods[] = {
    {"get", (PyCFunction)Pool_get, METH_NOARGS,
     "An object from the pool: this thread's private slot, else the head of its shared "
     "queue, else steal, victim, new; None when empty without new."},
    {"put", (PyCFunction)Pool_put, METH_O,
     "Give x to the pool: the private slot if empty, else the head of the shared queue."},
    {"pin", (PyCFunction)Pool_pin, METH_NOARGS,
     "This thread's Handle: get() and put() without looking the thread up each time."},
    {NULL},
};

static PyType_Slot Pool_slots[] = {
    {Py_tp_doc, "A pool of interchangeable temporary objects, one cache per thread: "
                "pool.Pool with its fast path in C."},
    {Py_tp_new, Pool_tp_new},
    {Py_tp_traverse, Pool_traverse},
    {Py_tp_clear, Pool_clear},
    {Py_tp_dealloc, Pool_dealloc},
    {Py_tp_methods, Pool_methods},
    {Py_tp_members, Pool_members},
    {Py_tp_getset, Pool_getset},
    {0, NULL},
};

static PyType_Spec Pool_spec = {
    "pool.FastPool", sizeof(PoolObject), 0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_BASETYPE, Pool_slots,
};

/* ---------------------------------------------------------------- Handle */

typedef struct {
    PyObject_HEAD
    PoolObject *pool;
    LocalObject *local;  /* the pinning thread's, until a cleanup demotes it */
} HandleObject;

static PyObject *
Handle_new_for(PoolObject *pool)
{
    LocalObject *local = pin_slow(pool);
    if (local == NULL) {
        return NULL;
    }
    HandleObject *self = PyObject_GC_New(HandleObject, Handle_Type);
    if (self == NULL) {
        Py_DECREF(local);
        return NULL;
    }
    self->pool = (PoolObject *)Py_NewRef(pool);
    self->local = local;
    PyObject_GC_Track(self);
    return (PyObject *)self;
}

/* The handle's Local, pinned again in the primary generation once a cleanup demoted it. */
static inline LocalObject *
handle_local(HandleObject *self)
{
    if (self->local->demoted) {
        LocalObject *local = pin_slow(self->pool);
        if (local == NULL) {
            return NULL;
        }
        Py_SETREF(self->local, local);
    }
    return self->local;
}

static PyObject *
Handle_get(HandleObject *self, PyObject *Py_UNUSED(ignored))
{
    LocalObject *local = handle_local(self);
    return local != NULL ? take(self->pool, local) : NULL;
}

static PyObject *
Handle_put(HandleObject *self, PyObject *x)
{
    if (x == Py_None) {
        Py_RETURN_NONE;
    }
    LocalObject *local = handle_local(self);
    return local != NULL ? give(local, x) : NULL;
}

static int
Handle_traverse(HandleObject *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(self->pool);
    Py_VISIT(self->local);
    return 0;
}

static int
Handle_clear(HandleObject *self)
{
    Py_CLEAR(self->pool);
    Py_CLEAR(self->local);
    return 0;
}

static void
Handle_dealloc(HandleObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    Handle_clear(self);
    PyObject_GC_Del(self);
    Py_DECREF(tp);
}

static PyMethodDef Handle_methods[] = {
    {"get", (PyCFunction)Handle_get, METH_NOARGS, "The pool's get(), from the pinned Local."},
    {"put", (PyCFunction)Handle_put, METH_O, "The pool's put(x), into the pinned Local."},
    {NULL},
};

static PyType_Slot Handle_slots[] = {
    {Py_tp_doc, "One thread's way into a FastPool, from pin() (syncpool.Handle, in C). "
                "Use it on the thread that pinned it only."},
    {Py_tp_traverse, Handle_traverse},
    {Py_tp_clear, Handle_clear},
    {Py_tp_dealloc, Handle_dealloc},
    {Py_tp_methods, Handle_methods},
    {0, NULL},
};

static PyType_Spec Handle_spec = {
    "pool._pool.Handle", sizeof(HandleObject), 0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_DISALLOW_INSTANTIATION, Handle_slots,
};

/* ---------------------------------------------------------------- the module */

static int
add_type(PyObject *module, PyType_Spec *spec, const char *name, PyTypeObject **out)
{
    if (*out == NULL) {  /* the types are the process's, made by the first import */
        *out = (PyTypeObject *)PyType_FromSpec(spec);
        if (*out == NULL) {
            return -1;
        }
    }
    return PyModule_AddObjectRef(module, name, (PyObject *)*out);
}

static int
module_exec(PyObject *module)
{
    if (deque_type == NULL) {
        PyObject *collections = PyImport_ImportModule("collections");
        if (collections == NULL) {
            return -1;
        }
        deque_type = PyObject_GetAttrString(collections, "deque");
        Py_DECREF(collections);
        str_get_slow = PyUnicode_InternFromString("_get_slow");
        str_local = PyUnicode_InternFromString("_local");
        str_append = PyUnicode_InternFromString("append");
        str_pop = PyUnicode_InternFromString("pop");
        str_all = PyUnicode_InternFromString("all");
        str_debug = PyUnicode_InternFromString("debug");
        if (deque_type == NULL || !str_get_slow || !str_local || !str_append || !str_pop ||
            !str_all || !str_debug) {
            return -1;
        }
    }
    return add_type(module, &Local_spec, "Local", &Local_Type) < 0 ||
           add_type(module, &Pool_spec, "FastPool", &Pool_Type) < 0 ||
           add_type(module, &Handle_spec, "Handle", &Handle_Type) < 0 ? -1 : 0;
}

static PyModuleDef_Slot module_slots[] = {
    {Py_mod_exec, module_exec},
#ifdef Py_mod_gil
    /* The fast path is atomic only under the GIL (see the top of this file). */
    {Py_mod_gil, Py_MOD_GIL_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "pool._pool",
    "pool.FastPool's fast path in C; use it through pool.FastPool (fastpool.py).", 0, NULL,
    module_slots,
};

PyMODINIT_FUNC
PyInit__pool(void)
{
    return PyModuleDef_Init(&module_def);
}
