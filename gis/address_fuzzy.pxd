# Types of gis/address_fuzzy.py for its compiled form (setup.py): the base of the
# MentionFinder extension type (address_match.pxd). The source stays plain Python; a build
# without Cython ignores this file.

cdef class FuzzyMatching:
    cdef public object g, _province_index
    cdef public dict _choices
