"""Lay the assembled data out as one :class:`~portal.exports.documents.model.Document`.

Every sentence of the document is written here, translated with flask_babel, so the five
formats say the same thing. Numbers, money and dates are formatted for the current locale.
"""

from __future__ import annotations

from decimal import Decimal

from flask_babel import (
    format_currency,
    format_date,
    format_decimal,
    format_percent,
    get_locale,
    ngettext,
)
from flask_babel import gettext as _

from portal.exports import charts
from portal.exports.assemble import NO_THEME, Theme, VisionData
from portal.exports.documents import mdblocks
from portal.exports.documents.model import (
    BulletList,
    ContentsEntry,
    Cover,
    Document,
    Figure,
    Figures,
    Heading,
    MarkdownText,
    Paragraph,
    Run,
    Table,
)

MAX_CHART_BARS = 15


def status_label(status: str) -> str:
    labels = {
        "published": _("Waiting for an answer"),
        "under_review": _("Under review"),
        "accepted": _("Accepted"),
        "rejected": _("Rejected"),
        "implemented": _("Implemented"),
        "merged": _("Merged into another idea"),
        "withdrawn": _("Withdrawn by the author"),
    }
    return labels.get(status, status)


def phase_label(kind: str) -> str:
    from portal.consultations.phases import PHASE_LABELS

    return str(PHASE_LABELS.get(kind, kind))


def reason_label(reason: str) -> str:
    labels = {
        "spam": _("Spam or advertising"),
        "offensive": _("Offensive, hateful or threatening"),
        "personal_data": _("Shares someone's personal data"),
        "off_topic": _("Off topic"),
        "other": _("Other"),
        "reports": _("Reported by several people"),
        "blocked": _("The author's account was blocked"),
        "premoderation": _("Held by pre-moderation"),
    }
    return labels.get(reason, reason)


def kind_label(kind: str) -> str:
    labels = {
        "knapsack": _("choose projects up to the budget"),
        "approval": _("choose the projects you approve"),
        "cumulative": _("share out points"),
        "ranked": _("rank your favourite projects"),
    }
    return labels.get(kind, kind)


def rule_label(rule: str) -> str:
    if rule.startswith("mes_"):
        return _(
            "Method of Equal Shares: the budget is split equally between voters and a project "
            "is funded when its supporters can pay for it together (proportional)"
        )
    if rule.startswith("greedy_votes") or rule.startswith("greedy_points"):
        return _(
            "Greedy by votes: projects are funded from the most voted down, skipping those "
            "that no longer fit the budget"
        )
    if rule.startswith("greedy_score"):
        return _("Greedy by score: projects are funded from the highest score down")
    if rule.startswith("greedy_"):
        return _("Greedy by value for money: projects are funded by support per cost")
    return rule


def scope_label(scope: str) -> str:
    labels = {
        "own_district": _("residents vote in their own district's budget"),
        "any_one": _("residents vote in one budget of their choice"),
        "all": _("residents may vote in every budget"),
    }
    return labels.get(scope, scope)


def labels() -> dict[str, str]:
    """Words the writers need around the content."""
    return {
        "contents": _("Contents"),
        "page": _("Page"),
        "yes": _("Yes"),
        "no": _("No"),
        "chart_data": _("Data of the chart"),
        "generated": _("Generated"),
    }


