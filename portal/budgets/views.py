"""Budget pages: projects, the ballot and its receipt, results, and the planners' tools."""

from __future__ import annotations

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
from markupsafe import Markup
from sqlalchemy import select

from portal.budgets import ballot_rules, results, services
from portal.budgets.bundle import build_bundle
from portal.budgets.charts import votes_cost_chart
from portal.budgets.forms import (
    BallotActionForm,
    BudgetForm,
    EmptyForm,
    FromIdeaForm,
    PaperCsvForm,
    PaperForm,
    ProjectForm,
    money_text,
)
from portal.budgets.models import Budget
from portal.budgets.pabulib_io import export_pb
from portal.consultations.models import Consultation
from portal.consultations.phases import PHASE_LABELS, is_allowed
from portal.core.errors import NotFound, PortalError
from portal.core.permissions import LOGIN, PUBLIC, access
from portal.extensions import db, limiter
from portal.ops.cache import cached_fragment, rendered_html

bp = Blueprint("budgets", __name__, url_prefix="/budgets")


def _posting_limit() -> str:
    return current_app.config["RATELIMIT_POSTING"]


def money_filter(minor: Any, currency: str = "EUR") -> str:
    if minor is None:
        return ""
    return ballot_rules.money(minor, currency)


def amount_filter(value: Any, currency: str = "EUR") -> str:
    return ballot_rules.amount_money(value, currency)


def consultation_budgets_extra(consultation: Consultation) -> dict[str, Any]:
    """The consultation API lists its budgets."""
    return {
        "budgets": [
            {
                "id": b.id,
                "title": b.title,
                "total": money_text(b.total),
                "currency": b.currency,
                "ballot_kind": b.ballot_kind,
                "url": url_for("api.budget_detail", budget_id=b.id, _external=True),
            }
            for b in services.budgets_for(consultation)
        ]
    }


def _consultation_url(consultation: Consultation) -> str | None:
    if "consultations.show" in current_app.view_functions:
        return url_for("consultations.show", slug=consultation.slug)
    return None


def template_globals() -> dict[str, Any]:
    return {
        "budget_amount": amount_filter,
        "budget_consultation_url": _consultation_url,
        "budget_phase_labels": PHASE_LABELS,
    }


def _budget(budget_id: int) -> Budget:
    return services.get_budget(budget_id, current_user)


def _planner_budget(budget_id: int) -> Budget:
    budget = db.session.get(Budget, budget_id)
    if budget is None:
        raise NotFound(_("There is no budget at this address."))
    return budget


def _fail(form, error: PortalError) -> None:
    db.session.rollback()
    if not form.apply_error(error):
        form.form_errors.append(error.message)


# --- public pages ----------------------------------------------------------------------------


@bp.route("/")
@access(PUBLIC)
def index():
    budgets = services.list_budgets(current_user)
    groups: dict[int, tuple[Consultation, list[Budget]]] = {}
    for budget in budgets:
        groups.setdefault(budget.consultation_id, (budget.consultation, []))[1].append(budget)
    return render_template("budgets/index.html", groups=list(groups.values()))


