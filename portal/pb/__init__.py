"""Participatory-budgeting maths and the Pabulib ``.pb`` format (standard library only).

No Flask, no database: the web application, the ``pb`` command and the benchmarks all call
these functions.

* :func:`read_pb` / :func:`write_pb`: read and write ``.pb`` files (:class:`Election`).
* :func:`tally` / :func:`run_rule` / :func:`rule_names`: the rules of FORMAT.md §9.1.
* :func:`explain` / :func:`compare`: why projects were (not) funded; how outcomes differ.
* :func:`validate_ballot`, :func:`ballot_fingerprint`, :func:`election_from_ballots`: the
  portal's own ballots.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Names are imported on first use (PEP 562), so that ``portal pb tally`` loads only the
# reader and the rules, not the explanation and ballot modules.
_EXPORTS = {
    "portal.pb.ballots": (
        "BALLOT_KINDS",
        "ApprovalRules",
        "BallotRuleError",
        "CumulativeRules",
        "KnapsackRules",
        "RankedRules",
        "ballot_fingerprint",
        "election_from_ballots",
        "new_receipt_salt",
        "validate_ballot",
    ),
    "portal.pb.explain": ("compare", "explain", "to_jsonable"),
    "portal.pb.model": ("Ballot", "Election", "Money", "Project"),
    "portal.pb.pabulib": (
        "PabulibError",
        "PabulibWarning",
        "dumps_pb",
        "read_pb",
        "read_pb_text",
        "write_pb",
    ),
    "portal.pb.rules": ("TIE_BREAKINGS", "UnknownRuleError", "rule_names", "run_rule", "tally"),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

if TYPE_CHECKING:
    from portal.pb.ballots import (
        BALLOT_KINDS,
        ApprovalRules,
        BallotRuleError,
        CumulativeRules,
        KnapsackRules,
        RankedRules,
        ballot_fingerprint,
        election_from_ballots,
        new_receipt_salt,
        validate_ballot,
    )
    from portal.pb.explain import compare, explain, to_jsonable
    from portal.pb.model import Ballot, Election, Money, Project
    from portal.pb.pabulib import (
        PabulibError,
        PabulibWarning,
        dumps_pb,
        read_pb,
        read_pb_text,
        write_pb,
    )
    from portal.pb.rules import TIE_BREAKINGS, UnknownRuleError, rule_names, run_rule, tally


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'portal.pb' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "BALLOT_KINDS",
    "TIE_BREAKINGS",
    "ApprovalRules",
    "Ballot",
    "BallotRuleError",
    "CumulativeRules",
    "Election",
    "KnapsackRules",
    "Money",
    "PabulibError",
    "PabulibWarning",
    "Project",
    "RankedRules",
    "UnknownRuleError",
    "ballot_fingerprint",
    "compare",
    "dumps_pb",
    "election_from_ballots",
    "explain",
    "new_receipt_salt",
    "read_pb",
    "read_pb_text",
    "rule_names",
    "run_rule",
    "tally",
    "to_jsonable",
    "validate_ballot",
    "write_pb",
]
