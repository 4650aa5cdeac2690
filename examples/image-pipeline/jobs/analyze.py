"""The pipeline's Batch job: a byte-level analysis of one image (its size and entropy), written
next to the thumbnails as JSON. Exits non-zero when the file cannot be read."""

from __future__ import annotations

import json
import math
import os
import sys
from collections import Counter
from pathlib import Path


def main(path: str) -> int:
    data = Path(path).read_bytes()
    counts = Counter(data)
    entropy = -sum(n / len(data) * math.log2(n / len(data)) for n in counts.values()) if data else 0.0
    out = Path(os.environ.get("OUTPUT_DIR", ".")) / f"{Path(path).stem}.analysis.json"
    out.write_text(json.dumps({"bytes": len(data), "entropy": round(entropy, 3)}))
    print(f"analysed {path}: {len(data)} bytes, entropy {entropy:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
