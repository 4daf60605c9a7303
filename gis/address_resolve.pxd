# Types of gis/address_resolve.py for its compiled form (setup.py): the scoring of every
# proposal reads its target's and the other mentions' evidence as C fields and keeps its
# sums as doubles. The source stays plain Python; a build without Cython ignores this file.

cimport cython

from gis.address_evidence cimport Evidence, EvidenceReader, Target
from gis.address_words cimport Mention
from gis.gazetteer cimport Unit


cdef class Proposal:
    cdef public Unit commune, via
    cdef public Mention mention
    cdef public double raw


cdef class Resolver:
    cdef public object g, answers
    cdef public EvidenceReader evidence

    @cython.locals(reader=EvidenceReader, m=Mention)
    cpdef list proposals(self, list mentions, bint accented)

    @cython.locals(proposals=list, best_by_code=dict, ranked=list, p=Proposal, best=Proposal,
                   close=list, m=Mention)
    cpdef object result(self, object text, list mentions, bint accented)


@cython.locals(e=Evidence, f=Evidence, target=Target, m=Mention, n=Mention,
               best=cython.double, raw=cython.double, count=Py_ssize_t, i=Py_ssize_t,
               j=Py_ssize_t, is_strong=bint, typed_district=bint, prov_strong=bint,
               dist_typed=bint, out=list, hinted=set, support=dict, context=list)
cpdef list _proposals(list mentions, list readings)

@cython.locals(m=Mention)
cpdef bint _all_exact(list mentions)

cpdef double _by_raw(Proposal p)

@cython.locals(f=Evidence, supporters=Py_ssize_t, parent=bint, district=bint,
               secondary=bint, is_old_commune=bint, prov_support=bint, prov_conflict=bint,
               dist_conflict=bint, score=cython.double, quality=cython.double,
               province=str, code=str)
cdef double _score(Target target, Mention m, Evidence e, dict support, list context,
                   bint prov_strong, bint dist_typed)
