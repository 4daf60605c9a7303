# Types of gis/address_evidence.py for its compiled form (setup.py): the resolver reads
# these on every proposal, as C fields rather than by attribute lookup. The source stays
# plain Python; a build without Cython ignores this file.

cdef class Target:
    cdef public object unit, commune, parent
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
