# Types of gis/address_match.py for its compiled form (setup.py). The source stays plain
# Python; a build without Cython ignores this file.

cimport cython

from gis.address_words cimport Mention


@cython.locals(m=Mention)
cpdef tuple _said(list mentions)
