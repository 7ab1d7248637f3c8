"""Retrieval and answer quality on a question set: hit@k, MRR, nDCG@5, correct answers, refusals."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ingest.errors import MentorError

METRICS = (
    "hit@1",
    "hit@3",
    "hit@5",
    "mrr",
    "ndcg@5",
    "correct",
    "must_contain",
    "refusal_precision",
    "refusal_recall",
    "false_refusals",
)
LOWER_IS_BETTER = frozenset({"false_refusals"})
EVAL_DIR = Path(__file__).resolve().parents[2] / "tests" / "eval"
SETS_INDEX = EVAL_DIR / "sets.toml"  # each question set, its role and freeze commit
ROLES = ("dev", "validation", "test", "stress")
UNCURATED = "uncurated"
# The whole knowledge base; the sources tagged "guide" alone; the same files as a user's own.
STORES = ("full", "guide", UNCURATED)


@dataclass(frozen=True)
class Case:
    """One question with the headings that answer it (none: out of scope) and key terms."""

    question: str
    sections: tuple[str, ...]
    must_contain: tuple[str, ...] = ()
    turns: tuple[str, ...] = ()


@dataclass
class EvalReport:
    """Aggregate metrics and the questions that missed."""

    metrics: dict[str, float]
    questions: int
    misses: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The report as plain data."""
        return asdict(self)

    def table(self) -> str:
        """A markdown table of the metrics, then one of the misses."""
        lines = ["| metric | value |", "|---|---|"]
        lines += [f"| {name} | {value:.3f} |" for name, value in self.metrics.items()]
        if self.misses:
            lines += ["", "| question | expected | got | problem |", "|---|---|---|---|"]
            lines += [
                f"| {m['question']} | {', '.join(m['expected']) or '(out of scope)'} | {m['got']} | {m['problem']} |"
                for m in self.misses
            ]
        return "\n".join(lines)


def question_sets(*roles: str) -> tuple[Path, ...]:
    """The question sets of ``tests/eval/sets.toml`` with one of ``roles`` (all without any), in
    the index's order.

    Raises:
        MentorError: the index is missing, malformed, or gives a set an unknown role.
    """
    import tomllib

    try:
        entries = tomllib.loads(SETS_INDEX.read_text(encoding="utf-8"))["set"]
        listed = [(str(entry["file"]), str(entry["role"])) for entry in entries]
    except (OSError, KeyError, TypeError, tomllib.TOMLDecodeError) as exc:
        raise MentorError(f"{SETS_INDEX}: cannot be read as [[set]] tables with file and role ({exc})") from None
    unknown = sorted({role for _, role in listed} - set(ROLES))
    if unknown:
        raise MentorError(f"{SETS_INDEX}: unknown role {', '.join(unknown)}; use one of {', '.join(ROLES)}")
    return tuple(EVAL_DIR / name for name, role in listed if not roles or role in roles)


def default_splits() -> tuple[Path, ...]:
    """What ``mentor eval`` scores without arguments: the dev and test sets (tuned on dev; test never)."""
    return question_sets("dev", "test")


def read_cases(path: Path) -> list[Case]:
    """Read a JSONL question set (``question`` or ``turns``, ``sections``, ``must_contain``).

    Raises:
        MentorError: the file is missing or a line is malformed (named by line number).
    """
    cases = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise MentorError(f"{path}: cannot be read ({exc.strerror})") from None
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            turns = tuple(data.get("turns") or (data["question"],))
            cases.append(Case(turns[-1], tuple(data["sections"]), tuple(data.get("must_contain", ())), turns[:-1]))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise MentorError(
                f'{path} line {n}: expected {{"question", "sections", "must_contain"}} ({exc.__class__.__name__})'
            ) from None
    return cases


