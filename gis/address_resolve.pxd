# Types of gis/address_resolve.py for its compiled form (setup.py): the scoring of every
# proposal reads its target's and the other mentions' evidence as C fields and keeps its
# sums as doubles. The source stays plain Python; a build without Cython ignores this file.

cimport cython

from gis.address_evidence cimport Evidence, Target
from gis.address_words cimport Mention


cdef class Proposal:
    cdef public object commune, via, mention
    cdef public double raw


@cython.locals(e=Evidence, f=Evidence, target=Target, m=Mention, n=Mention, best=cython.double, raw=cython.double,
               start=Py_ssize_t, end=Py_ssize_t, n_start=Py_ssize_t, n_end=Py_ssize_t,
               is_strong=bint, typed_district=bint, prov_strong=bint, dist_typed=bint,
               out=list, rows=list, hinted=set, support=dict, context=list)
cpdef list _proposals(list mentions, list readings)

cpdef double _by_raw(Proposal p)

@cython.locals(f=Evidence, supporters=Py_ssize_t, parent=bint, district=bint,
               secondary=bint, is_old_commune=bint, prov_support=bint, prov_conflict=bint,
               dist_conflict=bint, score=cython.double, quality=cython.double,
               province=str, code=str)
cdef double _score(Target target, Mention m, Evidence e, dict support, list context,
                   bint prov_strong, bint dist_typed)
