"""Simulator pages: the resident's page (works without JavaScript), the results, the exports
and the planners' set-up."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select

from portal.consultations.models import Consultation
from portal.core.errors import NotFound, PortalError
from portal.core.forms import choices
from portal.core.permissions import LOGIN, PUBLIC, access
from portal.extensions import db, limiter
from portal.simulator import charts, exporting, rules, services
from portal.simulator.forms import EmptyForm, LineForm, SimulatorForm
from portal.simulator.messages import money, signed_money
from portal.simulator.models import Simulator, SimulatorLine

bp = Blueprint("simulator", __name__)
PLANNER = "planner"


def _posting_limit() -> str:
    return current_app.config["RATELIMIT_POSTING"]


# --- helpers ---------------------------------------------------------------------------------


@bp.context_processor
def _helpers() -> dict[str, Any]:
    def consultation_url(consultation: Consultation) -> str | None:
        """The consultation's page, once the consultations capability serves one."""
        if "consultations.show" not in current_app.view_functions:
            return None
        return consultation.url()

    return {"consultation_url": consultation_url}


def plain(minor: int, exponent: int) -> str:
    """An amount for an input's value/min/max/step: major units, no needless decimals."""
    value = rules.to_major(minor, exponent)
    return str(int(value)) if value == value.to_integral_value() else str(value)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="simulator-started")


def _started_token(simulator: Simulator) -> str:
    return _serializer().dumps(simulator.id)


def _started_at(simulator: Simulator):
    """When the person opened the page (from the signed mark in the form), or None."""
    token = request.form.get("started", "")
    try:
        sim_id, stamp = _serializer().loads(token, max_age=30 * 86400, return_timestamp=True)
    except BadSignature:
        return None
    if sim_id != simulator.id:
        return None
    return stamp.astimezone(UTC).replace(tzinfo=None)


def _form_choices(simulator: Simulator) -> tuple[dict[str, Any], dict[int, str], str]:
    """Read the resident's form: amounts (slider or number field, whichever was changed),
    on/off boxes and comments."""
    raw: dict[str, Any] = {}
    comments: dict[int, str] = {}
    form = request.form
    for line in simulator.lines:
        key = str(line.id)
        if line.is_toggle:
            if f"present-{key}" in form or f"line-{key}" in form:
                raw[key] = form.get(f"line-{key}") == "on"
        else:
            number = form.get(f"line-{key}")
            slider = form.get(f"range-{key}")
            shown = form.get(f"shown-{key}")
            if slider is not None and slider != shown and (number is None or number == shown):
                number = slider
            if number is not None:
                raw[key] = number
        text = form.get(f"comment-{key}")
        if text is not None:
            comments[line.id] = text
    return raw, comments, form.get("comment", "")


def _line_errors(described) -> tuple[dict[int, list[str]], list[str]]:
    per_line: dict[int, list[str]] = {}
    general: list[str] = []
    for violation, message in described:
        if violation.line_id is not None and violation.code != rules.UNKNOWN_LINE:
            per_line.setdefault(violation.line_id, []).append(message)
        else:
            general.append(message)
    return per_line, general


def _render_resident(
    simulator: Simulator,
    amounts: dict[int, int],
    comments: dict[int, str],
    comment: str,
    described=(),
    error: str | None = None,
    status: int = 200,
    recalculated: bool = False,
):
    response = services.response_of(simulator, current_user)
    definition = simulator.rule()
    summary = rules.summarize(definition, amounts)
    exponent, currency = simulator.exponent, simulator.currency
    line_errors, general_errors = _line_errors(described)
    rows = [
        (
            line.id,
            line.name,
            rules.to_major(line.current_amount, exponent),
            rules.to_major(amounts.get(line.id, line.current_amount), exponent),
            money(line.current_amount, currency, exponent),
            money(amounts.get(line.id, line.current_amount), currency, exponent),
        )
        for line in simulator.lines
    ]
    chart = charts.comparison(
        "sim-mine",
        _("Current budget and yours"),
        _("For each line, the current amount (outlined bar) and your amount (filled bar)."),
        rows,
        _("Current"),
        _("Yours"),
    )
    phase_message = services.phase_message(simulator)
    signed_in = current_user.is_authenticated
    html = render_template(
        "simulator/show.html",
        simulator=simulator,
        amounts=amounts,
        comments=comments,
        comment=comment,
        summary=summary,
        rows=rows,
        chart=chart,
        line_errors=line_errors,
        general_errors=general_errors,
        error=error,
        response=response,
        phase_message=phase_message,
        may_respond=signed_in and services.may_respond(current_user, simulator),
        started=_started_token(simulator) if signed_in and response is None else "",
        plain=plain,
        money=lambda minor: money(minor, currency, exponent),
        signed_money=lambda minor, cents=False: signed_money(minor, currency, exponent, cents),
        can_see_results=services.can_see_results(current_user, simulator),
        is_planner=services.is_planner(current_user),
        recalculated=recalculated,
    )
    return html, status