def evaluate(mentor: Any, cases: list[Case], *, answers: bool = True) -> EvalReport:
    """Run every case through ``mentor.search`` (and ``ask`` when ``answers``) and score it.

    An answer is *correct* when it is not a refusal, mentions every ``must_contain`` term and
    cites a passage of an expected section; for an out-of-scope case, when it is a refusal.
    """
    ranks: list[int | None] = []
    gains: list[float] = []
    contains: list[bool] = []
    correct: list[bool] = []
    refused_in, refused_out, out_of_scope = 0, 0, 0
    misses: list[dict[str, Any]] = []
    for case in cases:
        history = [{"role": "user", "content": turn} for turn in case.turns]
        answer = mentor.ask(case.question, history) if answers else None
        refused = answer is not None and answer.mode == "refusal"
        if not case.sections:
            out_of_scope += 1
            refused_out += refused
            if answers:
                correct.append(refused)
            if answers and not refused:
                misses.append(
                    _miss(
                        case, answer.citations[0].section if answer.citations else answer.mode, "answered out of scope"
                    )
                )
            continue
        refused_in += refused
        query = answer.query if answer and answer.query else case.question
        passages = mentor.search(query, k=5)
        hits = [relevant(p.metadata, case.sections) for p in passages]
        rank = hits.index(True) + 1 if True in hits else None
        ranks.append(rank)
        ideal = sum(1 / math.log2(i + 2) for i in range(min(5, max(1, sum(hits)))))
        gains.append(sum(1 / math.log2(i + 2) for i, h in enumerate(hits) if h) / ideal)
        got = passages[0].metadata.get("section_path", "") if passages else "(nothing)"
        if rank is None or rank > 3:
            misses.append(_miss(case, got, f"rank {rank or '>5'}"))
        if answer is not None:
            text = answer.text.lower()
            ok = all(term.lower() in text for term in case.must_contain)
            cites = any(relevant({"section_path": c.section_path}, case.sections) for c in answer.citations)
            contains.append(ok)
            correct.append(ok and cites and not refused)
            if refused:
                misses.append(_miss(case, got, "false refusal"))
            elif not ok:
                misses.append(_miss(case, got, "answer lacks " + ", ".join(case.must_contain)))
            elif not cites:
                misses.append(_miss(case, got, "cites no expected section"))
    n = max(1, len(ranks))
    metrics = {f"hit@{k}": sum(1 for r in ranks if r and r <= k) / n for k in (1, 3, 5)}
    metrics["mrr"] = sum(1 / r for r in ranks if r) / n
    metrics["ndcg@5"] = sum(gains) / n
    if answers:
        metrics["correct"] = sum(correct) / max(1, len(correct))
        metrics["must_contain"] = sum(contains) / max(1, len(contains))
        refusals = refused_in + refused_out
        metrics["refusal_precision"] = refused_out / refusals if refusals else 1.0
        metrics["refusal_recall"] = refused_out / out_of_scope if out_of_scope else 1.0
        metrics["false_refusals"] = float(refused_in)
    return EvalReport(metrics, len(cases), misses)


def answerable_in(cases: list[Case], headings: set[str]) -> list[Case]:
    """The cases a store holding ``headings`` can be judged on: out-of-scope ones, and those
    with an expected heading in it (a store of the guide alone cannot hit a note's title)."""
    return [case for case in cases if not case.sections or set(case.sections) & headings]


def regressions(current: dict[str, float], previous: dict[str, float]) -> list[str]:
    """Metrics that got worse than ``previous`` (a content update that hurt retrieval)."""
    worse = []
    for name, value in current.items():
        before = previous.get(name)
        if before is None:
            continue
        if (value > before) if name in LOWER_IS_BETTER else (value < before - 1e-9):
            worse.append(f"{name} fell from {before:.3f} to {value:.3f}")
    return worse


def relevant(metadata: dict[str, Any], sections: tuple[str, ...]) -> bool:
    """Whether a passage (its metadata) sits under one of the expected ``sections``."""
    path = str(metadata.get("section_path", "")).split(" > ")
    return any(heading in path for heading in sections)


def _miss(case: Case, got: str, problem: str) -> dict[str, Any]:
    return {"question": case.question, "expected": list(case.sections), "got": got, "problem": problem}


