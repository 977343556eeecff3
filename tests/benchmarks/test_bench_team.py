"""The team benchmark's correctness checks (tests/benchmarks/bench_team.py): a short run of
three analysts finds nothing lost and nothing overwritten, and the same checks do find a
span deleted behind the analysts' backs and an edit that did not move the version on.
No timing is asserted."""

from __future__ import annotations

import os
from types import SimpleNamespace

import psycopg
import pytest

from tests.benchmarks.bench_team import Project, audit, figures, plain_url, run

PG_URL = os.environ.get("DOSSIER_TEST_PG_URL")

pytestmark = pytest.mark.skipif(not PG_URL, reason="needs DOSSIER_TEST_PG_URL")


@pytest.fixture
def project():
    made = Project.create(PG_URL, analysts=3, documents=5, gold=3)
    try:
        yield made
    finally:
        made.drop()


def test_checks_pass_on_a_clean_run_and_fail_on_a_tampered_one(project):
    options = SimpleNamespace(spans=20, pace=0.02, contested=0.25, per_document=10)
    result = run(project, "dossier", 3, options)
    adds = [key for key, _ in result.all("adds")]
    edits = result.all("edits")
    assert len(adds) == 60
    assert result.all("errors") == []
    seen = figures(result)
    assert seen["never seen"] == 0  # every session heard of every other session's spans
    assert seen["edits"] + seen["conflicts"] == 15

    clean = audit(project.url, adds, edits)
    assert (clean.lost, clean.lost_edits, clean.overwrites, clean.broken) == (0, 0, 0, 0)
    assert clean.spans_checked == 63  # the analysts' spans and the gold ones

    with psycopg.connect(plain_url(project.url), autocommit=True) as owner:
        # An acknowledged span deleted, and a gold span relabelled without its version
        # moving on (as a careless script would): the history records both.
        owner.execute("DELETE FROM annotation WHERE uuid = %s", (adds[0],))
        owner.execute(
            "UPDATE annotation SET label_id = label_id WHERE uuid = %s", (project.gold[0],)
        )
        owner.execute(
            "UPDATE annotation SET note = 'overwritten' WHERE uuid = %s", (project.gold[1],)
        )
    tampered = audit(project.url, adds, edits)
    assert tampered.lost == 1
    assert tampered.broken == 1  # the note changed, the version did not; the no-op is not a change

    # An edit that claims it was made from a version, and a label, its analyst never saw.
    key, seen_version, seen_label, made, label = edits[0]
    other = label  # a relabel always chooses another label than the one it saw
    stale = audit(project.url, adds[1:], [(key, seen_version - 1, other, made, label), *edits[1:]])
    assert (stale.overwrites, stale.same_content) == (1, 0)
    # The same version unseen, but holding the label seen (changed and changed back): the
    # store compares content, so the edit replaced nothing its analyst had not seen.
    again = audit(
        project.url, adds[1:], [(key, seen_version - 1, seen_label, made, label), *edits[1:]]
    )
    assert (again.overwrites, again.same_content) == (0, 1)
    forged = audit(
        project.url, adds[1:], [(key, seen_version, seen_label, made + 100, label), *edits[1:]]
    )
    assert forged.lost_edits == 1
