# Types of gis/normalise.py for its compiled form (setup.py): its functions call each
# other as C functions (every word of every address goes through several). The source
# stays plain Python; a build without Cython ignores this file. Arguments are objects, not
# str: a str subclass (numpy.str_) is as welcome as when run as Python.

cimport cython

cpdef str nfc(object text)
cpdef str fold(object text)
cpdef str accent_key(object text)
cpdef str accent_key_of_nfc(object text)
cpdef object split_glued(object text)
cpdef object _number(object token)
cpdef tuple word_tokens(object word)
cpdef list split_parts(object clean)

@cython.locals(i=Py_ssize_t, c=Py_UCS4)
cpdef bint _has_tone_pair(str text)

@cython.locals(c=Py_UCS4)
cpdef bint _has_other_separator(str text)
