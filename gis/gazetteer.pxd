# Types of gis/gazetteer.py for its compiled form (setup.py): the matcher reads units on
# every mention, as C fields. The source stays plain Python; a build without Cython
# ignores this file.

cdef class Unit:
    cdef public Py_ssize_t uid
    cdef public str level, name, full_name, kind, code, province_code
    cdef public object parent, lon, lat
    cdef public tuple successors, keywords
    cdef public bint loaded
    cdef public str accent, accent_compact, key
