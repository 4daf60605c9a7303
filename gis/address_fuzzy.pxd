# Types of gis/address_fuzzy.py for its compiled form (setup.py): the base of the
# MentionFinder extension type (address_match.pxd). The source stays plain Python; a build
# without Cython ignores this file.

cimport cython

from gis.gazetteer cimport Unit

cdef class FuzzyMatching:
    cdef public object g, _province_index
    cdef public dict _choices

    # Built once per process, on the first fuzzy pass (a first batch waits for it).
    @cython.locals(unit=Unit, u=Py_ssize_t, units=list, uids=list, everywhere=list, index=dict,
                   lists_of=list, lists=list, target=list, key=str, entry=tuple)
    cpdef dict _by_province(self)

    # One per (levels, provinces) asked for, also built on first use.
    @cython.locals(by_key=dict, index=dict, entry=tuple, found=list, unsorted=list,
                   lengths=list, ranks=list, keys=list, longest=Py_ssize_t, starts=list,
                   result=tuple, cached=tuple)
    cpdef tuple _choice_list(self, tuple levels, tuple provinces)

@cython.locals(province_of=dict, found=set, x=str, code=str)
cpdef list _scopes(object g, Unit unit, dict province_of)
