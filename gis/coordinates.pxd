# Types of gis/coordinates.py for its compiled form (setup.py). The source stays plain
# Python; a build without Cython ignores this file.

cimport cython

@cython.locals(c=Py_UCS4, digit=bint)
cpdef bint _screened(object text, str labels, bint degrees)

@cython.locals(c=Py_UCS4)
cpdef bint _may_have_label(object text)
