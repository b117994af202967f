/*
 * Columns of a list of response dicts, read in one pass (nqpf.assessment.scoring).
 *
 * batch_score takes responses as a list of dicts, one per response, as score() does.
 * Typing each question's column the way pd.DataFrame(records) types it, by Python passes
 * over the cells, costs about two microseconds per response (31 cells of an
 * SME-2024 response); this reader visits each dict once and writes every cell straight
 * into a typed column:
 *
 *   number columns  float64 (None, NaN and an absent key as NaN), with flags telling
 *                   floats from ints so the caller types the column as pandas would;
 *   text columns    int32 codes into the column's distinct strings in order of first
 *                   appearance (-1 where None, NaN or absent).
 *
 * Any cell outside these fast cases (a bool, "35%" among numbers, a list of options,
 * a NumPy scalar other than float64, an int beyond 2**53) only sets F_OTHER on its column;
 * the caller then reads that column the slow, exact way. A record that is not a dict
 * makes the whole call return None (the caller's own path gives the error). The reader
 * never converts or coerces a value: it only recognises the cells whose typing is
 * unambiguous.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <string.h>

/* What a column held; returned to the caller per column. */
enum {
    F_PRESENT = 1,  /* some record has the key */
    F_MISSING = 2,  /* None, a float NaN or an absent key somewhere */
    F_FLOAT = 4,    /* a float (number columns) */
    F_INT = 8,      /* an int (number columns; bools are not ints here) */
    F_VALUE = 16,   /* some non-missing value: a number other than NaN, or a string */
    F_OTHER = 32,   /* a cell outside the fast cases: read the column the exact way */
};

#define EXACT_INT_LIMIT 9007199254740992LL /* 2**53: every int below converts exactly */

/*
 * A text column's distinct strings and their codes: an open-addressing table keyed by
 * the strings' cached hashes. A cell that is the very object seen before costs one
 * pointer comparison; an equal string of another object (rows parsed from JSON) one hash
 * and one memcmp. The codes are C ints, so reading one takes no branch on its value.
 */
typedef struct {
    PyObject *text; /* borrowed: `texts` holds it */
    Py_hash_t hash;
    int32_t code;
} Entry;

typedef struct {
    Entry *entries;
    Py_ssize_t mask; /* size - 1, size a power of two */
    PyObject *texts; /* list of the distinct strings by code */
} Codes;

typedef struct {
    Py_ssize_t n;          /* records */
    Py_ssize_t k;          /* columns */
    const char *kinds;     /* per column: 'n' number, 't' text */
    Py_ssize_t *slot;      /* per column: its row in the float or code buffer */
    int *flags;            /* per column */
    Py_ssize_t *stamp;     /* per column: the last record that had the key */
    double *floats;        /* (number columns) × n, column after column */
    int32_t *codes;        /* (text columns) × n */
    Codes *coders;         /* per text column */
} Reader;

static int
same_text(PyObject *a, PyObject *b)
{
    /* Equal strings have equal kinds: CPython stores each in the narrowest that fits. */
    Py_ssize_t len = PyUnicode_GET_LENGTH(a);
    int kind = PyUnicode_KIND(a);
    return len == PyUnicode_GET_LENGTH(b) && kind == PyUnicode_KIND(b) &&
           memcmp(PyUnicode_DATA(a), PyUnicode_DATA(b), (size_t)len * kind) == 0;
}

static int
coder_grow(Codes *c)
{
    Py_ssize_t size = 2 * (c->mask + 1);
    Entry *bigger = PyMem_Calloc(size, sizeof(Entry));
    if (bigger == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i <= c->mask; i++) {
        Entry e = c->entries[i];
        if (e.text == NULL)
            continue;
        Py_ssize_t j = (size_t)e.hash & (size - 1);
        while (bigger[j].text != NULL)
            j = (j + 1) & (size - 1);
        bigger[j] = e;
    }
    PyMem_Free(c->entries);
    c->entries = bigger;
    c->mask = size - 1;
    return 0;
}