def _load(simulator_id: int) -> Simulator:
    return services.get_simulator(simulator_id, current_user)


# --- residents -------------------------------------------------------------------------------


@bp.route("/simulators")
@access(PUBLIC)
def index():
    simulators = services.visible_simulators(current_user)
    return render_template(
        "simulator/index.html",
        simulators=simulators,
        phase=services.phase,
        is_planner=services.is_planner(current_user),
    )


@bp.route("/simulators/<int:simulator_id>")
@access(PUBLIC)
def show(simulator_id: int):
    simulator = _load(simulator_id)
    response = services.response_of(simulator, current_user)
    if response is not None:
        amounts = response.amounts()
        for line in simulator.lines:
            amounts.setdefault(line.id, line.current_amount)
        return _render_resident(simulator, amounts, response.comments(), response.comment)
    amounts = {line.id: line.current_amount for line in simulator.lines}
    return _render_resident(simulator, amounts, {}, "")


@bp.route("/simulators/<int:simulator_id>/recalculate", methods=["POST"])
@access(PUBLIC)
def recalculate(simulator_id: int):
    """The "Recalculate" button without JavaScript: the page again, with totals and problems."""
    simulator = _load(simulator_id)
    raw, comments, comment = _form_choices(simulator)
    amounts, described = services.preview(simulator, raw)
    return _render_resident(simulator, amounts, comments, comment, described, recalculated=True)


@bp.route("/simulators/<int:simulator_id>/response", methods=["POST"])
@access(LOGIN)
@limiter.limit(_posting_limit, methods=["POST"])
def save(simulator_id: int):
    simulator = _load(simulator_id)
    raw, comments, comment = _form_choices(simulator)
    submit = request.form.get("action") != "draft"
    try:
        response, _created = services.save_response(
            current_user,
            simulator,
            raw,
            comments=comments,
            comment=comment,
            submit=submit,
            started_at=_started_at(simulator),
        )
    except services.ResponseRejected as rejected:
        db.session.rollback()
        amounts, _d = services.preview(simulator, raw)
        return _render_resident(
            simulator, amounts, comments, comment, rejected.described, status=422
        )
    except PortalError as error:
        db.session.rollback()
        amounts, described = services.preview(simulator, raw)
        return _render_resident(
            simulator,
            amounts,
            comments,
            comment,
            described,
            error=error.message,
            status=error.status,
        )
    db.session.commit()
    if submit:
        flash(
            _(
                "Thank you: your budget is submitted. "
                "You can change it while the simulator is open."
            ),
            "success",
        )
    else:
        flash(_("Your draft is saved. Submit it when you are ready."), "success")
    return redirect(url_for("simulator.show", simulator_id=simulator.id), 303)


# --- results ---------------------------------------------------------------------------------


def _results_simulator(simulator_id: int) -> Simulator:
    simulator = _load(simulator_id)
    if not services.can_see_results(current_user, simulator):
        raise services.ResultsNotPublished()
    return simulator


def result_charts(simulator: Simulator, data: dict[str, Any]) -> dict[str, Any]:
    exponent, currency = simulator.exponent, simulator.currency

    def fmt(value):
        return "–" if value is None else money(value, currency, exponent)

    overview = charts.comparison(
        "sim-overview",
        _("Current amount and residents' average per line"),
        _(
            "For each line, the current amount (outlined bar) and the mean chosen amount "
            "(filled bar). The table below gives the numbers."
        ),
        [
            (
                line["id"],
                line["name"],
                line["current"],
                line["mean"] or 0,
                fmt(line["current"]),
                fmt(line["mean"]),
            )
            for line in data["lines"]
        ],
        _("Current"),
        _("Residents' mean"),
    )
    labels = (_("raised"), _("kept"), _("cut"))
    moves = charts.movement(
        "sim-movement",
        _("Share of residents who raised, kept or cut each line"),
        _("One bar per line split into raised (▲), kept (=) and cut (▼)."),
        [
            (line["name"], line["raised_share"], line["kept_share"], line["cut_share"])
            for line in data["lines"]
        ],
        labels,
    )
    per_line = {}
    for line in data["lines"]:
        bins, marker = charts.bin_amounts(
            [(a["amount"], a["count"]) for a in line["amounts"]], line["current"]
        )
        bars = [
            (fmt(low) if low == high else f"{fmt(low)} – {fmt(high)}", count)
            for low, high, count in bins
        ]
        per_line[line["id"]] = (
            charts.columns(
                f"sim-line-{line['id']}",
                _("Amounts chosen for %(name)s", name=line["name"]),
                _(
                    "How many residents chose each amount; "
                    "◆ marks the current amount (%(current)s).",
                    current=fmt(line["current"]),
                ),
                bars,
                marker,
            ),
            bars,
        )
    days = charts.columns(
        "sim-days",
        _("Responses per day"),
        _("Number of responses submitted each day."),
        [(day["date"], day["count"]) for day in data["per_day"]],
    )
    return {"overview": overview, "movement": moves, "per_line": per_line, "days": days}


