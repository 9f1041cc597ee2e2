"""A server-rendered SVG chart of votes against cost (no script, no inline style)."""

from __future__ import annotations

from typing import Any

from flask_babel import format_currency

from portal.budgets.models import Budget, Project

WIDTH, HEIGHT = 640, 360
LEFT, RIGHT, TOP, BOTTOM = 70, 50, 20, 50


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def votes_cost_chart(
    budget: Budget, projects: list[Project], data: dict[str, Any], selected: set[str]
) -> dict[str, Any]:
    """Coordinates for templates/budgets/_chart.html: one mark per project, ticks, axes."""
    votes = data["votes"]
    max_cost = _nice_max(max((p.cost for p in projects), default=0) / 100)
    max_votes = _nice_max(max((votes.get(p.ref, 0) for p in projects), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    points = []
    for project in projects:
        cost = project.cost / 100
        n = votes.get(project.ref, 0)
        points.append(
            {
                "ref": project.ref,
                "title": project.title,
                "x": round(LEFT + plot_w * cost / max_cost, 1),
                "y": round(TOP + plot_h * (1 - n / max_votes), 1),
                "votes": n,
                "cost": project.cost,
                "funded": project.ref in selected,
            }
        )
    x_ticks = [
        {
            "x": round(LEFT + plot_w * i / 4, 1),
            "label": format_currency(
                int(max_cost * i / 4), budget.currency, format="¤#,##0", currency_digits=False
            ),
        }
        for i in range(5)
    ]
    y_ticks = [
        {"y": round(TOP + plot_h * (1 - i / 4), 1), "value": round(max_votes * i / 4)}
        for i in range(5)
    ]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "top": TOP,
        "bottom": HEIGHT - BOTTOM,
        "right": WIDTH - RIGHT,
        "points": points,
        "x_ticks": x_ticks,
        "y_ticks": y_ticks,
        "currency": budget.currency,
    }