class _Builder:
    def __init__(self, data: VisionData) -> None:
        self.data = data
        self.blocks: list = []
        self.contents: list[ContentsEntry] = []

    # --- small helpers ---

    def num(self, value: int | float | Decimal | None) -> str:
        return "–" if value is None else format_decimal(value)

    def money(self, minor: int, currency: str) -> str:
        return format_currency(
            Decimal(minor) / 100, currency, format="¤#,##0", currency_digits=False
        )

    def amount(self, value: Decimal | None, currency: str) -> str:
        if value is None:
            return "–"
        return format_currency(value, currency, format="¤#,##0", currency_digits=False)

    def pct(self, value: float | Decimal | None) -> str:
        return "–" if value is None else format_percent(float(value))

    def date(self, value) -> str:
        return format_date(value, "medium") if value else ""

    def yes_no(self, value: bool | None) -> str:
        if value is None:
            return "–"
        return _("Yes") if value else _("No")

    def chapter(self, text: str, anchor: str) -> None:
        self.blocks.append(Heading(1, text, anchor, new_page=True))
        self.contents.append(ContentsEntry(1, text, anchor))

    def section(self, text: str, anchor: str = "") -> None:
        self.blocks.append(Heading(2, text, anchor))

    def sub(self, text: str) -> None:
        self.blocks.append(Heading(3, text))

    def para(self, text: str, style: str = "normal") -> None:
        self.blocks.append(Paragraph.of(text, style))

    def note(self, text: str) -> None:
        self.para(text, "note")

    def chart_with_table(self, chart: charts.Chart, headers: list[str], rows, numeric) -> None:
        if chart.empty:
            self.note(_("No data yet for this chart."))
            return
        self.blocks.append(Figure(chart))
        self.blocks.append(Table(chart.title, headers, rows, numeric))

    # --- chapters ---

    def build(self) -> Document:
        data = self.data
        if data.introduction.strip():
            self.chapter(_("Introduction"), "introduction")
            self.blocks.append(MarkdownText(data.introduction, mdblocks.parse(data.introduction)))
        if data.vision.strip():
            self.chapter(_("Vision statement"), "vision")
            self.blocks.append(MarkdownText(data.vision, mdblocks.parse(data.vision)))
        self.participation()
        for theme in data.themes:
            self.theme(theme)
        if not data.themes:
            self.chapter(_("Themes"), "themes")
            self.note(_("No theme was selected for this document."))
        self.budgets()
        self.accountability()
        self.methodology()
        cover = Cover(
            title=data.title,
            subtitle=data.consultation_title if data.title != data.consultation_title else "",
            date=self.date(data.generated_at),
            url=data.url,
            note=_(
                "Built from the public contributions to the consultation. Hidden content is "
                "left out; figures were counted on %(date)s.",
                date=self.date(data.generated_at),
            ),
        )
        return Document(
            title=cover.title,
            language=str(get_locale() or "en"),
            cover=cover,
            contents_title=_("Contents"),
            contents=self.contents,
            blocks=self.blocks,
            labels=labels(),
        )

    def participation(self) -> None:
        data, p = self.data, self.data.participation
        self.chapter(_("Participation in numbers"), "participation")
        figures = [
            (_("Participants"), self.num(p.participants)),
            (_("Ideas"), self.num(p.ideas)),
            (_("Comments"), self.num(p.comments)),
            (_("Supports"), self.num(p.supports)),
        ]
        if p.ballots is not None:
            figures.append((_("Ballots"), self.num(p.ballots)))
        if p.simulator_responses is not None:
            figures.append((_("Simulator responses"), self.num(p.simulator_responses)))
        self.blocks.append(Figures(figures))
        self.note(
            _(
                "Participants are the people who proposed, commented, supported, voted or "
                "answered a simulator at least once."
            )
        )
        if not data.supports_visible:
            self.note(_("Support counts stay hidden while the support phase is open."))

        self.section(_("Activity per week"), "activity")
        series = [
            charts.Series(_("Ideas"), [w.ideas for w in p.weeks]),
            charts.Series(_("Comments"), [w.comments for w in p.weeks]),
        ]
        if data.supports_visible:
            series.append(charts.Series(_("Supports"), [w.supports for w in p.weeks]))
        week_labels = [format_date(w.week, "d MMM") for w in p.weeks]
        chart = charts.Chart(
            "activity",
            "columns",
            _("New ideas, comments and supports per week"),
            _("Columns per week starting on Monday; the table below gives the same numbers."),
            week_labels,
            series,
        )
        rows = [
            [self.date(w.week), self.num(w.ideas), self.num(w.comments)]
            + ([self.num(w.supports)] if data.supports_visible else [])
            for w in p.weeks
        ]
        headers = [_("Week of"), _("Ideas"), _("Comments")]
        if data.supports_visible:
            headers.append(_("Supports"))
        self.chart_with_table(chart, headers, rows, set(range(1, len(headers))))

        self.section(_("Participation by district"), "districts")
        if not p.districts:
            self.note(_("This consultation has no districts."))
            return
        names = [d.name or _("No district") for d in p.districts]
        bar_series = [charts.Series(_("Ideas"), [d.ideas for d in p.districts])]
        bar_series.append(charts.Series(_("Verified residents"), [d.verified for d in p.districts]))
        chart = charts.Chart(
            "districts",
            "bars",
            _("Ideas and verified residents by district"),
            _("One group of bars per district; the table below gives the same numbers."),
            names,
            bar_series,
        )
        rows = [
            [name, self.num(d.ideas), self.num(d.supports), self.num(d.verified)]
            for name, d in zip(names, p.districts, strict=True)
        ]
        headers = [_("District"), _("Ideas"), _("Supports"), _("Verified residents")]
        self.chart_with_table(chart, headers, rows, {1, 2, 3})

    def theme(self, theme: Theme) -> None:
        name = theme.name if theme.id != NO_THEME else _("Ideas without a theme")
        self.chapter(name, f"theme-{theme.id}")
        if theme.description:
            self.blocks.append(MarkdownText(theme.description, mdblocks.parse(theme.description)))
        summary = ngettext("%(n)s idea", "%(n)s ideas", theme.ideas, n=self.num(theme.ideas))
        parts = [summary]
        if self.data.supports_visible:
            parts.append(
                ngettext(
                    "%(n)s support",
                    "%(n)s supports",
                    theme.supports or 0,
                    n=self.num(theme.supports),
                )
            )
        parts.append(
            ngettext("%(n)s comment", "%(n)s comments", theme.comments, n=self.num(theme.comments))
        )
        parts.append(_("%(answered)s with an official answer", answered=self.num(theme.answered)))
        self.para(" · ".join(parts), "lead")
        if theme.statuses:
            self.para(
                "; ".join(
                    f"{status_label(status)}: {self.num(n)}"
                    for status, n in sorted(theme.statuses.items(), key=lambda kv: -kv[1])
                ),
                "note",
            )

        self.section(_("Featured ideas"))
        if not theme.featured:
            self.note(_("No idea is featured in this theme."))
        for item in theme.featured:
            self.blocks.append(Paragraph([Run(item.title, bold=True, href=item.url)]))
            facts = []
            if item.supports is not None:
                facts.append(
                    ngettext(
                        "%(n)s support", "%(n)s supports", item.supports, n=self.num(item.supports)
                    )
                )
            facts.append(
                ngettext(
                    "%(n)s comment", "%(n)s comments", item.comments, n=self.num(item.comments)
                )
            )
            facts.append(status_label(item.status))
            if item.district:
                facts.append(item.district)
            self.para(" · ".join(facts), "note")
            if item.summary:
                self.para(item.summary)

        self.section(_("The strongest arguments"))
        for stance, title in (("for", _("For")), ("against", _("Against"))):
            self.sub(title)
            found = theme.arguments.get(stance, [])
            if not found:
                self.note(_("No up-voted argument yet."))
                continue
            items = []
            for argument in found:
                items.append(
                    [
                        Run(f"“{argument.text}”"),
                        Run(" — "),
                        Run(argument.idea_title, italic=True, href=argument.idea_url),
                        Run(
                            " ("
                            + ngettext(
                                "%(n)s up-vote",
                                "%(n)s up-votes",
                                argument.up,
                                n=self.num(argument.up),
                            )
                            + ")"
                        ),
                    ]
                )
            self.blocks.append(BulletList(items))

        self.section(_("Official responses"))
        if not self.data.accountability.available:
            self.note(_("Official responses are not available in this portal yet."))
        elif not theme.responses:
            self.note(_("No idea of this theme has an official response yet."))
        else:
            items = []
            for response in theme.responses:
                run = [
                    Run(response.idea_title, bold=True, href=response.idea_url),
                    Run(f" — {status_label(response.status)} ({self.date(response.date)})"),
                ]
                if response.reason:
                    run.append(Run(f": {response.reason}", italic=True))
                if response.text:
                    run.append(Run(f" {response.text}"))
                items.append(run)
            self.blocks.append(BulletList(items))

    def budgets(self) -> None:
        data = self.data
        self.chapter(_("Budget results"), "budgets")
        if not data.budgets_available:
            self.note(_("Participatory budgets are not available in this portal yet."))
        elif not data.budgets:
            self.note(_("There is no budget in this consultation."))
        for budget in data.budgets:
            self.section(budget.title, f"budget-{budget.id}")
            facts = [
                (_("Budget"), self.money(budget.total, budget.currency)),
                (_("Ballots"), self.num(budget.ballots)),
            ]
            if budget.district:
                facts.append((_("District"), budget.district))
            if budget.published and not budget.error:
                facts.append((_("Spent"), self.money(budget.spent, budget.currency)))
                facts.append((_("Funded projects"), self.num(len(budget.funded))))
            self.blocks.append(Figures(facts))
            self.para(
                _(
                    "Ballot: %(kind)s. Rule used: %(rule)s.",
                    kind=kind_label(budget.ballot_kind),
                    rule=rule_label(budget.rule),
                )
            )
            if budget.error:
                self.note(_("The results could not be computed: %(error)s", error=budget.error))
            if not budget.published:
                self.note(
                    _("The results of this budget are not published yet: vote counts are left out.")
                )
                rows = [
                    [Run(p.title, href=p.url or None), self.money(p.cost, budget.currency)]
                    for p in budget.projects
                ]
                if rows:
                    self.blocks.append(
                        Table(_("Projects on the ballot"), [_("Project"), _("Cost")], rows, {1})
                    )
                continue
            if not budget.projects:
                self.note(_("No project was on the ballot."))
                continue
            shown = budget.projects[:MAX_CHART_BARS]
            chart = charts.Chart(
                f"budget-{budget.id}",
                "bars",
                _("Votes per project: %(budget)s", budget=budget.title),
                _("Projects sorted by votes; the table below says which were funded."),
                [p.title for p in shown],
                [charts.Series(_("Votes"), [p.votes or 0 for p in shown])],
            )
            if not chart.empty:
                self.blocks.append(Figure(chart))
            rows = [
                [
                    Run(p.title, href=p.url or None),
                    self.money(p.cost, budget.currency),
                    self.num(p.votes),
                    self.yes_no(p.funded),
                    self.yes_no(p.funded_proportional),
                ]
                for p in budget.projects
            ]
            self.blocks.append(
                Table(
                    _("Projects, votes and outcome"),
                    [_("Project"), _("Cost"), _("Votes"), _("Funded"), _("With the other rule")],
                    rows,
                    {1, 2},
                )
            )
            self.sub(_("What a proportional rule would change"))
            self.para(_("Compared with: %(rule)s.", rule=rule_label(budget.proportional_rule)))
            gained, lost = budget.gained_proportional, budget.lost_proportional
            if not gained and not lost:
                self.para(_("The other rule funds exactly the same projects."))
            if gained:
                self.para(_("It would also fund:"))
                self.blocks.append(BulletList([[Run(p.title, href=p.url or None)] for p in gained]))
            if lost:
                self.para(_("It would not fund:"))
                self.blocks.append(BulletList([[Run(p.title, href=p.url or None)] for p in lost]))

        self.section(_("Budget simulator"), "simulator")
        if not data.simulators_available:
            self.note(_("The budget simulator is not available in this portal yet."))
            return
        if not data.simulators:
            self.note(_("There is no budget simulator in this consultation."))
        for simulator in data.simulators:
            self.sub(simulator.title)
            if not simulator.published:
                self.note(_("The simulator's results are not published yet."))
                continue
            self.para(
                ngettext(
                    "%(n)s response",
                    "%(n)s responses",
                    simulator.responses,
                    n=self.num(simulator.responses),
                )
            )
            if not simulator.lines or not simulator.responses:
                continue
            chart = charts.Chart(
                f"simulator-{simulator.id}",
                "bars",
                _("Current amount and residents' median: %(title)s", title=simulator.title),
                _("Two bars per line: today's amount and the median of the responses."),
                [line.name for line in simulator.lines][:MAX_CHART_BARS],
                [
                    charts.Series(
                        _("Current"),
                        [float(line.current) for line in simulator.lines][:MAX_CHART_BARS],
                    ),
                    charts.Series(
                        _("Median"),
                        [float(line.median or 0) for line in simulator.lines][:MAX_CHART_BARS],
                    ),
                ],
            )
            rows = [
                [
                    line.name,
                    self.amount(line.current, simulator.currency),
                    self.amount(line.mean, simulator.currency),
                    self.amount(line.median, simulator.currency),
                    self.pct(line.raised_share),
                    self.pct(line.kept_share),
                    self.pct(line.cut_share),
                ]
                for line in simulator.lines
            ]
            headers = [
                _("Line"),
                _("Current"),
                _("Mean"),
                _("Median"),
                _("Raised"),
                _("Kept"),
                _("Cut"),
            ]
            self.chart_with_table(chart, headers, rows, {1, 2, 3, 4, 5, 6})

    def accountability(self) -> None:
        acc = self.data.accountability
        self.chapter(_("Accountability"), "accountability")
        self.section(_("Where the ideas stand"))
        if acc.statuses:
            ordered = sorted(acc.statuses.items(), key=lambda kv: -kv[1])
            chart = charts.Chart(
                "statuses",
                "bars",
                _("Ideas by status"),
                _("One bar per status; the table below gives the same numbers."),
                [status_label(s) for s, _n in ordered],
                [charts.Series(_("Ideas"), [n for _s, n in ordered])],
            )
            rows = [[status_label(s), self.num(n)] for s, n in ordered]
            self.chart_with_table(chart, [_("Status"), _("Ideas")], rows, {1})
        else:
            self.note(_("No idea yet."))
        self.section(_("Response times"))
        if not acc.available:
            self.note(_("Official responses are not available in this portal yet."))
            return
        windows = sorted({days for row in acc.times for days in row.within})
        headers = [_("Theme"), _("Ideas"), _("Answered"), _("Median days to an answer")]
        headers += [_("Within %(days)s days", days=days) for days in windows]
        rows = [
            [
                row.label,
                self.num(row.ideas),
                self.num(row.answered),
                self.num(row.median_days),
                *[self.pct(row.within.get(days)) for days in windows],
            ]
            for row in acc.times
        ]
        self.blocks.append(
            Table(
                _("How fast ideas got a first official answer"),
                headers,
                rows,
                set(range(1, len(headers))),
            )
        )
        self.para(
            ngettext(
                "%(n)s idea is still waiting for an answer.",
                "%(n)s ideas are still waiting for an answer.",
                acc.waiting,
                n=self.num(acc.waiting),
            )
        )

    def methodology(self) -> None:
        m = self.data.methodology
        self.chapter(_("Methodology"), "methodology")
        self.section(_("Phases and dates"))
        if m.phases:
            rows = [
                [
                    phase_label(p.kind),
                    self.date(p.starts_at),
                    self.date(p.ends_at) or _("no end date"),
                ]
                for p in m.phases
            ]
            self.blocks.append(Table(_("Phases"), [_("Phase"), _("From"), _("To")], rows))
        else:
            self.note(_("No phase was set."))
        self.section(_("Who could take part"))
        who = [
            [Run(_("Anyone with an account could propose ideas and comment."))],
            [
                Run(
                    _("Supporting and voting were for residents verified with a one-time code.")
                    if m.require_verification
                    else _("Supporting and voting were open to every account.")
                )
            ],
            [Run(_("Budgets: %(scope)s.", scope=scope_label(m.voting_scope)))],
        ]
        if m.support_limit:
            who.append([Run(_("Each person could support up to %(n)s ideas.", n=m.support_limit))])
        if m.support_threshold:
            who.append([Run(_("An idea qualified with %(n)s supports.", n=m.support_threshold))])
        if m.districts:
            who.append([Run(_("Districts: %(names)s.", names=", ".join(m.districts)))])
        self.blocks.append(BulletList(who))
        self.section(_("Voting rule"))
        if m.rules:
            self.blocks.append(
                BulletList(
                    [
                        [Run(title, bold=True), Run(f": {kind_label(kind)}; {rule_label(rule)}.")]
                        for title, kind, rule in m.rules
                    ]
                )
            )
        else:
            self.note(_("There is no budget in this consultation."))
        self.section(_("Moderation"))
        if m.hidden:
            rows = [
                [
                    reason_label(reason),
                    self.num(kinds.get("idea", 0)),
                    self.num(kinds.get("comment", 0)),
                    self.num(kinds.get("project", 0)),
                ]
                for reason, kinds in sorted(m.hidden.items())
            ]
            self.blocks.append(
                Table(
                    _("Items hidden by moderation, per reason"),
                    [_("Reason"), _("Ideas"), _("Comments"), _("Projects")],
                    rows,
                    {1, 2, 3},
                )
            )
        else:
            self.para(_("No item was hidden by moderation."))
        if m.pending:
            self.para(
                ngettext(
                    "%(n)s item was waiting for review and is left out.",
                    "%(n)s items were waiting for review and are left out.",
                    m.pending,
                    n=self.num(m.pending),
                )
            )
        self.section(_("Data appendix"), "data")
        self.para(
            _(
                "The data behind this document is open: ideas, comments with anonymised "
                "authors, aggregated supports, budget projects and results, simulator "
                "aggregates, official responses and moderation counts."
            )
        )
        links = [
            (_("CSV files with a Frictionless data package (ZIP)"), m.open_data.get("zip")),
            (_("JSON"), m.open_data.get("json")),
            (_("Spreadsheet (XLSX)"), m.open_data.get("xlsx")),
            (_("Open data page"), m.open_data.get("page")),
            (_("JSON API"), m.open_data.get("api")),
        ]
        self.blocks.append(
            BulletList(
                [
                    [Run(label, bold=True), Run(": "), Run(url, href=url)]
                    for label, url in links
                    if url
                ]
            )
        )


def build(data: VisionData) -> Document:
    """The document for ``data`` (call inside an app context: texts are translated)."""
    return _Builder(data).build()
