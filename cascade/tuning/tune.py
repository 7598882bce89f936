"""`tune`: learn a policy's per-tier thresholds from recordings and write a new policy file."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cascade.errors import PolicyError
from cascade.policy import Policy, PolicyRef, RouterRef, Tier, load_policy, tier_ranks
from cascade.recordings import find_recordings, halve
from cascade.tuning.data import Dataset, from_recording
from cascade.tuning.router import RouterChoice
from cascade.tuning.routing import beats, router_line, router_provenance, router_start, try_router
from cascade.tuning.search import (
    Choice,
    Objective,
    Validation,
    bags_for,
    choose_bagged,
    cross_validate,
)
from cascade.tuning.simulate import Table
from cascade.tuning.traces import from_traces, is_trace, most_explored, read_runs, trace_files
from cascade.tuning.write import policy_toml

MIN_PROMPTS = 30


@dataclass(frozen=True)
class TuneReport:
    """What tuning chose, what it expects on unseen prompts, and where the policy was written."""

    policy: Policy
    choice: Choice
    validation: Validation
    prompts: int
    out: Path | None
    routing: RouterChoice | None = None
    objective: Objective = dataclasses.field(default_factory=Objective)

    def summary(self) -> str:
        """A short human-readable account."""
        v = self.validation
        th = ", ".join("skip" if not np.isfinite(t) else f"{t:.3f}" for t in self.choice.thresholds)
        return (
            f"tuned {self.policy.name!r} on {self.prompts} prompts: thresholds [{th}]\n"
            f"held-out ({v.folds}-fold): accuracy {v.accuracy:.3f} "
            f"[{v.accuracy_ci[0]:.3f}, {v.accuracy_ci[1]:.3f}] = "
            f"{_pct(v.accuracy, v.top_accuracy)} of always-top ({v.top_accuracy:.3f}); "
            f"cost {v.cost:.3g} USD/prompt [{v.cost_ci[0]:.3g}, {v.cost_ci[1]:.3g}] = "
            f"{_pct(v.cost, v.top_cost)} of always-top"
            + self._shortfall()
            + (
                f"\n{router_line(self.routing, self.out is not None)}"
                if self.routing is not None
                else ""
            )
            + (f"\nwrote {self.out}" if self.out else "")
        )

    def _shortfall(self) -> str:
        """A note when the chosen thresholds miss the objective on the tuning data itself."""
        if self.choice.feasible or (self.routing is not None and self.routing.enabled):
            return ""  # (with the router on, the thresholds are the router's, checked there)
        out, v = self.choice.outcome, self.validation
        if self.objective.max_cost_pct is not None:
            return (
                f"\nnote: no setting meets the cost cap of {self.objective.max_cost_pct:g}% of "
                "always-top on the tuning data; the cheapest found costs "
                f"{_pct(out.cost, v.top_cost)}"
            )
        return (
            f"\nnote: on the tuning data itself these thresholds reach accuracy "
            f"{out.accuracy:.3f} (bagged thresholds aim at unseen prompts: the held-out figures "
            "above are the ones to expect)"
        )


def tune(
    data: Sequence[str | Path],
    policy: PolicyRef | None = None,
    *,
    target_quality: float = 0.99,
    max_cost_pct: float | None = None,
    out: str | Path | None = None,
    folds: int = 5,
    seed: int = 0,
    half: int | None = None,
    progress: bool = False,
    router: bool = True,
) -> TuneReport:
    """Learn thresholds for ``policy`` from recordings and/or traces (files or folders) and
    write a new TOML. Traces contribute their explored requests (`cascade.tuning.traces`).

    The objective is the least expected cost with accuracy at least ``target_quality`` times
    always-top's, or, with ``max_cost_pct``, the best accuracy at most that share of always-top's
    cost. ``half`` (0 or 1) tunes on that half of each recording (`cascade.recordings.half`),
    keeping the other half for evaluation. With ``router`` (and prompt texts in the data) the
    learned pre-router is tuned too and kept only when it lowers held-out cost at equal quality;
    it is then written next to ``out`` as ``<out>.router.json``. The source policy is never
    changed. Raises
    `PolicyError` when the data is too small.
    """
    objective = Objective(target_quality, max_cost_pct)
    paths = [Path(p) for p in data]
    traces = [f for f in trace_files(paths) if is_trace(f)]
    recordings = find_recordings([p for p in paths if p.is_dir() or not is_trace(p)])
    if not recordings and not traces:
        raise PolicyError(
            f"no recordings or traces found in {', '.join(map(str, data))}", field="data"
        )
    sets: list[Dataset] = []
    columns: list[int] | None = None
    wanted = None if policy is None else load_policy(policy)
    if traces:
        runs = read_runs(traces)
        if wanted is None and not recordings:
            wanted = _named(most_explored(runs, half))
        from_trace, _, columns = from_traces(traces, wanted, half, runs)
        sets.append(from_trace)
    source = wanted if wanted is not None else load_policy(recordings[0].manifest.task_kind)
    tick = _ticker() if progress else None
    sets += [
        from_recording(
            r, source, progress=tick, records=None if half is None else halve(r.records(), half)
        )
        for r in recordings
    ]
    if recordings:
        columns = None  # recordings place their models by rank (`Policy.with_models`)
    dataset = _concat(sets)
    if dataset.table.prompts < MIN_PROMPTS:
        raise PolicyError(
            f"{dataset.table.prompts} prompts are too few to tune on (at least {MIN_PROMPTS}, "
            f"and at least {folds} per fold); add recordings or traces",
            field="data",
        )
    bags = bags_for(dataset.table.prompts)  # decided once, for the choice and its validation
    choice = choose_bagged(dataset.table, objective, bags, seed)
    validation = cross_validate(dataset.table, objective, folds=folds, seed=seed, bags=bags)
    routing = try_router(dataset, objective, folds, seed, bags) if router else None
    if routing is not None and routing.enabled and not beats(routing.routed, validation, objective):
        routing = dataclasses.replace(routing, enabled=False)  # thresholds alone do better
    if routing is not None and routing.enabled:
        choice = dataclasses.replace(choice, thresholds=routing.routed_thresholds)
        validation = routing.routed
    same = all(d.models == sets[0].models for d in sets)  # else some data is of other models
    tuned = _apply(source, choice, columns, dataset.models if same else ())
    provenance = _provenance(source, dataset, objective, validation, seed)
    if routing is not None:
        provenance.update(router_provenance(routing))
    tuned = tuned.model_copy(update={"provenance": provenance})
    path = Path(out) if out is not None else None
    if path is not None:
        _check_out(path, policy)
        if routing is not None and routing.enabled:
            sidecar = path.with_suffix(".router.json")
            routing.router.save(sidecar)
            start = router_start(columns, routing.start_tier)
            ref = RouterRef(path=str(sidecar.resolve()), tau=routing.tau, start_tier=start)
            tuned = tuned.model_copy(update={"router": ref})
        _write(path, tuned, provenance)
    return TuneReport(tuned, choice, validation, dataset.table.prompts, path, routing, objective)


def _named(name: str) -> Policy:
    """The policy a trace names, loaded by that name (a preset)."""
    try:
        return load_policy(name)
    except PolicyError as exc:
        raise PolicyError(
            f"the traces were made with policy {name!r}, which is not a preset; pass it with "
            f"--policy PATH (policy=...)",
            field="policy",
        ) from exc


def _apply(
    policy: Policy,
    choice: Choice,
    columns: Sequence[int] | None = None,
    models: Sequence[str] = (),
) -> Policy:
    """The policy with tuned thresholds; a tier never worth calling is skipped.

    ``columns`` are the policy's tier indexes the data's columns stand for (traces); a tier
    that no explored request ran stays out. Without them, with fewer models in the data than
    tiers in the policy, the tuned policy keeps the tiers that `Policy.with_models` put those
    models on, in order. When the data's ``models`` are the tuned tiers' own (traces always are),
    the tuner measured what each tier costs, so no tier is left out on price alone
    (``skip_dominated`` false); data of other models keeps the source's setting.
    """
    if columns is not None:
        if max(columns) >= len(policy.tiers):
            raise PolicyError(
                f"the traces have tier {max(columns)}, policy {policy.name!r} has "
                f"{len(policy.tiers)} tiers",
                field="policy",
            )
        tiers = [t.model_copy(update={"skip": True}) for t in policy.tiers]
        for col, t in zip(columns, choice.thresholds, strict=True):
            tiers[col] = _tuned_tier(tiers[col], float(t))
        return _tuned(policy, tiers, measured=True)
    ranks = tier_ranks(len(policy.tiers), len(choice.thresholds))
    chosen = [policy.tiers[r] for r in ranks]
    tiers = [_tuned_tier(t, float(x)) for t, x in zip(chosen, choice.thresholds, strict=True)]
    return _tuned(policy, tiers, measured=[t.model for t in chosen] == list(models))


def _tuned(policy: Policy, tiers: Sequence[Tier], measured: bool) -> Policy:
    update: dict[str, object] = {"tiers": tuple(tiers), "name": f"{policy.name}-tuned"}
    if measured:
        update["skip_dominated"] = False
    return policy.model_copy(update=update)


def _tuned_tier(tier: Tier, threshold: float) -> Tier:
    if np.isfinite(threshold) and threshold <= 1.0:
        return tier.model_copy(update={"threshold": threshold, "skip": False})
    return tier.model_copy(update={"threshold": 1.0, "skip": True})


def _provenance(
    source: Policy, data: Dataset, objective: Objective, v: Validation, seed: int
) -> dict[str, object]:
    return {
        "source_policy": source.name,
        "data": data.sources,
        "prompts": data.table.prompts,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "objective": (
            f"least cost at accuracy >= {objective.target} x always-top"
            if objective.max_cost_pct is None
            else f"best accuracy at cost <= {objective.max_cost_pct}% of always-top"
        ),
        "validation": f"{v.folds}-fold cross-validation, seed {seed}",
        "expected_accuracy": round(v.accuracy, 4),
        "expected_accuracy_ci95": [round(v.accuracy_ci[0], 4), round(v.accuracy_ci[1], 4)],
        "expected_cost_usd": v.cost,
        "expected_cost_ci95": [v.cost_ci[0], v.cost_ci[1]],
        "always_top_accuracy": round(v.top_accuracy, 4),
        "always_top_cost_usd": v.top_cost,
    }


def _check_out(path: Path, source: PolicyRef | None) -> None:
    """Refuse an output that would overwrite the source policy (or its router file)."""
    if isinstance(source, (str, Path)) and Path(source).expanduser().resolve() == path.resolve():
        raise PolicyError(
            "the tuned policy would overwrite its source; choose another --out", field="out"
        )
    if isinstance(source, (str, Path)) and str(source).endswith(".toml"):
        theirs = Path(source).expanduser().resolve().with_suffix(".router.json")
        if theirs == path.resolve().with_suffix(".router.json"):
            raise PolicyError(
                "the tuned policy's router file would overwrite its source's; choose another --out",
                field="out",
            )


def _write(path: Path, tuned: Policy, provenance: dict[str, object]) -> None:
    without = tuned.model_copy(update={"provenance": {}})
    if without.router is not None:  # named relative to the policy file, as loading expects
        rel = Path(without.router.path).name
        without = without.model_copy(
            update={"router": without.router.model_copy(update={"path": rel})}
        )
    path.write_text(policy_toml(without, provenance), encoding="utf-8")


def _concat(sets: list[Dataset]) -> Dataset:
    tiers = {d.table.tiers for d in sets}
    if len(tiers) > 1:
        raise PolicyError(
            "recordings with different numbers of models cannot be tuned together: "
            + ", ".join(f"{d.sources[0]}: {d.table.tiers}" for d in sets),
            field="data",
        )
    t = Table(
        np.concatenate([d.table.scores for d in sets]),
        np.concatenate([d.table.correct for d in sets]),
        np.concatenate([d.table.costs for d in sets]),
    )

    def joined(field: str) -> list[str]:
        return list(itertools.chain.from_iterable(getattr(d, field) for d in sets))

    return Dataset(t, joined("prompts"), joined("ids"), joined("sources"), sets[0].models)


def _pct(x: float, top: float) -> str:
    return f"{100 * x / top:.1f}%" if top else "n/a"


def _ticker() -> Callable[[int], None]:
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        print(f"\rcascade tune: {done} replays", end="", file=sys.stderr, flush=True)

    return tick
