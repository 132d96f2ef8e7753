"""Issue 15: a property-based test over the workspace loader and the CLI. Generated workspaces with
random mutations (tests/mutations.py) give exit 0 with strict JSON, or exit 2 with a message naming
a file — never a traceback, never exit 1 — and nothing is written outside the workspace and --out.

Profiles: "ci" (default, well under 60 s) and "long" (HYPOTHESIS_PROFILE=long). Shrunk failures are
kept as JSON under tests/corpus/ and replayed by `test_corpus_case`; with HYPOTHESIS_SAVE_CORPUS=1 a
failing case is written to tests/corpus/found/latest-failure.json (the last one written is the shrunk
one): add the outcome it should have ("expect") and move it into tests/corpus/ to keep it.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.mutations import AS_OF_CHOICES, CSV_FILES, JSON_FILES, KINDS, NASTY, check_case

CORPUS = Path(__file__).parent / "corpus"
settings.register_profile(
    "ci", max_examples=int(os.environ.get("HYPOTHESIS_MAX_EXAMPLES", "30")), deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)  # fmt: skip
settings.register_profile("long", max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

mutation = st.fixed_dictionaries({
    "kind": st.sampled_from(KINDS),
    "file": st.sampled_from(CSV_FILES + JSON_FILES),
    "row": st.integers(0, 40),
    "column": st.integers(0, 25),
    "value": st.one_of(st.sampled_from(NASTY), st.sampled_from(("short", "long")), st.text(max_size=12)),
})  # fmt: skip


def run_case(mutations: list[dict[str, Any]], as_of: str | None, command: str) -> str:
    with tempfile.TemporaryDirectory(prefix="h15-") as tmp:
        try:
            return check_case(Path(tmp) / "case", mutations, as_of, command)
        except AssertionError:
            if os.environ.get("HYPOTHESIS_SAVE_CORPUS"):
                case = {"mutations": mutations, "as_of": as_of, "command": command}
                found = CORPUS / "found"
                found.mkdir(exist_ok=True)
                (found / "latest-failure.json").write_text(json.dumps(case, indent=1) + "\n", encoding="utf-8")
            raise


@given(
    mutations=st.lists(mutation, min_size=1, max_size=3),
    as_of=st.one_of(st.none(), st.sampled_from(AS_OF_CHOICES)),
    command=st.sampled_from(("rank", "score", "propose")),
)
def test_any_mutated_workspace_gives_json_or_a_named_refusal(
    mutations: list[dict[str, Any]], as_of: str | None, command: str
) -> None:
    event(f"{command}: {run_case(mutations, as_of, command)}")


@pytest.mark.parametrize("case", sorted(CORPUS.glob("*.json")), ids=lambda p: p.stem)
def test_corpus_case(case: Path) -> None:
    data = json.loads(case.read_text(encoding="utf-8"))
    assert run_case(data["mutations"], data.get("as_of"), data["command"]) == data["expect"]