/* The code of str `v` (a new one if unseen), or -2 on an error (exception set). */
static int32_t
coder_code(Codes *c, PyObject *v)
{
    Py_hash_t h = PyObject_Hash(v); /* cached in the str after its first use */
    if (h == -1)
        return -2;
    Py_ssize_t i = (size_t)h & c->mask;
    for (;;) {
        Entry *e = &c->entries[i];
        if (e->text == v)
            return e->code;
        if (e->text == NULL)
            break;
        if (e->hash == h && same_text(e->text, v))
            return e->code;
        i = (i + 1) & c->mask;
    }
    Py_ssize_t next = PyList_GET_SIZE(c->texts);
    if (next >= INT32_MAX) {
        PyErr_SetString(PyExc_OverflowError, "more than 2**31 distinct answers in a column");
        return -2;
    }
    if (PyList_Append(c->texts, v) < 0)
        return -2;
    c->entries[i] = (Entry){v, h, (int32_t)next};
    if (2 * (next + 1) > c->mask + 1 && coder_grow(c) < 0)
        return -2;
    return (int32_t)next;
}

static int
is_nan(PyObject *v)
{
    return PyFloat_Check(v) && isnan(PyFloat_AS_DOUBLE(v));
}

/* One number cell; returns the value to store. */
static double
number_cell(Reader *rd, Py_ssize_t col, PyObject *v)
{
    int *f = &rd->flags[col];
    if (PyFloat_Check(v)) {
        double d = PyFloat_AS_DOUBLE(v);
        *f |= F_FLOAT | (isnan(d) ? 0 : F_VALUE);
        return d;
    }
    if (PyLong_Check(v) && !PyBool_Check(v)) {
        int overflow = 0;
        long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
        if (!overflow && x > -EXACT_INT_LIMIT && x < EXACT_INT_LIMIT) {
            *f |= F_INT | F_VALUE;
            return (double)x;
        }
        *f |= F_OTHER;
        return NAN;
    }
    if (v == Py_None) {
        *f |= F_MISSING;
        return NAN;
    }
    *f |= F_OTHER;
    return NAN;
}

/* One text cell; returns its code, or -2 on an error (exception set). */
static int32_t
text_cell(Reader *rd, Py_ssize_t col, PyObject *v)
{
    int *f = &rd->flags[col];
    if (PyUnicode_CheckExact(v)) {
        *f |= F_VALUE;
        return coder_code(&rd->coders[rd->slot[col]], v);
    }
    if (v == Py_None || is_nan(v)) {
        *f |= F_MISSING;
        return -1;
    }
    *f |= F_OTHER;
    return -1;
}

/* Store one cell of record i; returns 0, or -1 on an error. */
static int
store(Reader *rd, Py_ssize_t i, Py_ssize_t col, PyObject *v)
{
    rd->flags[col] |= F_PRESENT;
    rd->stamp[col] = i;
    Py_ssize_t at = rd->slot[col] * rd->n + i;
    if (rd->kinds[col] == 'n') {
        rd->floats[at] = number_cell(rd, col, v);
        return 0;
    }
    int32_t code = text_cell(rd, col, v);
    if (code == -2)
        return -1;
    rd->codes[at] = code;
    return 0;
}

/* The cells of the columns record i lacks: missing. */
static void
absent(Reader *rd, Py_ssize_t i)
{
    for (Py_ssize_t col = 0; col < rd->k; col++) {
        if (rd->stamp[col] == i)
            continue;
        rd->flags[col] |= F_MISSING;
        Py_ssize_t at = rd->slot[col] * rd->n + i;
        if (rd->kinds[col] == 'n')
            rd->floats[at] = NAN;
        else
            rd->codes[at] = -1;
    }
}

/*
 * Walk each record's items. Records mostly hold the same keys in the same order (rows
 * of JSON, of a DataFrame, of a form), and mostly the same key objects: the column of
 * the t-th item is remembered with its key, so a record like the one before costs one
 * pointer comparison per item; any other key is looked up in `column_of`.
 */
