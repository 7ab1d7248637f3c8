"""A deterministic synthetic markdown corpus: documents of H1/H2/H3 sections on topics.

Document ``i`` depends only on ``i`` and the seed, so a corpus of 200 documents is the first
200 of a corpus of 2,000. Each document yields about ten Mentor chunks (one per section).

Example:
    >>> root = write_corpus(Path("/tmp/corpus"), 20)     # doctest: +SKIP
    >>> sorted(p.name for p in (root / "docs").iterdir())[:1]  # doctest: +SKIP
    ['doc-00000.md']
"""

from __future__ import annotations

import random
from pathlib import Path

PATTERNS = ("docs/*.md",)
SEED = 20240601
H2_PER_DOC = 3
H3_PER_H2 = 2
TOPIC_SHARE = 0.35  # share of words drawn from the document's topic, the rest filler
EDIT = " This paragraph was edited for the benchmark."

TOPICS = {
    "convolutional networks": "convolution kernel stride padding pooling filter feature map "
    "channel receptive field resnet image",
    "recurrent networks": "sequence recurrent lstm gru hidden state timestep gradient vanishing unrolled language",
    "transformers": "attention head query key value token embedding positional encoder decoder layer",
    "optimisation": "gradient descent learning rate momentum adam schedule warmup loss minimum batch convergence",
    "regularisation": "dropout weight decay overfitting augmentation early stopping validation generalisation noise",
    "data pipelines": "dataset loader shuffle batch augmentation label split preprocessing normalisation shard",
    "gpu computing": "gpu cuda memory kernel throughput precision tensor core cluster driver colab",
    "deployment": "serving latency container api endpoint quantisation export onnx monitoring rollback",
    "careers": "job interview portfolio resume engineer scientist research role salary mentor",
    "evaluation": "metric accuracy precision recall benchmark test split baseline ablation confusion",
}
_FILLER_TEXT = (
    "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor "
    "incididunt ut labore et dolore magna aliqua enim ad minim veniam quis nostrud "
    "exercitation ullamco laboris nisi aliquip ex ea commodo consequat duis aute irure "
    "in reprehenderit voluptate velit esse cillum fugiat nulla pariatur"
)
FILLER = tuple(_FILLER_TEXT.split())
SECTION_WORDS = (
    "overview",
    "basics",
    "pitfalls",
    "examples",
    "practice",
    "tools",
    "history",
    "tips",
    "setup",
    "theory",
    "results",
    "questions",
)


def write_corpus(root: Path, documents: int, *, seed: int = SEED) -> Path:
    """Write ``documents`` markdown files under ``root/docs`` and a ``sources.toml``; return root."""
    docs = root / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    (root / "sources.toml").write_text('[[source]]\nglob = "docs/*.md"\ntags = ["synthetic"]\n', encoding="utf-8")
    for i in range(documents):
        (docs / f"doc-{i:05d}.md").write_text(document(i, seed=seed), encoding="utf-8")
    return root


def document(i: int, *, seed: int = SEED) -> str:
    """The markdown of document ``i``: a title, an intro, H2 sections with H3 subsections."""
    rng = random.Random(seed * 100_003 + i)
    topic = rng.choice(sorted(TOPICS))
    words = TOPICS[topic].split()
    lines = [f"# {topic.capitalize()} notes {i}", "", _paragraph(rng, words), ""]
    for h2 in rng.sample(SECTION_WORDS, H2_PER_DOC):
        lines += [f"## {h2.capitalize()} of {rng.choice(words)}", "", _paragraph(rng, words), ""]
        for _ in range(H3_PER_H2):
            lines += [
                f"### {rng.choice(words).capitalize()} {rng.choice(SECTION_WORDS)}",
                "",
                _paragraph(rng, words),
                "",
            ]
    return "\n".join(lines)


def change_documents(root: Path, count: int) -> list[Path]:
    """Edit one paragraph in each of ``count`` documents spread evenly over the corpus."""
    paths = sorted((root / "docs").glob("*.md"))
    step = max(1, len(paths) // max(1, count))
    changed = paths[::step][:count]
    for path in changed:
        edit_paragraph(path)
    return changed


def edit_paragraph(path: Path) -> None:
    """Append a sentence to the first prose paragraph after the first heading of ``path``."""
    lines = path.read_text(encoding="utf-8").split("\n")
    start = next(n for n, line in enumerate(lines) if line.startswith("#"))
    n = next(n for n in range(start + 1, len(lines)) if _is_prose(lines[n]))
    lines[n] += EDIT
    path.write_text("\n".join(lines), encoding="utf-8")


def _is_prose(line: str) -> bool:
    stripped = line.strip()
    return len(stripped) > 40 and not stripped.startswith(("#", "-", "*", "|", ">", "`")) and not stripped[0].isdigit()


def _paragraph(rng: random.Random, words: list[str]) -> str:
    sentences = []
    for _ in range(rng.randint(3, 5)):
        picked = [
            rng.choice(words) if rng.random() < TOPIC_SHARE else rng.choice(FILLER) for _ in range(rng.randint(8, 14))
        ]
        sentences.append(" ".join(picked).capitalize() + ".")
    return " ".join(sentences)