@bp.route("/<int:budget_id>")
@access(PUBLIC)
def show(budget_id: int):
    budget = _budget(budget_id)
    planner = services.can_manage(current_user)
    signed_in = current_user.is_authenticated
    # Planners' tools list every project (hidden ones too); others need only the cached list.
    projects = services.visible_projects(budget, current_user) if planner else None
    blocker = services.voting_blocker(current_user, budget) if signed_in else None
    voted = services.has_voted(current_user, budget)
    voting_open = is_allowed(budget.consultation, "vote")
    # Only planners' tools post a form from here. A visitor's page still makes it: that puts
    # the CSRF token in the visitor's session, as it always has.
    form = EmptyForm() if planner or not signed_in else None

    def render_projects() -> dict:
        shown = projects if projects is not None else services.visible_projects(budget)
        return {"html": render_template("budgets/_projects.html", budget=budget, projects=shown)}

    def render() -> dict:
        # The same for everyone but planners (who also see hidden projects), per language.
        project_list = cached_fragment(f"budget-projects:{budget.id}:{planner}", render_projects)
        html = render_template(
            "budgets/_show_content.html",
            budget=budget,
            projects=projects or [],
            project_list=rendered_html(project_list["html"]),
            rules=ballot_rules.describe(budget),
            voting_open=voting_open,
            blocker=blocker,
            voted=voted,
            counts=services.ballot_counts(budget) if planner else None,
            frozen=services.rules_frozen(budget) if planner else None,  # planners' tools only
            form=form,
        )
        return {"html": html}

    if planner or blocker is not None:
        content = render()
    else:
        # Everyone else sees the budget, its rules and projects, and at most whether they have
        # voted and whether voting is open: kept per budget, language and those three.
        content = cached_fragment(
            f"budget-page:{budget.id}:{signed_in}:{voted}:{voting_open}", render
        )
    return render_template(
        "budgets/show.html", budget=budget, content=rendered_html(content["html"])
    )


@bp.route("/<int:budget_id>/projects/<int:project_id>")
@access(PUBLIC)
def project(budget_id: int, project_id: int):
    budget = _budget(budget_id)
    item = services.get_project(budget, project_id, current_user)
    return render_template(
        "budgets/project.html",
        budget=budget,
        project=item,
        comments_available="comment_thread" in current_app.jinja_env.globals,
        idea_url=url_for("ideas.show", idea_id=item.idea_id)
        if item.idea_id and "ideas.show" in current_app.view_functions
        else None,
    )


# --- the ballot ------------------------------------------------------------------------------


def _ballot_project_list(
    budget: Budget, chosen: set[int], tally: Any, uses_cost: bool, show_forms: bool
) -> Markup:
    """The ballot's list of projects, kept as a fragment: it depends only on which projects
    the basket holds and (when money counts) what it leaves, so every voter who has chosen
    nothing yet — most of a closing day's voters — gets the same list (and their own CSRF
    token, put in by the fragment cache)."""
    left = tally.left if uses_cost else ""
    picked = ",".join(str(project_id) for project_id in sorted(chosen))
    key = f"ballot-projects:{budget.id}:{picked}:{left}:{show_forms}"

    def render() -> dict:
        projects = [p for p in services.visible_projects(budget) if p.is_votable]
        html = render_template(
            "budgets/_ballot_projects.html",
            budget=budget,
            projects=projects,
            chosen=chosen,
            tally=tally,
            uses_cost=uses_cost,
            show_forms=show_forms,
        )
        return {"html": html}

    return rendered_html(cached_fragment(key, render)["html"])


def _viewer_ballot(budget: Budget) -> tuple[list[ballot_rules.Item], Any, str | None]:
    """What is the viewer's own: their basket, counted ballot (or None) and why they cannot
    vote (or None)."""
    user = current_user._get_current_object()
    items, ballot = services.basket_and_ballot(user, budget)
    return items, ballot, services.voting_blocker(user, budget)


def _ballot_context(
    budget: Budget, items: list[ballot_rules.Item], ballot: Any, blocker: str | None
) -> dict[str, Any]:
    tally = services.evaluate(budget, items, complete=True)
    chosen = {item.project.id for item in items}
    final = ballot is not None and not budget.allow_replace
    uses_cost = ballot_rules.uses_cost(budget)
    return {
        "budget": budget,
        "items": items,
        "tally": tally,
        "chosen": chosen,
        "project_list": _ballot_project_list(
            budget, chosen, tally, uses_cost, show_forms=not final and not blocker
        ),
        "ballot": ballot,
        "rules": ballot_rules.describe(budget),
        "uses_cost": uses_cost,
        "blocker": blocker,
        "final": final,
    }


