# Types of gis/address_evidence.py for its compiled form (setup.py): the resolver reads
# these on every proposal, as C fields rather than by attribute lookup. The source stays
# plain Python; a build without Cython ignores this file.

cimport cython

from gis.address_words cimport Mention
from gis.gazetteer cimport Unit


cdef class Target:
    cdef public Unit unit, commune
    cdef public object parent
    cdef public double base, kind_factor, accent_factor
    cdef public bint unique, is_old_commune, is_current
    cdef public str province, code
    cdef public Py_ssize_t uid


cdef class Evidence:
    cdef public frozenset provinces
    cdef public dict districts, communes, by_province
    cdef public list targets
    cdef public bint also_province
    cdef public double unsupported_penalty, supported_penalty
    cdef public object district_of, commune_of
    cpdef object held(self, str code)
    cpdef object naming(self, str code)


cdef class EvidenceReader:
    cdef public object g
    cdef public list _communes_of
    cdef public dict _memo
    cpdef tuple reading(self, Mention m, bint accented)
    @cython.locals(unit=Unit, uid=Py_ssize_t, units=list, provinces=set, districts=dict,
                   communes=dict, levels=set)
    cpdef Evidence _evidence_of(self, Mention m, bint accented)
    @cython.locals(unit=Unit, commune=Unit, uid=Py_ssize_t, base=cython.double,
                   kind_factor=cython.double, accent_factor=cython.double, unique=bint,
                   target=Target, targets=list, by_province=dict, units=list, communes=tuple)
    cpdef tuple _targets(self, Mention m, str written)
