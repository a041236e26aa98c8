"""The LOBSTER replay scores at least as well as the shared reference replay."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import lobster_replay as replay

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
SAMPLE = SHARED / "data" / "lobster" / "LOBSTER_SampleFile_GOOG_2012-06-21_10.zip"
REFERENCE = SHARED / "tools" / "lobster_replay_reference.py"
SLICE = 20_000

needs_sample = pytest.mark.skipif(
    not (SAMPLE.is_file() and REFERENCE.is_file()),
    reason=f"LOBSTER sample or reference replay not found under {SHARED}",
)


@pytest.fixture(scope="module")
def ours() -> replay.ReplayReport:
    return replay.replay(SAMPLE, limit=SLICE)


@needs_sample
def test_the_replay_reads_the_whole_slice(ours: replay.ReplayReport) -> None:
    assert ours.messages == SLICE
    assert ours.rows_compared == SLICE - 1  # row 0 seeds the book
    # Every visible execution is scored but message 0 (one, in this file), which only seeds.
    assert sum(ours.executions.values()) == ours.types[replay.VISIBLE_EXEC] - 1


@needs_sample
def test_the_replay_matches_lobsters_book_at_least_as_often_as_the_reference(
    ours: replay.ReplayReport,
) -> None:
    figures = replay.reference_figures(REFERENCE, SAMPLE, limit=SLICE)
    assert figures is not None
    reference_book_share, reference_head_share = figures
    assert reference_book_share > 0.9, "the reference's output was not read right"
    assert ours.book_share >= reference_book_share
    assert ours.head_share("clean") >= reference_head_share


@needs_sample
def test_the_engine_fills_nasdaqs_order_first_on_clean_levels(
    ours: replay.ReplayReport,
) -> None:
    # Every execution the engine agreed with went through the engine's own matching.
    assert ours.engine_executions >= ours.executions["clean/head_of_queue"] > 0
    assert ours.crossing_submissions == 0