def _ballot_page(budget: Budget, checkout_error: PortalError | None = None) -> str:
    """The ballot page. Its content is kept as a fragment for a voter who may vote and has
    chosen nothing and voted in no way yet — most of a closing day's voters: for them it
    depends only on the budget (its rules, projects and running total of nothing), the
    language and whether they are a planner (the results link), and carries their own CSRF
    token, put in by the fragment cache."""
    items, ballot, blocker = _viewer_ballot(budget)

    def render() -> dict:
        context = _ballot_context(budget, items, ballot, blocker)
        context["checkout_error"] = checkout_error
        return {"html": render_template("budgets/_ballot_content.html", **context)}

    if items or ballot is not None or blocker is not None or checkout_error is not None:
        content = render()
    else:
        planner = services.can_manage(current_user)
        content = cached_fragment(f"ballot-page:{budget.id}:{planner}", render)
    return render_template(
        "budgets/ballot.html", budget=budget, content=rendered_html(content["html"])
    )


@bp.route("/<int:budget_id>/ballot")
@access(LOGIN)
def ballot(budget_id: int):
    budget = _budget(budget_id)
    if request.args.get("fragment") == "1":
        context = _ballot_context(budget, *_viewer_ballot(budget))
        return render_template("budgets/_ballot_app.html", **context)
    return _ballot_page(budget)


@bp.route("/<int:budget_id>/ballot", methods=["POST"])
@access(LOGIN)
@limiter.limit("120 per minute", methods=["POST"])  # one request per click while filling
def ballot_change(budget_id: int):
    budget = _budget(budget_id)
    form = BallotActionForm()
    anchor = ""
    if form.validate_on_submit():
        try:
            project_id = int(form.project_id.data)
        except (TypeError, ValueError):
            project_id = 0
        try:
            services.change_basket(
                current_user._get_current_object(),
                budget,
                form.action.data,
                project_id,
                form.points.data,
            )
            db.session.commit()
            anchor = f"#project-{project_id}"
        except PortalError as error:
            db.session.rollback()
            flash(error.message, "error")
            if error.status == 404:
                raise
    else:
        flash(_("Please choose a project."), "error")
    # budget_id, not budget.id: after the commit that would read the budget again
    return redirect(url_for("budgets.ballot", budget_id=budget_id) + anchor, 303)


@bp.route("/<int:budget_id>/ballot/checkout", methods=["POST"])
@access(LOGIN)
@limiter.limit(_posting_limit, methods=["POST"])
def checkout(budget_id: int):
    budget = _budget(budget_id)
    form = EmptyForm()
    if not form.validate_on_submit():
        flash(_("Your form expired. Please try again."), "error")
        return redirect(url_for("budgets.ballot", budget_id=budget.id), 303)
    try:
        services.checkout(current_user._get_current_object(), budget)
        db.session.commit()
    except PortalError as error:
        db.session.rollback()
        if error.status == 404:
            raise
        return _ballot_page(budget, error), error.status
    flash(_("Your ballot was submitted. Keep your receipt."), "success")
    return redirect(url_for("budgets.receipt", budget_id=budget_id), 303)  # no reload


@bp.route("/<int:budget_id>/receipt")
@access(LOGIN)
def receipt(budget_id: int):
    budget = _budget(budget_id)
    ballot = services.submitted_ballot(current_user, budget)
    if ballot is None:
        raise NotFound(_("You have not voted in this budget."))
    return render_template("budgets/receipt.html", budget=budget, ballot=ballot)


# --- results ---------------------------------------------------------------------------------


def _results_budget(budget_id: int) -> Budget:
    budget = _budget(budget_id)
    if not results.results_visible(budget, current_user):
        raise services.ResultsNotPublished()
    return budget


