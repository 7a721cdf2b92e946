"""Print the privacy scanner's per-detector rates over the labelled corpus.

Run from the project root: ``python bench/scan_rates.py``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from blog.scan import scan_text  # noqa: E402
from tests.fixtures.scan_corpus import NEGATIVES, POSITIVES, evaluate, format_table  # noqa: E402


def main() -> None:
    """Evaluate the corpus and print the rates table and a throughput figure."""
    rates = evaluate(scan_text)
    print(format_table(rates))
    turn = "\n".join(case.text for case in POSITIVES) + "\n".join(n.text for n in NEGATIVES)
    document = (turn * (1_000_000 // len(turn) + 1))[:1_000_000]
    started = time.perf_counter()
    found = len(scan_text(document))
    elapsed = time.perf_counter() - started
    print(f"\n1 MB of corpus text: {found} findings in {elapsed:.2f} s")


if __name__ == "__main__":
    main()