@bp.route("/simulators/<int:simulator_id>/results")
@access(PUBLIC)
def results(simulator_id: int):
    simulator = _results_simulator(simulator_id)
    show_comments = services.can_see_comments(current_user, simulator)
    data = services.aggregate(simulator, include_comments=show_comments)
    exponent, currency = simulator.exponent, simulator.currency
    return render_template(
        "simulator/results.html",
        simulator=simulator,
        data=data,
        charts=result_charts(simulator, data),
        show_comments=show_comments,
        is_planner=services.is_planner(current_user),
        fmt=lambda value: "–" if value is None else money(value, currency, exponent),
        signed=lambda value: (
            "–" if value is None else signed_money(value, currency, exponent, True)
        ),
        percent=lambda share: f"{float(share) * 100:.1f}%",
    )


def _download(body: str | bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.route("/simulators/<int:simulator_id>/results.csv")
@access(PUBLIC)
def results_csv(simulator_id: int):
    simulator = _results_simulator(simulator_id)
    data = services.aggregate(simulator, include_comments=False)
    return _download(
        exporting.to_csv(data), "text/csv; charset=utf-8", f"simulator-{simulator.id}-results.csv"
    )


@bp.route("/simulators/<int:simulator_id>/results.xlsx")
@access(PUBLIC)
def results_xlsx(simulator_id: int):
    simulator = _results_simulator(simulator_id)
    data = services.aggregate(simulator, include_comments=False)
    comments = (
        services.all_comments(simulator)
        if services.can_see_comments(current_user, simulator)
        else None
    )
    return _download(
        exporting.to_xlsx(data, comments),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"simulator-{simulator.id}-results.xlsx",
    )


@bp.route("/simulators/<int:simulator_id>/comments.csv")
@access(PLANNER)
def comments_csv(simulator_id: int):
    simulator = _load(simulator_id)
    return _download(
        exporting.comments_csv(services.all_comments(simulator)),
        "text/csv; charset=utf-8",
        f"simulator-{simulator.id}-comments.csv",
    )


# --- set-up by planners ----------------------------------------------------------------------


def _consultation_choices(form: SimulatorForm) -> None:
    rows = db.session.execute(
        select(Consultation.id, Consultation.title).order_by(Consultation.title)
    ).all()
    form.consultation.choices = choices([(cid, title) for cid, title in rows])


@bp.route("/simulators/new", methods=["GET", "POST"])
@access(PLANNER)
@limiter.limit(_posting_limit, methods=["POST"])
def new():
    form = SimulatorForm()
    _consultation_choices(form)
    if request.method == "GET" and request.args.get("consultation"):
        consultation = db.session.scalar(
            select(Consultation).where(Consultation.slug == request.args["consultation"])
        )
        if consultation is None:
            raise NotFound()
        form.consultation.data = str(consultation.id)
    if form.validate_on_submit():
        consultation = db.session.get(Consultation, int(form.consultation.data))
        if consultation is None:
            raise NotFound()
        try:
            simulator = services.create_simulator(current_user, consultation, **form.values())
        except PortalError as error:
            db.session.rollback()
            if not form.apply_error(error):
                flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("The simulator is created. Now add its budget lines."), "success")
            return redirect(url_for("simulator.edit", simulator_id=simulator.id), 303)
    status = 422 if form.errors else 200
    return render_template("simulator/new.html", form=form), status


def _settings_form(simulator: Simulator, formdata=None) -> SimulatorForm:
    exponent = simulator.exponent
    form = SimulatorForm(
        formdata=formdata,
        obj=simulator,
        tolerance=plain(simulator.tolerance, exponent),
    )
    del form.consultation  # a simulator stays in its consultation
    if formdata is None:
        form.tolerance.data = plain(simulator.tolerance, exponent)
    return form


