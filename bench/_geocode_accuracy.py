"""bench.geocode's accuracy report: per noise class, tuquan beside the peer, and the misses."""

from __future__ import annotations

from bench._report import Section
from tests.data.geocode.evaluation import LabelledRow, accuracy_by_class, overall
from tests.data.geocode.make_eval_set import NOISE_CLASSES


def accuracy(section: Section, rows: list[LabelledRow], results, peer_codes, once_codes) -> None:
    out = section.line
    codes = [r.commune_code if r.status == "matched" else None for r in results]
    ours, theirs = accuracy_by_class(rows, codes), accuracy_by_class(rows, peer_codes)
    once = accuracy_by_class(rows, once_codes)
    out("```")
    out(f"{'noise class':16s} {'n':>5s} {'tuquan':>8s} {'peer':>8s} {'diff':>7s} "
          f"{'peer 1x':>8s}")  # fmt: skip
    for noise in NOISE_CLASSES:
        a, b = ours[noise], theirs[noise]
        out(f"{noise:16s} {a.total:5d} {a.accuracy:8.1%} {b.accuracy:8.1%} "
              f"{(a.accuracy - b.accuracy) * 100:+6.1f} {once[noise].accuracy:8.1%}")  # fmt: skip
    out(f"{'overall':16s} {sum(s.total for s in ours.values()):5d} {overall(ours):8.1%} "
          f"{overall(theirs):8.1%} {'':7s} {overall(once):8.1%}")  # fmt: skip
    out(
        "(peer: parsed twice, the better reading converted; peer 1x: called once, in the "
        "mode of the address form)"
    )
    confident = [r for r in results if r.status == "matched" and r.score >= 0.9]
    wrong = [
        (row.text, r.commune_code, row.expected_code)
        for row, r in zip(rows, results, strict=True)
        if r.status == "matched" and r.score >= 0.9 and r.commune_code != row.expected_code
    ]
    share = 1 - len(wrong) / len(confident) if confident else 1.0
    out(f"matched with score >= 0.9: {len(confident):,}, right: {share:.2%}")
    for text, got, want in wrong[:10]:
        out(f"  wrong: {text!r} → {got} (expected {want})")
    statuses: dict[str, int] = {}
    for r in results:
        statuses[r.status] = statuses.get(r.status, 0) + 1
    out(f"statuses: {statuses}")
    for noise in NOISE_CLASSES:
        for failure in ours[noise].failures[:3]:
            out(f"  miss [{noise}] {failure}")
    out("```")