static int
read_all(Reader *rd, PyObject *const *records, PyObject *column_of, int *odd)
{
    Py_ssize_t cap = 64, count = 0;
    PyObject **seen_key = PyMem_Calloc(cap, sizeof(PyObject *));
    Py_ssize_t *seen_col = PyMem_Calloc(cap, sizeof(Py_ssize_t));
    if (seen_key == NULL || seen_col == NULL)
        goto nomem;
    for (Py_ssize_t i = 0; i < rd->n; i++) {
        PyObject *r = records[i], *key, *value;
        Py_ssize_t pos = 0, t = 0, found = 0;
        while (PyDict_Next(r, &pos, &key, &value)) {
            /* Only str keys: hashing and comparing them runs no Python code, so nothing
             * can change the records while they are read. Any other key: the caller's
             * own path. */
            if (!PyUnicode_CheckExact(key)) {
                *odd = 1;
                goto done;
            }
            if (t == cap) {
                Py_ssize_t bigger = 2 * cap;
                PyObject **k2 = PyMem_Realloc(seen_key, bigger * sizeof(PyObject *));
                if (k2 == NULL)
                    goto nomem;
                seen_key = k2;
                Py_ssize_t *c2 = PyMem_Realloc(seen_col, bigger * sizeof(Py_ssize_t));
                if (c2 == NULL)
                    goto nomem;
                seen_col = c2;
                memset(seen_key + cap, 0, cap * sizeof(PyObject *));
                cap = bigger;
            }
            Py_ssize_t col;
            if (t < count && seen_key[t] == key) {
                col = seen_col[t];
            }
            else {
                PyObject *boxed = PyDict_GetItemWithError(column_of, key);
                if (boxed == NULL && PyErr_Occurred())
                    goto fail;
                col = boxed == NULL ? -1 : PyLong_AsSsize_t(boxed);
                /* Remember only keys that stay alive: the caller holds column_of's keys,
                 * and any other key is kept alive by this record for this record only,
                 * so it is never remembered (a freed address could be reused). */
                seen_key[t] = boxed == NULL ? NULL : key;
                seen_col[t] = col;
                if (t >= count)
                    count = t + 1;
            }
            if (col >= 0) {
                if (store(rd, i, col, value) < 0)
                    goto fail;
                found++;
            }
            t++;
        }
        if (found < rd->k)
            absent(rd, i);
    }
done:
    PyMem_Free(seen_key);
    PyMem_Free(seen_col);
    return 0;
nomem:
    PyErr_NoMemory();
fail:
    PyMem_Free(seen_key);
    PyMem_Free(seen_col);
    return -1;
}

static int
take_buffer(PyObject *obj, Py_buffer *view, Py_ssize_t need, const char *what)
{
    if (PyObject_GetBuffer(obj, view, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS) < 0)
        return -1;
    if (view->len < need) {
        PyBuffer_Release(view);
        PyErr_Format(PyExc_ValueError, "%s buffer holds %zd bytes, %zd needed", what, view->len,
                     need);
        return -1;
    }
    return 0;
}

PyDoc_STRVAR(read_columns_doc,
"read_columns(records, column_of, kinds, floats, codes)\n"
"\n"
"Fill ``floats`` (number columns × n float64, C order) and ``codes`` (text columns × n\n"
"int32) from ``records`` (a list of dicts). ``column_of`` maps each wanted key to its\n"
"column; ``kinds`` (bytes) is b'n' or b't' per column, numbers and texts each taking\n"
"the next row of their buffer. Returns (flags per column, distinct strings per text\n"
"column), or None when some record is not a dict or has a key that is not a str.");

