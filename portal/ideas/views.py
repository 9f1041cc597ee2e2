"""Idea pages: lists with filters and search, proposing, editing, withdrawing, supporting,
and each consultation's Atom feed."""

from __future__ import annotations

import secrets
from typing import NamedTuple

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    get_template_attribute,
    redirect,
    render_template,
    request,
    session,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import bindparam, select

from portal.accountability import services as accountability
from portal.consultations import services as consultation_services
from portal.consultations.phases import is_allowed, require_phase
from portal.core.errors import PortalError
from portal.core.html import plain_text
from portal.core.pagination import Page
from portal.core.permissions import LOGIN, PUBLIC, access
from portal.extensions import db
from portal.ideas import services
from portal.ideas.forms import IdeaForm, WithdrawForm
from portal.ideas.models import Idea, Support
from portal.moderation.limits import posting_limits
from portal.ops.cache import cached_fragment, rendered_html, splice

bp = Blueprint("ideas", __name__)
PER_PAGE = 20


def _posting_limit() -> str:
    return current_app.config["RATELIMIT_POSTING"]


def random_seed() -> int:
    """The visitor's seed for the random order, kept in the session (stable across pages)."""
    seed = session.get("idea_seed")
    if not isinstance(seed, int):
        seed = secrets.randbelow(2**31)
        session["idea_seed"] = seed
    return seed


def filters_from(args, consultation) -> services.IdeaFilter:
    """Read list filters from query parameters; anything unknown is ignored, never an error."""

    def as_id(name: str) -> int | None:
        value = args.get(name, "")
        return int(value) if value.isdigit() and len(value) < 10 else None

    sort = args.get("sort", "newest")
    if sort not in services.SORTS:
        sort = "newest"
    status = args.get("status", "")
    return services.IdeaFilter(
        category_id=as_id("category"),
        district_id=as_id("district"),
        status=status if status in services.FILTER_STATUSES else None,
        mine=args.get("mine") in ("1", "true", "on", "yes"),
        query=(args.get("q") or "")[:200],
        sort=sort,
        seed=random_seed() if sort == "random" else 0,
    )


@bp.route("/consultations/<slug>/ideas")
@access(PUBLIC)
def index(slug: str):
    consultation = consultation_services.get_by_slug(slug, current_user)
    filters = filters_from(request.args, consultation)
    page = Page.from_request(PER_PAGE)
    counts_visible = services.support_counts_visible(consultation, current_user)
    can_support = is_allowed(consultation, "support")
    signed_in = bool(current_user.is_authenticated)

    def render() -> dict:
        ideas, total = services.list_ideas(
            consultation, filters, page.limit, page.offset, current_user
        )
        cards = render_template(
            "ideas/_cards.html",
            ideas=ideas,
            counts_visible=counts_visible,
            can_support=can_support,
            next=request.full_path,
        )
        page.total = total
        html = render_template(
            "ideas/_listing.html",
            consultation=consultation,
            cards=rendered_html(cards),
            page=page,
            filters=filters,
            sorts=services.sorts_available(consultation, current_user),
        )
        supportable: dict[str, str] = {}  # ideas with a support button: their titles
        if can_support and signed_in:
            supportable = {
                str(idea.id): idea.title
                for idea in ideas
                if idea.status not in ("rejected", "merged")
            }
        return {"html": html, "supportable": supportable, "total": total}

    # The list (filters, count, cards, pager) is the same for everyone with the same filters
    # (the list of "my ideas" is the owner's own, the random order the visitor's own seed),
    # counts shown or not (which also decides the orders offered), supporting open or not and
    # signed in or not; only the viewer's own supports differ.
    owner = current_user.id if filters.mine and signed_in else 0
    key = (
        f"ideas-list:{consultation.id}:{owner}:{filters.seed}:{counts_visible}:{can_support}:"
        f"{signed_in}:{request.full_path}"
    )
    listing = cached_fragment(key, render)
    page.total = listing["total"]
    supportable = listing["supportable"]
    pressed: dict[int, str] = {}
    if supportable:
        button = get_template_attribute("ideas/_macros.html", "support_button")
        for idea_id in _supported_among([int(i) for i in supportable]):
            idea = _Card(idea_id, supportable[str(idea_id)])
            pressed[idea_id] = f"{button(idea, True, request.full_path)}"
    return render_template(
        "ideas/index.html",
        consultation=consultation,
        listing=rendered_html(splice(listing["html"], "sb", pressed)),
        page=page,
        filters=filters,
        counts_visible=counts_visible,
        can_propose=is_allowed(consultation, "propose"),
        can_support=can_support,
    )


class _Card(NamedTuple):
    """What a support button shows of its idea."""

    id: int
    title: str


_SUPPORTS = Support.__table__
# Run on every signed-in list view: a Core statement built once (building an ORM statement
# costs about as much as running this one).
_SUPPORTED_AMONG = select(_SUPPORTS.c.idea_id).where(
    _SUPPORTS.c.user_id == bindparam("user_id"),
    _SUPPORTS.c.idea_id.in_(bindparam("idea_ids", expanding=True)),
)


def _supported_among(idea_ids: list[int]) -> set[int]:
    """Which of these ideas the signed-in person supports (one query)."""
    return set(
        db.session.scalars(_SUPPORTED_AMONG, {"user_id": current_user.id, "idea_ids": idea_ids})
    )


def _idea_data(form: IdeaForm) -> services.IdeaData:
    district = getattr(form, "district", None)
    return services.IdeaData(
        title=form.title.data or "",
        body=form.body.data or "",
        category_id=form.category.data,
        district_id=district.data if district is not None else None,
        latitude=form.latitude.data,
        longitude=form.longitude.data,
        address=form.address.data or "",
        cost=form.cost.data,
    )


def _show_error(form: IdeaForm, error: PortalError) -> None:
    if not form.apply_error(error):
        form.form_errors.append(error.message)


@bp.route("/consultations/<slug>/ideas/new", methods=["GET", "POST"])
@access(LOGIN)
@posting_limits
def create(slug: str):
    consultation = consultation_services.get_by_slug(slug, current_user)
    require_phase(consultation, "propose")  # a closed phase: the error page says why
    form = IdeaForm()
    form.set_choices(consultation)
    similar: list[Idea] = []
    if form.validate_on_submit():
        if form.confirm_new.data != "1":
            similar = services.similar_ideas(consultation, form.title.data)
        if similar:
            form.confirm_new.data = "1"
        else:
            try:
                idea = services.create_idea(current_user, consultation, _idea_data(form))
            except PortalError as error:
                db.session.rollback()
                _show_error(form, error)
            else:
                db.session.commit()
                if idea.is_visible:
                    flash(_("Thank you! Your idea is published."), "success")
                else:
                    flash(
                        _("Thank you! Your idea will be published once a moderator has seen it."),
                        "info",
                    )
                return redirect(idea.url())
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "ideas/form.html",
        consultation=consultation,
        form=form,
        idea=None,
        similar=similar,
        supported=services.supported_ids(current_user, similar),
    ), status


@bp.route("/ideas/<int:idea_id>")
@access(PUBLIC)
def show(idea_id: int):
    idea, supported, supports_used = services.get_idea_with_marks(idea_id, current_user)
    consultation = idea.consultation

    def render() -> dict:
        """What everyone allowed to see the idea sees alike: its text and facts, the
        official answers and the description for the meta tags."""
        return {
            "head": render_template("ideas/_head.html", idea=idea, consultation=consultation),
            "answers": render_template(
                "ideas/_answers.html",
                consultation=consultation,
                history=accountability.history(idea),
            ),
            "description": plain_text(idea.body, 200),
        }

    parts = cached_fragment(f"idea:{idea.id}", render)
    return render_template(
        "ideas/show.html",
        idea=idea,
        consultation=consultation,
        parts={
            "head": rendered_html(parts["head"]),
            "answers": rendered_html(parts["answers"]),
            "description": parts["description"],
        },
        supported=supported,
        counts_visible=services.support_counts_visible(consultation, current_user),
        can_support=is_allowed(consultation, "support")
        and idea.status not in ("rejected", "merged"),
        can_edit=services.can_edit(current_user, idea),
        needs_verification=consultation.require_verification
        and current_user.is_authenticated
        and not consultation_services.is_verified(current_user, consultation),
        supports_used=supports_used,
        # only the author's own tools show it (a form costs its CSRF token's signing)
        withdraw_form=WithdrawForm() if _authored(idea) else None,
    )


def _authored(idea: Idea) -> bool:
    """The condition of the "Your idea" tools on the idea's page (templates/ideas/show.html)."""
    return (
        current_user.is_authenticated
        and current_user.id == idea.author_id
        and not idea.is_withdrawn
    )


@bp.route("/ideas/<int:idea_id>/edit", methods=["GET", "POST"])
@access(LOGIN)
@posting_limits
def edit(idea_id: int):
    idea = services.get_idea(idea_id, current_user)
    consultation = idea.consultation
    services.check_editable(current_user, idea, phase=False)  # 403 for others
    form = IdeaForm(obj=idea)
    form.set_choices(consultation)
    if request.method == "GET":
        form.category.data = idea.category_id
        if getattr(form, "district", None) is not None:
            form.district.data = idea.district_id
    if form.validate_on_submit():
        try:
            services.update_idea(current_user, idea, _idea_data(form))
        except PortalError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
            flash(_("Your idea has been saved."), "success")
            return redirect(idea.url())
    elif request.method == "GET":
        try:  # the same rules as saving: say why now, not after the person typed
            services.check_editable(current_user, idea)
        except PortalError as error:
            flash(error.message, "error")
            return redirect(idea.url())
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "ideas/form.html",
        consultation=consultation,
        form=form,
        idea=idea,
        similar=[],
        supported=set(),
    ), status


@bp.route("/ideas/<int:idea_id>/withdraw", methods=["POST"])
@access(LOGIN)
def withdraw(idea_id: int):
    idea = services.get_idea(idea_id, current_user)
    form = WithdrawForm()
    if not form.validate_on_submit():
        flash(_("Tick the box to confirm that you want to withdraw your idea."), "error")
        return redirect(idea.url())
    try:
        services.withdraw_idea(current_user, idea)
    except PortalError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(idea.url())
    db.session.commit()
    flash(_("Your idea has been withdrawn. It no longer appears in lists."), "success")
    return redirect(idea.url())


@bp.route("/ideas/<int:idea_id>/support", methods=["POST"])
@access(LOGIN)
@posting_limits
def support(idea_id: int):
    idea = services.get_idea(idea_id, current_user)
    want = request.form.get("action", "toggle")
    try:
        if want == "add":
            services.add_support(current_user, idea)
            now_supported = True
        elif want == "remove":
            services.remove_support(current_user, idea)
            now_supported = False
        else:
            now_supported = services.toggle_support(current_user, idea)
    except PortalError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(_back(idea))
    db.session.commit()
    if now_supported:
        flash(_("Thank you: you support “%(title)s”.", title=idea.title), "success")
    else:
        flash(_("You no longer support “%(title)s”.", title=idea.title), "info")
    return redirect(_back(idea))


def _back(idea: Idea) -> str:
    """Back to the list the person came from (a path on this site), else the idea's page."""
    from portal.accounts.views import safe_next

    target = request.form.get("next")
    return safe_next(target) if target else idea.url()


@bp.route("/consultations/<slug>/feed.atom")
@access(PUBLIC)
def feed(slug: str):
    consultation = consultation_services.get_by_slug(slug, None)  # never a draft
    ideas, _total = services.list_ideas(consultation, services.IdeaFilter(), 30, 0)
    responses = accountability.latest_responses(consultation, 30)
    entries = [("idea", idea.created_at, idea) for idea in ideas]
    entries += [("response", response.created_at, response) for response in responses]
    entries.sort(key=lambda entry: entry[1], reverse=True)
    entries = entries[:40]
    updated = entries[0][1] if entries else consultation.updated_at
    xml = render_template(
        "ideas/feed.xml", consultation=consultation, entries=entries, updated=updated
    )
    return Response(xml, mimetype="application/atom+xml")