@bp.route("/<int:budget_id>/results")
@access(PUBLIC)
def results_page(budget_id: int):
    budget = _results_budget(budget_id)
    rule = request.args.get("rule") or None
    data = results.outcome(budget, rule)
    db.session.commit()  # keep the computed result in the cache
    projects = results.counted_projects(budget)
    by_ref = {p.ref: p for p in projects}
    explanations = results.explanations_by_ref(data)
    selected = set(data["selected"])
    return render_template(
        "budgets/results.html",
        budget=budget,
        data=data,
        projects=projects,
        by_ref=by_ref,
        explanations=explanations,
        selected=selected,
        rules=results.available_rules(budget),
        counts=services.ballot_counts(budget),
        channels=results.channel_counts_by_project(budget),
        chart=votes_cost_chart(budget, projects, data, selected),
        other_rule=results.other_rule(budget),
    )


@bp.route("/<int:budget_id>/results/compare")
@access(PUBLIC)
def compare(budget_id: int):
    budget = _results_budget(budget_id)
    diff = results.comparison(budget, request.args.get("a") or None, request.args.get("b") or None)
    db.session.commit()
    projects = results.counted_projects(budget)
    return render_template(
        "budgets/compare.html",
        budget=budget,
        diff=diff,
        projects=projects,
        a=set(diff["a"]["selected"]),
        b=set(diff["b"]["selected"]),
        rules=results.available_rules(budget),
    )


@bp.route("/<int:budget_id>/results/check")
@access(PUBLIC)
def check_receipt(budget_id: int):
    budget = _results_budget(budget_id)
    value = (request.args.get("fingerprint") or "").strip()
    found = services.find_by_fingerprint(budget, value) if value else None
    return render_template(
        "budgets/check.html", budget=budget, value=value, found=found, searched=bool(value)
    )


@bp.route("/<int:budget_id>/results/fingerprints.txt")
@access(PUBLIC)
def fingerprints(budget_id: int):
    budget = _results_budget(budget_id)
    body = "".join(f"{fp} {channel}\n" for fp, channel in results.fingerprints(budget))
    return Response(body, mimetype="text/plain")


@bp.route("/<int:budget_id>/results/bundle.zip")
@access(PUBLIC)
def bundle(budget_id: int):
    budget = _results_budget(budget_id)
    data = build_bundle(budget)
    db.session.commit()
    return Response(
        data,
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="budget-{budget.id}-results.zip"'},
    )


# --- planners --------------------------------------------------------------------------------


def _budget_data(form: BudgetForm) -> services.BudgetData:
    return services.BudgetData(
        title=form.title.data or "",
        total=form.total.minor or 0,
        currency=form.currency.data or "",
        description=form.description.data or "",
        district_id=int(form.district.data) if form.district.data else None,
        position=form.position.data or 0,
        ballot_kind=form.ballot_kind.data,
        min_spend_percent=form.min_spend_percent.data or 0,
        min_projects=form.min_projects.data if form.min_projects.data is not None else 1,
        max_projects=form.max_projects.data,
        cost_limited=bool(form.cost_limited.data),
        total_points=form.total_points.data,
        max_points_per_project=form.max_points_per_project.data,
        allow_replace=bool(form.allow_replace.data),
        official_rule=form.official_rule.data or "",
        tie_breaking=form.tie_breaking.data,
    )


def _consultations() -> list[Consultation]:
    return list(db.session.scalars(select(Consultation).order_by(Consultation.title)))


@bp.route("/new", methods=["GET", "POST"])
@access("planner")
def new():
    consultations = _consultations()
    form = BudgetForm()
    chosen_id = form.consultation.data or request.args.get("consultation", "")
    chosen = next((c for c in consultations if str(c.id) == str(chosen_id)), None)
    chosen = chosen or next((c for c in consultations if c.slug == chosen_id), None)
    if chosen is not None and not form.is_submitted():
        form.consultation.data = str(chosen.id)
    form.fill_choices(consultations, chosen.districts if chosen else [])
    if not consultations:
        flash(_("Create a consultation first: budgets belong to a consultation."), "error")
    if form.validate_on_submit() and chosen is not None:
        try:
            budget = services.create_budget(
                current_user._get_current_object(), chosen, _budget_data(form)
            )
            db.session.commit()
            flash(_("Budget created. Now add its projects."), "success")
            return redirect(url_for("budgets.show", budget_id=budget.id), 303)
        except PortalError as error:
            _fail(form, error)
    status = 422 if form.is_submitted() else 200
    return render_template("budgets/budget_form.html", form=form, budget=None), status


@bp.route("/<int:budget_id>/edit", methods=["GET", "POST"])
@access("planner")
def edit(budget_id: int):
    budget = _planner_budget(budget_id)
    form = BudgetForm(obj=None)
    form.fill_choices([budget.consultation], budget.consultation.districts)
    if not form.is_submitted():
        for name in (
            "title",
            "description",
            "currency",
            "position",
            "ballot_kind",
            "min_spend_percent",
            "min_projects",
            "max_projects",
            "cost_limited",
            "total_points",
            "max_points_per_project",
            "allow_replace",
            "official_rule",
            "tie_breaking",
        ):
            getattr(form, name).data = getattr(budget, name)
        form.consultation.data = str(budget.consultation_id)
        form.district.data = str(budget.district_id or "")
        form.total.data = money_text(budget.total)
    form.consultation.data = str(budget.consultation_id)
    if form.validate_on_submit():
        try:
            services.update_budget(current_user._get_current_object(), budget, _budget_data(form))
            db.session.commit()
            flash(_("Budget saved."), "success")
            return redirect(url_for("budgets.show", budget_id=budget.id), 303)
        except PortalError as error:
            _fail(form, error)
    status = 422 if form.is_submitted() else 200
    return (
        render_template(
            "budgets/budget_form.html",
            form=form,
            budget=budget,
            frozen=services.rules_frozen(budget),
        ),
        status,
    )


def _project_data(form: ProjectForm) -> services.ProjectData:
    return services.ProjectData(
        title=form.title.data or "",
        cost=form.cost.minor if form.cost.minor is not None else -1,
        description=form.description.data or "",
        ref=form.ref.data or "",
        feasibility=form.feasibility.data,
        feasibility_explanation=form.feasibility_explanation.data or "",
        category_id=int(form.category.data) if form.category.data else None,
        district_id=int(form.district.data) if form.district.data else None,
        address=form.address.data or "",
        latitude=form.latitude.data,
        longitude=form.longitude.data,
    )


@bp.route("/<int:budget_id>/projects/new", methods=["GET", "POST"])
@access("planner")
def new_project(budget_id: int):
    budget = _planner_budget(budget_id)
    form = ProjectForm()
    form.fill_choices(budget.consultation)
    if form.validate_on_submit():
        try:
            item = services.create_project(
                current_user._get_current_object(), budget, _project_data(form)
            )
            db.session.commit()
            flash(_("Project added."), "success")
            return redirect(item.url(), 303)
        except PortalError as error:
            _fail(form, error)
    status = 422 if form.is_submitted() else 200
    return render_template(
        "budgets/project_form.html", form=form, budget=budget, project=None
    ), status


@bp.route("/<int:budget_id>/projects/<int:project_id>/edit", methods=["GET", "POST"])
@access("planner")
def edit_project(budget_id: int, project_id: int):
    budget = _planner_budget(budget_id)
    item = services.get_project(budget, project_id, current_user)
    form = ProjectForm()
    form.fill_choices(budget.consultation)
    if not form.is_submitted():
        for name in (
            "title",
            "description",
            "ref",
            "feasibility",
            "feasibility_explanation",
            "address",
            "latitude",
            "longitude",
        ):
            getattr(form, name).data = getattr(item, name)
        form.cost.data = money_text(item.cost)
        form.category.data = str(item.category_id or "")
        form.district.data = str(item.district_id or "")
    if form.validate_on_submit():
        try:
            services.update_project(current_user._get_current_object(), item, _project_data(form))
            db.session.commit()
            flash(_("Project saved."), "success")
            return redirect(item.url(), 303)
        except PortalError as error:
            _fail(form, error)
    status = 422 if form.is_submitted() else 200
    return render_template(
        "budgets/project_form.html", form=form, budget=budget, project=item
    ), status


@bp.route("/<int:budget_id>/from-ideas", methods=["GET", "POST"])
@access("planner")
def from_ideas(budget_id: int):
    budget = _planner_budget(budget_id)
    form = FromIdeaForm()
    if form.validate_on_submit():
        try:
            idea_id = int(form.idea_id.data)
        except (TypeError, ValueError):
            idea_id = 0
        try:
            item = services.project_from_idea(
                current_user._get_current_object(), budget, idea_id, form.cost.minor
            )
            db.session.commit()
            flash(_("The idea is now a project. Review its cost and feasibility."), "success")
            return redirect(
                url_for("budgets.edit_project", budget_id=budget.id, project_id=item.id), 303
            )
        except PortalError as error:
            db.session.rollback()
            flash(error.message, "error")
    elif form.is_submitted():
        flash(_("Please choose an idea."), "error")
    ideas = services.convertible_ideas(budget)
    return render_template("budgets/from_ideas.html", budget=budget, ideas=ideas, form=form)


@bp.route("/<int:budget_id>/paper", methods=["GET", "POST"])
@access("planner")
def paper(budget_id: int):
    budget = _planner_budget(budget_id)
    form = PaperForm(prefix="one")
    csv_form = PaperCsvForm(prefix="csv")
    status = 200
    csv_problems: list[str] = []
    actor = current_user._get_current_object()
    if request.method == "POST":
        status = 422
        if "csv-csv_text" in request.form or "csv-csv_file" in request.files:
            upload = request.files.get("csv-csv_file")
            if upload and upload.filename and not csv_form.csv_text.data:
                csv_form.csv_text.data = upload.read().decode("utf-8-sig", errors="replace")
            if csv_form.validate_on_submit():
                try:
                    count = services.import_paper_csv(actor, budget, csv_form.csv_text.data)
                    db.session.commit()
                    flash(_("%(n)d paper ballots were counted.", n=count), "success")
                    return redirect(url_for("budgets.paper", budget_id=budget.id), 303)
                except PortalError as error:
                    db.session.rollback()
                    csv_problems = error.fields.get("csv", "").splitlines()
                    csv_form.csv_text.errors = [*csv_form.csv_text.errors, error.message]
        elif form.validate_on_submit():
            try:
                services.enter_paper_ballot(actor, budget, form.code.data, form.choices_text.data)
                db.session.commit()
                flash(_("The paper ballot was counted."), "success")
                return redirect(url_for("budgets.paper", budget_id=budget.id), 303)
            except PortalError as error:
                _fail(form, error)
    return (
        render_template(
            "budgets/paper.html",
            budget=budget,
            form=form,
            csv_form=csv_form,
            counts=services.ballot_counts(budget),
            projects=services.visible_projects(budget, current_user),
            csv_problems=csv_problems,
        ),
        status,
    )


@bp.route("/<int:budget_id>/publish", methods=["POST"])
@access("planner")
def publish(budget_id: int):
    budget = _planner_budget(budget_id)
    form = EmptyForm()
    if form.validate_on_submit():
        publish_now = request.form.get("action", "publish") != "unpublish"
        try:
            services.publish_results(current_user._get_current_object(), budget, publish_now)
            db.session.commit()
            flash(
                _("The results are published.") if publish_now else _("The results are hidden."),
                "success",
            )
        except PortalError as error:
            db.session.rollback()
            flash(error.message, "error")
    return redirect(url_for("budgets.show", budget_id=budget.id), 303)


@bp.route("/<int:budget_id>/election.pb")
@access("planner")
def export(budget_id: int):
    budget = _planner_budget(budget_id)
    return Response(
        export_pb(budget),
        mimetype="text/plain",
        headers={"Content-Disposition": f'attachment; filename="budget-{budget.id}.pb"'},
    )
