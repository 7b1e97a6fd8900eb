"""The "Mutation testing" section of docs/RELIABILITY.md, from ``docs/mutation.json``.

``benchmarks/mutation.py`` runs mutmut one scope (one product module and the fast tests
that cover it) at a time and merges each scope's counts and surviving mutants into
``docs/mutation.json``. The same file holds, under ``equivalent``, the survivors argued
to be equivalent (no test can tell them from the original), each with its argument; the
score leaves those out: killed / (mutants - equivalent).
"""

from . import report


def summary(result):
    """Per-scope rows and the total of a ``mutation.json`` document.

    Returns
    -------
    dict
        ``rows`` (one per scope, in name order: counts and score), ``total``, and
        ``not_measured``: the modules of the scopes defined (``defined``) never run, and
        ``not_measured_why``: for some of them, why (``not_measured_why`` of the document).
    """
    equivalent = result.get("equivalent", {})
    rows = []
    for name, scope in sorted(result.get("scopes", {}).items()):
        argued = [m for m in scope["survived"] if m in equivalent]
        unargued = [m for m in scope["survived"] if m not in equivalent]
        counted = scope["mutants"] - len(argued)
        rows.append(
            {
                "name": name,
                "module": scope["module"],
                "tests": scope["tests"],
                "mutants": scope["mutants"],
                "killed": scope["killed"],
                "timeouts": scope.get("timeouts"),
                "equivalent": len(argued),
                "unargued": unargued,
                "not_covered": len(scope["not_covered"]),
                "not_run": scope.get("not_run", 0),
                "score": scope["killed"] / counted if counted else None,
                "seconds": scope["seconds"],
                "date": scope["date"],
            }
        )
    mutants = sum(r["mutants"] for r in rows)
    killed = sum(r["killed"] for r in rows)
    argued = sum(r["equivalent"] for r in rows)
    total = {
        "mutants": mutants,
        "killed": killed,
        "equivalent": argued,
        "unargued": sum(len(r["unargued"]) for r in rows),
        "score": killed / (mutants - argued) if mutants > argued else None,
    }
    measured = {r["module"] for r in rows}
    not_measured = sorted(set(result.get("defined", {}).values()) - measured)
    why = {m: text for m, text in result.get("not_measured_why", {}).items() if m in not_measured}
    return {"rows": rows, "total": total, "not_measured": not_measured, "not_measured_why": why}


def render(result):
    """The section's Markdown (``templates/RELIABILITY_mutation.md.j2``)."""
    equivalent = result.get("equivalent", {})
    return report.render(
        "RELIABILITY_mutation.md.j2",
        **summary(result),
        equivalent=sorted(equivalent.items()),
        target=result.get("target", 0.9),
    )
