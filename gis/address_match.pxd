# Types of gis/address_match.py for its compiled form (setup.py): every part of every
# address is read here, with its positions as C integers and its mentions as C fields.
# The source stays plain Python; a build without Cython ignores this file.

cimport cython

from gis.address_fuzzy cimport FuzzyMatching
from gis.address_words cimport Mention, all_numbers, has_marks, outermost, said_of
from gis.normalise cimport split_parts, word_tokens


cdef class MentionFinder(FuzzyMatching):
    cdef public dict _typed, _tokens, _words, _glued, _parts, _read

    @cython.locals(out=list, accented=bint, found=tuple)
    cpdef tuple parts(self, object clean)

    @cython.locals(words=dict, tokens=list, accented=bint, found=tuple, result=tuple)
    cpdef tuple _tokenise(self, str part)

    @cython.locals(out=list, named=list, last=Py_ssize_t, p=Py_ssize_t, memo=dict,
                   key=tuple, found=tuple, own=bint, mentions=list)
    cpdef tuple exact(self, list parts, bint accented)

    @cython.locals(key=tuple, found=list, offset=Py_ssize_t, m=Mention)
    cpdef list _placed(self, tuple tokens, Py_ssize_t p, bint last, bint accented,
                       bint unaccented)

    @cython.locals(offset=Py_ssize_t, names=dict, short_names=dict, max_words=Py_ssize_t,
                   glued_of=dict, folded=list, accents=list, words=list, n=Py_ssize_t,
                   i=Py_ssize_t, street=bint, out=list, failed_types=list, keys=list,
                   key=str, L=Py_ssize_t, end=Py_ssize_t, whole=bint, typed=Mention)
    cpdef list _part(self, tuple tokens, Py_ssize_t p, bint last, bint accented)

    @cython.locals(n=Py_ssize_t, first=Py_ssize_t, width=Py_ssize_t, keys=list, key=str,
                   found_names=list, L=Py_ssize_t, L_=Py_ssize_t, end=Py_ssize_t)
    cpdef object _typed_at(self, list folded, list accents, Py_ssize_t i, Py_ssize_t p,
                           Py_ssize_t offset, object found, object glued)