static PyObject *
read_columns(PyObject *self, PyObject *args)
{
    PyObject *records, *column_of, *float_obj, *code_obj;
    const char *kinds;
    Py_ssize_t k;
    if (!PyArg_ParseTuple(args, "O!O!y#OO", &PyList_Type, &records, &PyDict_Type, &column_of,
                          &kinds, &k, &float_obj, &code_obj))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(records);
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!PyDict_Check(PyList_GET_ITEM(records, i)))
            Py_RETURN_NONE;
    }
    Py_ssize_t numbers = 0, texts = 0;
    for (Py_ssize_t col = 0; col < k; col++) {
        if (kinds[col] == 'n')
            numbers++;
        else if (kinds[col] == 't')
            texts++;
        else
            return PyErr_Format(PyExc_ValueError, "kind %c of column %zd is not n or t",
                                kinds[col], col);
    }
    Py_buffer fview, cview;
    if (take_buffer(float_obj, &fview, numbers * n * (Py_ssize_t)sizeof(double), "floats") < 0)
        return NULL;
    if (take_buffer(code_obj, &cview, texts * n * (Py_ssize_t)sizeof(int32_t), "codes") < 0) {
        PyBuffer_Release(&fview);
        return NULL;
    }
    PyObject *result = NULL, *flag_list = NULL, *text_list = NULL;
    Reader rd = {n, k, kinds, NULL, NULL, NULL, fview.buf, cview.buf, NULL};
    rd.slot = PyMem_Calloc(k ? k : 1, sizeof(Py_ssize_t));
    rd.flags = PyMem_Calloc(k ? k : 1, sizeof(int));
    rd.stamp = PyMem_Calloc(k ? k : 1, sizeof(Py_ssize_t));
    rd.coders = PyMem_Calloc(texts ? texts : 1, sizeof(Codes));
    if (!rd.slot || !rd.flags || !rd.stamp || !rd.coders) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t nn = 0, tt = 0;
    for (Py_ssize_t col = 0; col < k; col++) {
        rd.stamp[col] = -1;
        rd.slot[col] = kinds[col] == 'n' ? nn++ : tt++;
    }
    for (Py_ssize_t t = 0; t < texts; t++) {
        rd.coders[t].mask = 63;
        rd.coders[t].entries = PyMem_Calloc(64, sizeof(Entry));
        rd.coders[t].texts = PyList_New(0);
        if (!rd.coders[t].entries || !rd.coders[t].texts) {
            if (!PyErr_Occurred())
                PyErr_NoMemory();
            goto done;
        }
    }
    int odd = 0;
    if (read_all(&rd, ((PyListObject *)records)->ob_item, column_of, &odd) < 0)
        goto done;
    if (odd) {
        result = Py_NewRef(Py_None);
        goto done;
    }
    flag_list = PyList_New(k);
    text_list = PyList_New(texts);
    if (!flag_list || !text_list)
        goto done;
    for (Py_ssize_t col = 0; col < k; col++) {
        PyObject *f = PyLong_FromLong(rd.flags[col]);
        if (f == NULL)
            goto done;
        PyList_SET_ITEM(flag_list, col, f);
    }
    for (Py_ssize_t t = 0; t < texts; t++) {
        PyList_SET_ITEM(text_list, t, Py_NewRef(rd.coders[t].texts));
    }
    result = PyTuple_Pack(2, flag_list, text_list);
done:
    Py_XDECREF(flag_list);
    Py_XDECREF(text_list);
    for (Py_ssize_t t = 0; rd.coders && t < texts; t++) {
        PyMem_Free(rd.coders[t].entries);
        Py_XDECREF(rd.coders[t].texts);
    }
    PyMem_Free(rd.slot);
    PyMem_Free(rd.flags);
    PyMem_Free(rd.stamp);
    PyMem_Free(rd.coders);
    PyBuffer_Release(&fview);
    PyBuffer_Release(&cview);
    return result;
}

static PyMethodDef methods[] = {
    {"read_columns", read_columns, METH_VARARGS, read_columns_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_records",
    "Columns of a list of response dicts in one pass (see _records.c).", -1, methods,
};

PyMODINIT_FUNC
PyInit__records(void)
{
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    /* the flags, for the caller to read them by name */
    if (PyModule_AddIntConstant(m, "F_PRESENT", F_PRESENT) < 0 ||
        PyModule_AddIntConstant(m, "F_MISSING", F_MISSING) < 0 ||
        PyModule_AddIntConstant(m, "F_FLOAT", F_FLOAT) < 0 ||
        PyModule_AddIntConstant(m, "F_INT", F_INT) < 0 ||
        PyModule_AddIntConstant(m, "F_VALUE", F_VALUE) < 0 ||
        PyModule_AddIntConstant(m, "F_OTHER", F_OTHER) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
