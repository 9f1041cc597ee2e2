"""The results bundle: everything needed to recompute a budget's outcome elsewhere.

A zip with the anonymised Pabulib file, the rule and tie-breaking used, the outcome, the
software version, the list of counted ballot fingerprints and SHA-256 checksums of each file.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from importlib import metadata

from portal.budgets.models import Budget
from portal.budgets.pabulib_io import export_pb
from portal.budgets.results import comparison, fingerprints, outcome

PABUTOOLS_CALLS = {
    "greedy_votes": "greedy_utilitarian_welfare(instance, profile, sat_class=Cost_Sat)",
    "greedy_cost_sat": "greedy_utilitarian_welfare(instance, profile, sat_class=Cost_Sat)",
    "mes_cost_sat": "method_of_equal_shares(instance, profile, sat_class=Cost_Sat)",
    "mes_cost_sat_add1": (
        "method_of_equal_shares(instance, profile, sat_class=Cost_Sat, voter_budget_increment=1)"
    ),
    "mes_cost_sat_add1_greedy": (
        "completion_by_rule_combination(instance, profile, [method_of_equal_shares, "
        'greedy_utilitarian_welfare], [{"sat_class": Cost_Sat, "voter_budget_increment": 1}, '
        '{"sat_class": Cost_Sat}])'
    ),
}


def software_version() -> str:
    try:
        return metadata.version("civic-portal")
    except metadata.PackageNotFoundError:  # running from a source tree that is not installed
        return "unknown"


def _readme(budget: Budget, rule: str, tie_breaking: str, selected: list[str]) -> str:
    call = PABUTOOLS_CALLS.get(rule, f"the rule {rule} (see the portal's FORMAT notes, §9.1)")
    ties = (
        "smallest project id in plain string order (pabutools' lexico_tie_breaking)"
        if tie_breaking == "lexico"
        else "the PROJECTS row order of election.pb"
    )
    return "\n".join(
        [
            f"Results bundle for budget {budget.id}: {budget.title}",
            "",
            "Files",
            "  election.pb    every counted ballot (online, paper, imported), anonymised",
            "  result.json    the rule, the tie-breaking, the funded projects, the comparison",
            "  fingerprints.txt  the fingerprint of every counted ballot, one per line",
            "  SHA256SUMS     checksums of the files above (sha256sum -c SHA256SUMS)",
            "",
            f"Official rule: {rule}",
            f"Ties between projects: {ties}",
            f"Funded project ids: {', '.join(selected) or '(none)'}",
            "",
            "Recompute",
            f"  portal pb tally election.pb --rule {rule} --tie-breaking {tie_breaking}",
            "  pabutools: instance, profile = parse_pabulib('election.pb'); then",
            f"    {call}",
            "  equalshares.net: upload election.pb to the Method of Equal Shares tool.",
            "",
            "Check your ballot",
            "  Your receipt shows a fingerprint; it is listed in fingerprints.txt if your",
            "  ballot was counted. It is the SHA-256 of the compact JSON array",
            '  ["pb-ballot-v1", "<budget id>", "<ballot kind>", <your choices>, "<receipt code>"].',
            "",
        ]
    )


def build_bundle(budget: Budget) -> bytes:
    """The zip's bytes (callers check that results are published)."""
    data = outcome(budget)
    diff = comparison(budget)
    pb_text = export_pb(budget)
    result = {
        "budget": {"id": budget.id, "title": budget.title, "currency": budget.currency},
        "rule": data["rule"],
        "rule_summary": data["summary"],
        "tie_breaking": data["tie_breaking"],
        "selected": data["selected"],
        "num_ballots": data["num_ballots"],
        "votes": data["votes"],
        "compared_with": {
            "rule": diff["b"]["rule"],
            "selected": diff["b"]["selected"],
            "added": diff["added"],
            "removed": diff["removed"],
        },
        "software": {"name": "civic-portal", "version": software_version(), "engine": "portal.pb"},
        "published_at": budget.results_published_at.isoformat()
        if budget.results_published_at
        else None,
    }
    files = {
        "election.pb": pb_text.encode(),
        "result.json": (json.dumps(result, indent=2, ensure_ascii=False) + "\n").encode(),
        "fingerprints.txt": "".join(f"{fp}\n" for fp, _channel in fingerprints(budget)).encode(),
        "README.txt": _readme(
            budget, data["rule"], data["tie_breaking"], data["selected"]
        ).encode(),
    }
    sums = "".join(f"{hashlib.sha256(body).hexdigest()}  {name}\n" for name, body in files.items())
    files["SHA256SUMS"] = sums.encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in files.items():
            info = zipfile.ZipInfo(f"budget-{budget.id}/{name}", date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, body)
    return buffer.getvalue()
