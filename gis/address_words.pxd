# Types of gis/address_words.py for its compiled form (setup.py): a mention is made and
# read for every part of every address, as C fields. The source stays plain Python; a
# build without Cython ignores this file.

cimport cython

cdef class Mention:
    cdef public Py_ssize_t part, start, end
    cdef public list uids
    cdef public str kind, accent
    cdef public double quality, loose
    cdef public bint whole
    cdef public object evidence


cpdef bint has_marks(tuple tokens)

cpdef bint all_numbers(tuple tokens)

@cython.locals(m=Mention, o=Mention, kept=list, inside=bint)
cpdef list outermost(list mentions)

@cython.locals(m=Mention, said=list)
cpdef tuple said_of(list mentions)