def _line_form(simulator: Simulator, line: SimulatorLine | None = None, formdata=None):
    if line is None:
        return LineForm(formdata=formdata, prefix="line")
    exponent = simulator.exponent
    form = LineForm(formdata=formdata, prefix="line", obj=line)
    if formdata is None:
        for key in ("current_amount", "minimum", "maximum", "step"):
            getattr(form, key).data = plain(getattr(line, key), exponent)
        form.cost.data = plain(line.cost, exponent) if line.is_toggle else ""
        form.included.data = line.is_toggle and line.current_amount > 0
    return form


def _render_edit(simulator, form, line_form, status=200):
    return render_template(
        "simulator/edit.html",
        simulator=simulator,
        form=form,
        line_form=line_form,
        action_form=EmptyForm(),
        locked=services.has_responses(simulator),
        plain=plain,
        money=lambda minor: money(minor, simulator.currency, simulator.exponent),
        phase=services.phase(simulator),
    ), status


@bp.route("/simulators/<int:simulator_id>/edit", methods=["GET", "POST"])
@access(PLANNER)
@limiter.limit(_posting_limit, methods=["POST"])
def edit(simulator_id: int):
    simulator = _load(simulator_id)
    form = _settings_form(simulator, request.form if request.method == "POST" else None)
    if request.method == "POST" and form.validate():
        try:
            values = form.values()
            services.update_simulator(current_user, simulator, **values)
        except PortalError as error:
            db.session.rollback()
            simulator = _load(simulator_id)
            if not form.apply_error(error):
                flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("The settings are saved."), "success")
            return redirect(url_for("simulator.edit", simulator_id=simulator.id), 303)
    status = 422 if form.errors or request.method == "POST" else 200
    return _render_edit(simulator, form, _line_form(simulator), status)


@bp.route("/simulators/<int:simulator_id>/lines", methods=["POST"])
@access(PLANNER)
@limiter.limit(_posting_limit, methods=["POST"])
def add_line(simulator_id: int):
    simulator = _load(simulator_id)
    line_form = _line_form(simulator, formdata=request.form)
    if line_form.validate():
        try:
            services.add_line(current_user, simulator, **line_form.values())
        except PortalError as error:
            db.session.rollback()
            simulator = _load(simulator_id)
            if not line_form.apply_error(error):
                flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("The line is added."), "success")
            return redirect(url_for("simulator.edit", simulator_id=simulator.id) + "#lines", 303)
    return _render_edit(simulator, _settings_form(simulator), line_form, 422)


@bp.route("/simulators/<int:simulator_id>/lines/<int:line_id>/edit", methods=["GET", "POST"])
@access(PLANNER)
@limiter.limit(_posting_limit, methods=["POST"])
def edit_line(simulator_id: int, line_id: int):
    simulator = _load(simulator_id)
    line = services.get_line(simulator, line_id)
    form = _line_form(simulator, line, request.form if request.method == "POST" else None)
    if request.method == "POST" and form.validate():
        try:
            services.update_line(current_user, line, **form.values())
        except PortalError as error:
            db.session.rollback()
            if not form.apply_error(error):
                flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("The line is saved."), "success")
            return redirect(url_for("simulator.edit", simulator_id=simulator.id) + "#lines", 303)
    status = 422 if request.method == "POST" else 200
    return render_template(
        "simulator/line.html", simulator=_load(simulator_id), line_id=line_id, form=form
    ), status


@bp.route("/simulators/<int:simulator_id>/lines/<int:line_id>/delete", methods=["POST"])
@access(PLANNER)
def delete_line(simulator_id: int, line_id: int):
    simulator = _load(simulator_id)
    line = services.get_line(simulator, line_id)
    try:
        services.delete_line(current_user, line)
    except PortalError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("The line is deleted."), "success")
    return redirect(url_for("simulator.edit", simulator_id=simulator_id) + "#lines", 303)


@bp.route("/simulators/<int:simulator_id>/lines/<int:line_id>/move", methods=["POST"])
@access(PLANNER)
def move_line(simulator_id: int, line_id: int):
    simulator = _load(simulator_id)
    line = services.get_line(simulator, line_id)
    services.move_line(current_user, line, request.form.get("direction", ""))
    db.session.commit()
    return redirect(url_for("simulator.edit", simulator_id=simulator_id) + "#lines", 303)
