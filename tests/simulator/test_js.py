"""The page script's live figures match the server's rules (run under node when installed)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NODE = shutil.which("node")


def _run(mode: str) -> list[str]:
    if NODE is None:
        pytest.skip("node is not installed")
    done = subprocess.run(
        [
            NODE,
            str(Path(__file__).with_name("js_harness.js")),
            mode,
            str(ROOT / "static/js/simulator.js"),
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return done.stdout.splitlines()


def test_tax_mode_live_figures():
    moved, toggled, cents = _run("tax")
    # the slider moves the number field, the totals, the bar and the household impact
    assert moved == (
        "400000 €1,100,000 | +€100,000 | +€2.00 | Total €1,100,000. Change +€100,000. "
        "Household +€2.00. | Δ +€100,000 210.0"
    )
    # the on/off box adds its cost; a fraction of a cent is not an amount (kept as it was)
    assert toggled == "700000 €1,200,000 | Total €1,200,000. Change +€200,000. Household +€4.00."
    # exact cents: 99,999.99 × 0.00002 = 1.9999998 → +€2.00
    assert cents.endswith("Change +€99,999.99. Household +€2.00. | +€2.00")


def test_balance_mode_live_figures():
    moved, _toggled, _cents = _run("balance")
    assert "Over by €100,000." in moved and "Household" not in moved
