# Types of gis/geocode_result.py for its compiled form (setup.py). The source stays plain
# Python; a build without Cython ignores this file.

cimport cython

@cython.locals(c=Py_UCS4)
cpdef bint _has_alnum(object text)
