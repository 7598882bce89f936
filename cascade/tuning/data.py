"""Tuning data: per prompt and tier, the tier's score, whether its answer is right, its cost.

From recordings, every tier of the policy is replayed on every prompt (each tier alone, with the
policy's verifiers and that tier's samples), so the table is complete and labelled. Verifiers see
only the prompt, the public inputs and the sample texts.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from cascade.engine import Cascade
from cascade.policy import Policy
from cascade.recordings import Record, Recording
from cascade.replay import ReplayProvider, ladder_for, replay_all, returned_sample
from cascade.tuning.simulate import Table


@dataclass(frozen=True)
class Dataset:
    """A tuning table with the prompts behind its rows and where it came from."""

    table: Table
    prompts: list[str]
    ids: list[str]
    sources: list[str]
    models: list[str]

    def take(self, rows: npt.NDArray[np.intp]) -> Dataset:
        """The rows ``rows`` of this dataset."""
        return Dataset(
            self.table.take(rows),
            [self.prompts[i] for i in rows],
            [self.ids[i] for i in rows],
            self.sources,
            self.models,
        )


def file_hash(path: Path) -> str:
    """The first 16 hex digits of a file's sha256 (provenance)."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


def from_recording(
    recording: Recording,
    policy: Policy,
    *,
    records: Sequence[Record] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Dataset:
    """Replay each tier of ``policy`` (moved onto the recording's models) on every record."""
    recs = list(records if records is not None else recording.records())
    names = list(recording.manifest.model_names)
    ladder = ladder_for(names)
    engine = Cascade(provider=ReplayProvider(recording.manifest, recs), cache=False, trace=False)
    try:
        moved = policy.with_models(list(ladder))
        table = asyncio.run(tier_table(engine, moved, recs, ladder, progress))
    finally:
        engine.close()
    source = f"{recording.name} ({file_hash(recording.records_path)})"
    return Dataset(table, [r.prompt for r in recs], [r.id for r in recs], [source], names)


async def tier_table(
    engine: Cascade,
    policy: Policy,
    records: Sequence[Record],
    ladder: Mapping[str, str],
    progress: Callable[[int], None] | None = None,
) -> Table:
    """Every tier of ``policy`` (already on the replayed models) alone on every record, through
    ``engine`` (a `ReplayProvider`'s): each tier's score, whether its answer is right, its cost."""
    tiers = policy.tiers
    n, k = len(records), len(tiers)
    scores, correct, costs = np.zeros((n, k)), np.zeros((n, k), dtype=bool), np.zeros((n, k))
    for j, tier in enumerate(tiers):
        alone = policy.model_copy(
            update={
                "tiers": (tier.model_copy(update={"skip": False}),),
                "max_cost_usd": None,
                "on_exhausted": "best",
                "on_budget": "best",
            }
        )
        results = await replay_all(engine, alone, records, progress=progress)
        for i, (rec, res) in enumerate(zip(records, results, strict=True)):
            scores[i, j] = res.score
            correct[i, j] = returned_sample(res, rec, ladder).sample.correct
            costs[i, j] = res.cost_usd
    return Table(scores, correct, costs)