def score_after_ingest(mentor: Any, path: Path) -> tuple[dict[str, float], list[str]]:
    """Retrieval metrics on the question set at ``path`` and the ones that fell since the last
    call (kept in ``<data_dir>/last-eval.json``)."""
    metrics = evaluate(mentor, read_cases(path), answers=False).metrics
    kept = mentor.settings.data_dir / "last-eval.json"
    previous = json.loads(kept.read_text()) if kept.exists() else {}
    kept.write_text(json.dumps(metrics))
    return metrics, regressions(metrics, previous)


def store_headings(mentor: Any) -> set[str]:
    """Every heading (and source title) of the passages ``mentor``'s store holds."""
    return {
        heading for row in mentor.store.rows() for heading in str(row.metadata.get("section_path", "")).split(" > ")
    }


def eval_store(mentor: Any, store: str) -> Any:
    """A Mentor over a store built for evaluation beside ``mentor``'s (``<data_dir>/eval/<store>``)
    from the manifest: ``full`` holds all of its sources, ``uncurated`` the same local files
    ingested as a user's own (:func:`plain_knowledge`), any other name the sources tagged with
    it (``guide``: the guide alone). Re-runs only embed what changed."""
    from assistant.mentor import Mentor

    data_dir = mentor.settings.data_dir / "eval" / store
    changes: dict[str, Any] = {}
    if store == UNCURATED:
        changes["manifest"] = plain_knowledge(mentor.settings.manifest, data_dir / "knowledge")
    settings = mentor.settings.replace(
        data_dir=data_dir, model_cache=str(mentor.settings.model_cache_dir), chroma_url="", **changes
    )
    judge = Mentor(settings, embedder=mentor.embedder, chat_model=mentor.chat_model)
    judge.ingest(tags=() if store in ("full", UNCURATED) else (store,))
    return judge


def plain_knowledge(manifest: Path, folder: Path) -> Path:
    """Copy ``manifest``'s local files into ``folder`` under a manifest that lists them as a
    user's own: no question keys, roles, boost or skipped sections (tags kept, for subsets).
    The declared out-of-scope topics stay: they belong to the knowledge base, not to a file.
    Returns the new manifest's path."""
    import shutil

    from assistant.retrieval.out_of_scope import topics_file
    from ingest import read_manifest

    specs, _ = read_manifest(manifest)
    lines = []
    for spec in (s for s in specs if not s.is_url):
        target = folder / spec.source
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists() or target.read_bytes() != Path(spec.location).read_bytes():
            shutil.copyfile(spec.location, target)
        lines += ["[[source]]", f"path = {json.dumps(spec.source)}", f"tags = {json.dumps(list(spec.tags))}", ""]
    topics = topics_file(manifest)
    if topics and topics.exists():
        shutil.copyfile(topics, folder / "out-of-scope.toml")
        lines.insert(0, 'out_of_scope = "out-of-scope.toml"\n')
    plain = folder / "sources.toml"
    plain.write_text("\n".join(lines), encoding="utf-8")
    return plain


def compare(
    mentor: Any, splits: dict[str, list[Case]], stores: tuple[str, ...] = STORES, *, answers: bool = True
) -> dict[str, EvalReport]:
    """Score every split on every store (see :func:`eval_store`), keyed ``"split/store"``."""
    reports: dict[str, EvalReport] = {}
    for store in stores:
        judge = eval_store(mentor, store)
        headings = store_headings(judge)
        for split, cases in splits.items():
            reports[f"{split}/{store}"] = evaluate(judge, answerable_in(cases, headings), answers=answers)
    return reports


def comparison_table(reports: dict[str, EvalReport]) -> str:
    """A markdown table: one row per metric, one column per ``split/store``."""
    columns = list(reports)
    lines = [
        "| metric | " + " | ".join(columns) + " |",
        "|---" * (len(columns) + 1) + "|",
        "| questions | " + " | ".join(str(reports[c].questions) for c in columns) + " |",
    ]
    for name in METRICS:
        if any(name in reports[c].metrics for c in columns):
            lines.append(
                f"| {name} | "
                + " | ".join(f"{reports[c].metrics[name]:.3f}" if name in reports[c].metrics else "" for c in columns)
                + " |"
            )
    return "\n".join(lines)
