# Types of gis/address_answer.py for its compiled form (setup.py): the answer of every
# matched address reads its proposal's units as C fields. The source stays plain Python;
# a build without Cython ignores this file.

cimport cython

from gis.address_resolve cimport Proposal
from gis.gazetteer cimport Unit


cdef class Answers:
    cdef public object g
    cdef public dict _labels

    cpdef str legacy_label(self, Py_ssize_t uid)

    @cython.locals(c=Unit, via=Unit, province=Unit)
    cpdef object matched(self, object text, Proposal best)
