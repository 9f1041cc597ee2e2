"""Offset pagination that reads its page number safely from the query string."""

from __future__ import annotations

from dataclasses import dataclass

from flask import request

MAX_PAGE = 100_000


@dataclass
class Page:
    number: int
    per_page: int
    total: int = 0

    @classmethod
    def from_request(cls, per_page: int = 20, max_per_page: int = 100) -> Page:
        number = request.args.get("page", 1, type=int) or 1
        size = request.args.get("per_page", per_page, type=int) or per_page
        return cls(number=min(max(number, 1), MAX_PAGE), per_page=min(max(size, 1), max_per_page))

    @property
    def limit(self) -> int:
        return self.per_page

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.per_page

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages
