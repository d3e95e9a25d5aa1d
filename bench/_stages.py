"""What the file benchmarks share: run one stage in its own process, read its peak memory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def peak_rss_mb() -> float:
    """This process's high-water mark of resident memory (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure(script: str, stage: str, path: Path, *extra: str) -> dict[str, float]:
    """Run `script --stage <stage> --file <path> …` alone, so its peak memory is its own; the
    stage prints its figures as the last line, in JSON."""
    output = subprocess.run(
        [sys.executable, script, "--stage", stage, "--file", str(path), *extra],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])
