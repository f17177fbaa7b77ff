"""Every URL pattern × every role → the status it must answer.

A URL added without an entry here fails ``test_every_url_has_an_entry``: deciding who may open
a page is part of adding it.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from awards.api.tickets import DOOR_ROLES, TICKET_ROLES
from awards.models import WaitingListEntry
from awards.services.orders import order_reserve
from kundeservice import roles
from kundeservice.models import Job
from kundeservice.roles import CATALOG_ROLES, STAFF_ROLES, Role
from surveys.models import (
    Assignment,
    AssignmentStatus,
    EpisodeStatus,
    Indicator,
    IndustryGroup,
    Invitation,
    ResultRow,
    ResultSet,
    Subscriber,
    TemperatureUpdate,
)
from surveys.services.responding import response_for_token, token_hash
from surveys.services.subscriptions import subscriber_token
from surveys.views.episodes import EPISODE_ROLES
from surveys.views.staff_observations import OBSERVATION_ROLES
from surveys.views.staff_panels import PANEL_ROLES
from surveys.views.staff_review import REVIEW_ROLES
from tests.awards.ticketing import invoiced_order, shop_with_type
from tests.factories import (
    AssignmentFactory,
    CompanyFactory,
    IndustryFactory,
    ObserverFactory,
    PanelistFactory,
    UserFactory,
    WaveFactory,
    aggregated_wave,
    calibration_exercise,
    invite,
    ksindeks_questionnaire,
    observation_wave,
    poll_wave,
    submitted_report,
    webhook_delivery,
    webhook_endpoint,
)
from webhooks.api import WEBHOOK_ROLES

ANON = "anonymous"
ROLES = [ANON, *(r.value for r in Role)]

#: The ``results`` permission (README's role table): run aggregations, weighting, derived
#: indicators, publish and hide. Written out here, not imported, so that widening it is a
#: deliberate change to this file.
RESULTS = (Role.STAFF_ADMIN, Role.ANALYST)
#: May preview unpublished results without changing them.
RESULTS_PREVIEW = (Role.STAFF_ADMIN, Role.ANALYST, Role.PANEL_MANAGER, Role.EDITOR)


@dataclass
class Entry:
    expect: dict[str, int]
    method: str = "get"
    kwargs: Callable[[], dict[str, Any]] = field(default=lambda: {})
    data: dict[str, Any] | None = None
    multipart: bool = False  # API bodies are JSON unless the endpoint takes a file


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


def html_for(roles: tuple[Role, ...], ok: int = 200) -> dict[str, int]:
    """HTML page: anonymous users are sent to log in, other roles are refused."""
    allowed = {r.value for r in roles}
    return {role: ok if role in allowed else (302 if role == ANON else 403) for role in ROLES}


def api_write(roles: tuple[Role, ...], ok: int) -> dict[str, int]:
    """API write: anonymous must authenticate (401), other roles are refused (403)."""
    allowed = {r.value for r in roles}
    return {role: ok if role in allowed else (401 if role == ANON else 403) for role in ROLES}


def draft_response() -> Any:
    return response_for_token(token=invite(WaveFactory()))


def questionnaire_kwargs() -> dict[str, Any]:
    return {"pk": ksindeks_questionnaire().pk}


def section_kwargs() -> dict[str, Any]:
    return {"pk": ksindeks_questionnaire().sections.get(key="preferences").pk}


def question_kwargs() -> dict[str, Any]:
    return {"pk": ksindeks_questionnaire().questions.get(key="comment").pk}


def option_kwargs() -> dict[str, Any]:
    question = ksindeks_questionnaire().questions.get(key="resolved")
    return {"pk": question.options.get(value="yes").pk}


def export_job_kwargs() -> dict[str, Any]:
    """An export that has not finished: its download is a 404 even for those allowed."""
    job = Job.objects.create(
        kind="export_wave", subject=f"wave:{WaveFactory().pk}", result={"format": "csv"}
    )
    return {"pk": job.pk}


def others_assignment_kwargs() -> dict[str, Any]:
    """Another observer's assignment: every observer but its own gets a 404."""
    return {"pk": AssignmentFactory().pk}


def report_kwargs() -> dict[str, Any]:
    """A report handed in to QA by an observer who is not the requesting user."""
    return {"pk": submitted_report().pk}


def observation_wave_kwargs() -> dict[str, Any]:
    return {"pk": observation_wave().pk}


def calibration_kwargs() -> dict[str, Any]:
    """An exercise the requesting observer is not invited to, without a recording."""
    return {"pk": calibration_exercise().pk}


def observer_only(expect: dict[str, int], *, others: int = 404) -> dict[str, int]:
    """``expect``, with observers (who may use the route) seeing ``others`` for someone else's
    assignment."""
    return {**expect, Role.OBSERVER.value: others}


def industry_kwargs() -> dict[str, Any]:
    return {"slug": IndustryFactory().slug}


def company_kwargs() -> dict[str, Any]:
    return {"slug": CompanyFactory().slug}


def preview_for(roles: tuple[Role, ...]) -> dict[str, int]:
    """Unpublished results: those who run results may preview them; to everyone else they do
    not exist (404), so an embargo cannot be probed."""
    allowed = {r.value for r in roles}
    return {role: 200 if role in allowed else 404 for role in ROLES}


def unpublished_kwargs(page: str = "") -> Callable[[], dict[str, Any]]:
    """URL kwargs of an aggregated wave whose results are not public (and of its company)."""

    def kwargs() -> dict[str, Any]:
        result_set = aggregated_wave(public=False)
        company = result_set.rows.filter(scope="company").select_related("company")[0].company
        found = {"study": result_set.wave.study.slug, "wave": result_set.wave.slug}
        if page == "industry":
            found["industry"] = company.industry.slug
        elif page == "company":
            found["company"] = company.slug
        elif page == "channel":
            found["channel"] = "phone"
        elif page == "group":
            found["group"] = grouped(result_set).slug
        return found

    return kwargs


def grouped(result_set: Any) -> IndustryGroup:
    """An industry group of the set's industry (and another), published by its wave and
    aggregated again so the set has its rows."""
    from surveys.services.aggregation import aggregation_run

    industry = result_set.rows.filter(scope="industry").select_related("industry")[0].industry
    group = IndustryGroup.objects.create(slug=f"gruppe-{industry.pk}", name=f"Gruppe {industry.pk}")
    group.industries.set([industry, IndustryFactory()])
    result_set.wave.industry_groups.add(group)
    ResultRow.objects.filter(result_set=result_set).delete()
    ResultSet.objects.filter(pk=result_set.pk).update(status="running")
    aggregation_run(result_set_id=result_set.pk)
    return group


def industry_group_kwargs() -> dict[str, Any]:
    group = IndustryGroup.objects.create(slug="tele", name="Tele")
    group.industries.set([IndustryFactory(), IndustryFactory()])
    return {"slug": group.slug}


def indicator_kwargs() -> dict[str, Any]:
    return {
        "pk": Indicator.objects.create(
            key="nei-til-begge",
            name="Nei til begge",
            questionnaire_slug="ksindeks",
            condition={"q": "resolved", "in": ["no"]},
        ).pk
    }


def unpublished_set_wave_kwargs() -> dict[str, Any]:
    return {"pk": aggregated_wave(public=False).wave_id}


def unpublished_set_kwargs() -> dict[str, Any]:
    return {"pk": aggregated_wave(public=False).pk}


def webhook_endpoint_kwargs() -> dict[str, Any]:
    return {"pk": webhook_endpoint().pk}


def webhook_delivery_kwargs() -> dict[str, Any]:
    return {"pk": webhook_delivery().pk}


def scheduled_episode() -> TemperatureUpdate:
    """An episode scheduled for tomorrow: embargoed (its time-dependent side, before and after,
    is held by tests/surveys/views/test_episode_pages.py)."""
    import datetime

    from django.utils import timezone

    return TemperatureUpdate.objects.create(
        wave=WaveFactory(),
        number=1,
        title="Temperaturen",
        lead="Ingress",
        body="Tekst",
        cutoff=datetime.date(2026, 1, 31),
        status=EpisodeStatus.SCHEDULED,
        publish_at=timezone.now() + datetime.timedelta(days=1),
    )


def episode_kwargs() -> dict[str, Any]:
    episode = scheduled_episode()
    return {"study": episode.wave.study.slug, "wave": episode.wave.slug, "number": 1}


def series_kwargs() -> dict[str, Any]:
    episode = scheduled_episode()
    return {"study": episode.wave.study.slug, "wave": episode.wave.slug}


def subscriber_kwargs(purpose: str) -> Callable[[], dict[str, Any]]:
    def kwargs() -> dict[str, Any]:
        reader = Subscriber.objects.create(email="leser@example.no", language="nb")
        return {"token": subscriber_token(reader, purpose=purpose)}

    return kwargs


def draft_award(page: str = "") -> Callable[[], dict[str, Any]]:
    """URL kwargs of a draft award night with a confirmed (unrevealed) category: the public
    learns nothing of it (404); award managers preview it."""

    def kwargs() -> dict[str, Any]:
        from tests.awards.test_embargo import confirmed_night

        category = confirmed_night(state="draft")
        found: dict[str, Any] = {"slug": category.event.slug}
        if page == "diploma":
            found["category"] = category.pk
        elif page == "event":
            found = {"pk": category.event_id}
        elif page == "category":
            found = {"event_pk": category.event_id, "pk": category.pk}
        elif page == "event_pk":
            found = {"event_pk": category.event_id}
        elif page == "category_pk":
            found = {"pk": category.pk}
        return found

    return kwargs


def jury_kwargs(page: str = "") -> Callable[[], dict[str, Any]]:
    """A jury category the requesting user does not sit on."""

    def kwargs() -> dict[str, Any]:
        from tests.awards.test_embargo import jury_category

        category = jury_category()
        if page == "document":
            return {"category": category.pk, "pk": category.nominees.first().pk}
        if page == "manage":
            return {"pk": category.pk}
        return {"category": category.pk}

    return kwargs


AWARD_ROLES = (Role.STAFF_ADMIN, Role.AWARD_MANAGER)


def logged_in(status: int) -> dict[str, int]:
    return {role: 302 if role == ANON else status for role in ROLES}


def shop_kwargs() -> dict[str, Any]:
    return {"slug": shop_with_type()[0].event.slug}


def reserved_order_kwargs() -> dict[str, Any]:
    _shop, ticket_type = shop_with_type()
    order = order_reserve(event=ticket_type.event, quantities={ticket_type.pk: 1})
    return {"slug": order.event.slug, "code": order.code, "secret": order.secret}


def invoiced_order_kwargs(extra: str = "") -> Callable[[], dict[str, Any]]:
    """The buyer's link to a confirmed order (and its first ticket or invoice)."""

    def kwargs() -> dict[str, Any]:
        order = invoiced_order(shop_with_type()[1], 1)
        found: dict[str, Any] = {
            "slug": order.event.slug,
            "code": order.code,
            "secret": order.secret,
        }
        if extra == "position":
            found["position"] = 1
        elif extra == "number":
            found["number"] = order.invoices.get().number
        return found

    return kwargs


def offer_kwargs() -> dict[str, Any]:
    _shop, ticket_type = shop_with_type()
    entry = WaitingListEntry.objects.create(
        event=ticket_type.event, ticket_type=ticket_type, name="V", email="v@x.no", token="tok-1"
    )
    return {"slug": entry.event.slug, "token": entry.token}


def event_kwargs() -> dict[str, Any]:
    return {"event_pk": shop_with_type()[0].event_id}


def staff_order_kwargs(extra: str = "") -> Callable[[], dict[str, Any]]:
    def kwargs() -> dict[str, Any]:
        order = invoiced_order(shop_with_type()[1], 1)
        found: dict[str, Any] = {"event_pk": order.event_id, "code": order.code}
        if extra == "invoice":
            found.update(number=order.invoices.get().number, format="pdf")
        return found

    return kwargs


def ticket_type_kwargs() -> dict[str, Any]:
    ticket_type = shop_with_type()[1]
    return {"event_pk": ticket_type.event_id, "pk": ticket_type.pk}


def voucher_kwargs() -> dict[str, Any]:
    ticket_type = shop_with_type()[1]
    voucher = ticket_type.vouchers.create(event=ticket_type.event, code="KODE")
    return {"event_pk": ticket_type.event_id, "pk": voucher.pk}


def api_order_kwargs() -> dict[str, Any]:
    return {"pk": invoiced_order(shop_with_type()[1], 1).pk}


MATRIX: dict[str, Entry] = {
    # Site shell
    "home": Entry(everyone(200)),
    "healthz": Entry(everyone(200)),
    "favicon": Entry(everyone(301)),
    "set_language": Entry(everyone(302), method="post", data={"language": "en", "next": "/"}),
    "login": Entry({**everyone(302), ANON: 200}),
    "logout": Entry(everyone(302), method="post"),
    "password_reset": Entry(everyone(200)),
    "password_reset_done": Entry(everyone(200)),
    "password_reset_confirm": Entry(everyone(200), kwargs=lambda: {"uidb64": "MQ", "token": "x-y"}),
    "password_reset_complete": Entry(everyone(200)),
    "admin:index": Entry(everyone(302)),
    # Respondents: the token is the credential; no login needed or used
    "respond": Entry(everyone(200), kwargs=lambda: {"token": invite(WaveFactory())}),
    # Open polls: anyone, anonymously; the browser's cookie, not a login, marks who answered
    "poll": Entry(everyone(200), kwargs=lambda: {"slug": poll_wave().open_slug}),
    "unsubscribe": Entry(everyone(200), kwargs=lambda: {"token": invite(WaveFactory())}),
    # Observer portal: own assignments only; another observer's is a 404
    "observer-home": Entry(html_for((Role.OBSERVER,))),
    "observer-assignment": Entry(
        observer_only(html_for((Role.OBSERVER,))), kwargs=others_assignment_kwargs
    ),
    # Staff console
    "staff-dashboard": Entry(html_for(STAFF_ROLES)),
    "staff-review-queue": Entry(html_for(REVIEW_ROLES)),
    # Observer programme: observers, distribution key, plan, moves, calibration
    "staff-observer-list": Entry(html_for(OBSERVATION_ROLES)),
    "staff-observer-create": Entry(html_for(OBSERVATION_ROLES)),
    "staff-observer-edit": Entry(
        html_for(OBSERVATION_ROLES), kwargs=lambda: {"pk": ObserverFactory().pk}
    ),
    "staff-observation-setup": Entry(html_for(OBSERVATION_ROLES), kwargs=observation_wave_kwargs),
    "staff-observation-plan": Entry(html_for(OBSERVATION_ROLES), kwargs=observation_wave_kwargs),
    "staff-assignment-move": Entry(html_for(OBSERVATION_ROLES), kwargs=others_assignment_kwargs),
    "staff-calibration-list": Entry(html_for(OBSERVATION_ROLES)),
    "staff-calibration-detail": Entry(html_for(OBSERVATION_ROLES), kwargs=calibration_kwargs),
    # Calibration for observers: only those invited (others get a 404)
    "observer-calibration": Entry(
        observer_only(html_for((Role.OBSERVER,))), kwargs=calibration_kwargs
    ),
    # The recording: staff and invited observers (this exercise has none: 404 for them)
    "observer-calibration-recording": Entry(
        html_for((Role.OBSERVER, *OBSERVATION_ROLES), ok=404), kwargs=calibration_kwargs
    ),
    "staff-review-detail": Entry(html_for(REVIEW_ROLES), kwargs=report_kwargs),
    "staff-company-list": Entry(html_for(CATALOG_ROLES)),
    "staff-company-import": Entry(html_for(CATALOG_ROLES)),
    "staff-job-progress": Entry(
        html_for(STAFF_ROLES), kwargs=lambda: {"pk": Job.objects.create(kind="x").pk}
    ),
    "staff-panel-import": Entry(html_for(PANEL_ROLES)),
    "staff-wave-list": Entry(html_for(PANEL_ROLES)),
    "staff-wave-create": Entry(html_for(PANEL_ROLES)),
    "staff-wave-edit": Entry(html_for(PANEL_ROLES), kwargs=lambda: {"pk": WaveFactory().pk}),
    "staff-wave-detail": Entry(html_for(PANEL_ROLES), kwargs=lambda: {"pk": WaveFactory().pk}),
    "staff-wave-invite": Entry(
        html_for(PANEL_ROLES, ok=302),
        method="post",
        kwargs=lambda: {"pk": WaveFactory().pk},
        data={"seed": 1},
    ),
    "staff-response-list": Entry(html_for(PANEL_ROLES), kwargs=lambda: {"pk": WaveFactory().pk}),
    "staff-response-detail": Entry(
        html_for(PANEL_ROLES), kwargs=lambda: {"pk": draft_response().pk}
    ),
    "staff-wave-send": Entry(
        html_for(PANEL_ROLES, ok=302), method="post", kwargs=lambda: {"pk": WaveFactory().pk}
    ),
    # The questionnaire builder: GET shows a page or form, POST writes and goes back (302)
    "staff-questionnaire-list": Entry(html_for(PANEL_ROLES)),
    "staff-questionnaire-detail": Entry(html_for(PANEL_ROLES), kwargs=questionnaire_kwargs),
    "staff-questionnaire-preview": Entry(html_for(PANEL_ROLES), kwargs=questionnaire_kwargs),
    "staff-questionnaire-new-version": Entry(
        html_for(PANEL_ROLES, ok=302), method="post", kwargs=questionnaire_kwargs
    ),
    "staff-builder-section-create": Entry(html_for(PANEL_ROLES), kwargs=questionnaire_kwargs),
    "staff-builder-section": Entry(html_for(PANEL_ROLES), kwargs=section_kwargs),
    "staff-builder-section-delete": Entry(
        html_for(PANEL_ROLES, ok=302), method="post", kwargs=section_kwargs
    ),
    "staff-builder-section-move": Entry(
        html_for(PANEL_ROLES, ok=302),
        method="post",
        kwargs=section_kwargs,
        data={"direction": "up"},
    ),
    "staff-builder-question-create": Entry(html_for(PANEL_ROLES), kwargs=section_kwargs),
    "staff-builder-question": Entry(html_for(PANEL_ROLES), kwargs=question_kwargs),
    "staff-builder-question-delete": Entry(
        html_for(PANEL_ROLES, ok=302), method="post", kwargs=question_kwargs
    ),
    "staff-builder-question-move": Entry(
        html_for(PANEL_ROLES, ok=302),
        method="post",
        kwargs=question_kwargs,
        data={"direction": "up"},
    ),
    "staff-builder-option-create": Entry(html_for(PANEL_ROLES), kwargs=question_kwargs),
    "staff-builder-option": Entry(html_for(PANEL_ROLES), kwargs=option_kwargs),
    "staff-builder-option-delete": Entry(
        html_for(PANEL_ROLES, ok=302), method="post", kwargs=option_kwargs
    ),
    "staff-builder-option-move": Entry(
        html_for(PANEL_ROLES, ok=302),
        method="post",
        kwargs=option_kwargs,
        data={"direction": "down"},
    ),
    # XLSForm import and download
    "staff-questionnaire-import": Entry(html_for(PANEL_ROLES)),
    "staff-questionnaire-xlsform": Entry(html_for(PANEL_ROLES), kwargs=questionnaire_kwargs),
    "staff-wave-export": Entry(html_for(PANEL_ROLES), kwargs=lambda: {"pk": WaveFactory().pk}),
    "staff-export-progress": Entry(html_for(PANEL_ROLES), kwargs=export_job_kwargs),
    "staff-export-download": Entry(html_for(PANEL_ROLES, ok=404), kwargs=export_job_kwargs),
    # Public results: published waves for everyone; unpublished ones only for a preview
    "results-index": Entry(everyone(200)),
    "results-wave": Entry(preview_for(RESULTS_PREVIEW), kwargs=unpublished_kwargs()),
    "results-industry": Entry(preview_for(RESULTS_PREVIEW), kwargs=unpublished_kwargs("industry")),
    "results-company": Entry(preview_for(RESULTS_PREVIEW), kwargs=unpublished_kwargs("company")),
    "results-channel": Entry(preview_for(RESULTS_PREVIEW), kwargs=unpublished_kwargs("channel")),
    "results-group": Entry(preview_for(RESULTS_PREVIEW), kwargs=unpublished_kwargs("group")),
    "staff-results-list": Entry(html_for(RESULTS_PREVIEW)),
    # Temperature updates: readers once published; before that nobody but editors (preview)
    "temperature-index": Entry(everyone(200)),
    "temperature-rss": Entry(everyone(200)),
    "temperature-atom": Entry(everyone(200)),
    "sitemap": Entry(everyone(200)),
    "temperature-series": Entry(everyone(404), kwargs=series_kwargs),
    "temperature-series-rss": Entry(everyone(404), kwargs=series_kwargs),
    "temperature-series-atom": Entry(everyone(404), kwargs=series_kwargs),
    "temperature-episode": Entry(preview_for(EPISODE_ROLES), kwargs=episode_kwargs),
    "temperature-share-image": Entry(preview_for(EPISODE_ROLES), kwargs=episode_kwargs),
    # No cover yet: a 404 for editors too
    "temperature-cover": Entry(everyone(404), kwargs=episode_kwargs),
    "temperature-subscribe": Entry(everyone(200)),
    # The signed link is the credential; no login needed or used
    "temperature-confirm": Entry(everyone(200), kwargs=subscriber_kwargs("confirm")),
    "temperature-unsubscribe": Entry(everyone(200), kwargs=subscriber_kwargs("unsubscribe")),
    "episode-list": Entry(everyone(200)),
    "episode-detail": Entry(everyone(404), kwargs=lambda: {"pk": scheduled_episode().pk}),
    "staff-episode-list": Entry(html_for(EPISODE_ROLES)),
    "staff-episode-create": Entry(
        html_for(EPISODE_ROLES), kwargs=lambda: {"wave_pk": WaveFactory().pk}
    ),
    "staff-episode-edit": Entry(
        html_for(EPISODE_ROLES), kwargs=lambda: {"pk": scheduled_episode().pk}
    ),
    "staff-industry-group-list": Entry(html_for(CATALOG_ROLES)),
    "staff-industry-group-create": Entry(html_for(CATALOG_ROLES)),
    "staff-industry-group-edit": Entry(
        html_for(CATALOG_ROLES), kwargs=lambda: {"pk": IndustryGroup.objects.create(slug="g").pk}
    ),
    "staff-industry-group-delete": Entry(
        html_for(CATALOG_ROLES, ok=302),
        method="post",
        kwargs=lambda: {"pk": IndustryGroup.objects.create(slug="g").pk},
    ),
    "staff-wave-indicators": Entry(html_for(RESULTS), kwargs=lambda: {"pk": WaveFactory().pk}),
    "staff-indicator-create": Entry(
        html_for(RESULTS), kwargs=lambda: {"wave_pk": WaveFactory().pk}
    ),
    "staff-indicator-edit": Entry(
        html_for(RESULTS),
        kwargs=lambda: {"wave_pk": WaveFactory().pk, **indicator_kwargs()},
    ),
    "staff-indicator-delete": Entry(
        html_for(RESULTS, ok=302),
        method="post",
        kwargs=lambda: {"wave_pk": WaveFactory().pk, **indicator_kwargs()},
    ),
    "staff-wave-results": Entry(html_for(RESULTS), kwargs=lambda: {"pk": WaveFactory().pk}),
    "result-set-list": Entry(everyone(200)),
    "result-set-detail": Entry(preview_for(RESULTS_PREVIEW), kwargs=unpublished_set_kwargs),
    "result-set-rows": Entry(preview_for(RESULTS_PREVIEW), kwargs=unpublished_set_kwargs),
    "result-aggregation-publish": Entry(
        api_write(RESULTS, 200),
        method="post",
        kwargs=unpublished_set_wave_kwargs,
        data={"public": True},
    ),
    "result-aggregation-aggregate": Entry(
        api_write(RESULTS, 202),
        method="post",
        kwargs=lambda: {"pk": observation_wave().pk},
        data={},
    ),
    # API documentation
    "api-schema": Entry(everyone(200)),
    "api-docs": Entry(everyone(200)),
    "api-token": Entry(everyone(400), method="post", data={}),
    "api-root": Entry(everyone(200)),
    # Catalog API: public reads, catalog staff writes
    "industry-list": Entry(everyone(200)),
    "industry-detail": Entry(everyone(200), kwargs=industry_kwargs),
    "company-list": Entry(everyone(200)),
    "company-detail": Entry(everyone(200), kwargs=company_kwargs),
    "industry-group-list": Entry(everyone(200)),
    # The award night: a draft is the managers' preview, nothing to anyone else
    "award-event-list": Entry(everyone(200)),
    "award-event": Entry(preview_for(AWARD_ROLES), kwargs=draft_award()),
    "award-live": Entry(preview_for(AWARD_ROLES), kwargs=draft_award()),
    "award-live-feed": Entry(everyone(404), kwargs=draft_award()),
    "award-winners": Entry(preview_for(AWARD_ROLES), kwargs=draft_award()),
    "award-diploma": Entry(preview_for(AWARD_ROLES), kwargs=draft_award("diploma")),
    "award-event-api-list": Entry(everyone(200)),
    "award-event-api-detail": Entry(everyone(404), kwargs=draft_award()),
    "staff-award-list": Entry(html_for(AWARD_ROLES)),
    "staff-award-event": Entry(html_for(AWARD_ROLES), kwargs=draft_award("event")),
    "staff-award-decisions": Entry(html_for(AWARD_ROLES), kwargs=draft_award("event")),
    "staff-award-presenter": Entry(html_for(AWARD_ROLES), kwargs=draft_award("event")),
    "staff-award-category-create": Entry(html_for(AWARD_ROLES), kwargs=draft_award("event_pk")),
    "staff-award-category": Entry(html_for(AWARD_ROLES), kwargs=draft_award("category")),
    "staff-award-reveal": Entry(
        html_for(AWARD_ROLES, ok=409), method="post", kwargs=draft_award("category_pk")
    ),
    "staff-award-unreveal": Entry(
        html_for(AWARD_ROLES), method="post", kwargs=draft_award("category_pk")
    ),
    "staff-award-jury": Entry(html_for(AWARD_ROLES), kwargs=jury_kwargs("manage")),
    "jury-home": Entry(logged_in(200)),
    "jury-score": Entry(logged_in(404), kwargs=jury_kwargs()),
    "jury-nominee-document": Entry(
        {**logged_in(404), **dict.fromkeys([r.value for r in AWARD_ROLES], 200)},
        kwargs=jury_kwargs("document"),
    ),
    "industry-group-detail": Entry(everyone(200), kwargs=industry_group_kwargs),
    "indicator-list": Entry(api_write(RESULTS, 200)),
    "indicator-detail": Entry(api_write(RESULTS, 200), kwargs=indicator_kwargs),
    "company-import-file": Entry(
        api_write(CATALOG_ROLES, 400), method="post", data={}, multipart=True
    ),
    # Panels API: panel managers and staff admins only, reads included (personal data)
    "questionnaire-list": Entry(api_write(PANEL_ROLES, 200)),
    "questionnaire-detail": Entry(
        api_write(PANEL_ROLES, 200), kwargs=lambda: {"pk": WaveFactory().questionnaire_id}
    ),
    "questionnaire-import-xlsform": Entry(
        api_write(PANEL_ROLES, 400), method="post", data={}, multipart=True
    ),
    "questionnaire-xlsform": Entry(api_write(PANEL_ROLES, 200), kwargs=questionnaire_kwargs),
    "study-list": Entry(api_write(PANEL_ROLES, 200)),
    "study-detail": Entry(
        api_write(PANEL_ROLES, 200), kwargs=lambda: {"pk": WaveFactory().study_id}
    ),
    "wave-list": Entry(api_write(PANEL_ROLES, 200)),
    "wave-detail": Entry(api_write(PANEL_ROLES, 200), kwargs=lambda: {"pk": WaveFactory().pk}),
    "wave-invite": Entry(
        api_write(PANEL_ROLES, 201), method="post", kwargs=lambda: {"pk": WaveFactory().pk}, data={}
    ),
    "wave-send": Entry(
        api_write(PANEL_ROLES, 400), method="post", kwargs=lambda: {"pk": WaveFactory().pk}
    ),
    "wave-export": Entry(
        api_write(PANEL_ROLES, 202),
        method="post",
        kwargs=lambda: {"pk": WaveFactory().pk},
        data={"format": "codebook"},
    ),
    "export-list": Entry(api_write(PANEL_ROLES, 200)),
    "export-detail": Entry(api_write(PANEL_ROLES, 200), kwargs=export_job_kwargs),
    "export-download": Entry(api_write(PANEL_ROLES, 404), kwargs=export_job_kwargs),
    "panelist-list": Entry(api_write(PANEL_ROLES, 200)),
    "panelist-detail": Entry(
        api_write(PANEL_ROLES, 200), kwargs=lambda: {"pk": PanelistFactory().pk}
    ),
    "panelist-import-file": Entry(
        api_write(PANEL_ROLES, 400), method="post", data={}, multipart=True
    ),
    "panelist-erase": Entry(
        api_write(PANEL_ROLES, 200), method="post", kwargs=lambda: {"pk": PanelistFactory().pk}
    ),
    "panelist-export-data": Entry(
        api_write(PANEL_ROLES, 200), kwargs=lambda: {"pk": PanelistFactory().pk}
    ),
    "invitation-list": Entry(api_write(PANEL_ROLES, 200)),
    "invitation-detail": Entry(
        api_write(PANEL_ROLES, 200),
        kwargs=lambda: {
            "pk": Invitation.objects.get(token_hash=token_hash(invite(WaveFactory()))).pk
        },
    ),
    "response-list": Entry(api_write(PANEL_ROLES, 200)),
    "response-detail": Entry(
        api_write(PANEL_ROLES, 200), kwargs=lambda: {"pk": draft_response().pk}
    ),
    "response-invalidate": Entry(
        api_write(PANEL_ROLES, 400),
        method="post",
        kwargs=lambda: {"pk": draft_response().pk},
        data={"reason": "test"},
    ),
    # The token is the credential: anyone holding it may submit (400: no answers sent)
    # Observer API: own assignments only (another observer's is a 404)
    "fieldwork-assignment-list": Entry(api_write((Role.OBSERVER,), 200)),
    "fieldwork-assignment-detail": Entry(
        observer_only(api_write((Role.OBSERVER,), 200)), kwargs=others_assignment_kwargs
    ),
    "fieldwork-assignment-attempts": Entry(
        observer_only(api_write((Role.OBSERVER,), 201)),
        method="post",
        kwargs=others_assignment_kwargs,
        data={"started_at": "2026-01-05T10:00:00+01:00", "result": "no_answer"},
    ),
    "fieldwork-assignment-evaluation": Entry(
        observer_only(api_write((Role.OBSERVER,), 200)), kwargs=others_assignment_kwargs
    ),
    "fieldwork-assignment-submit": Entry(
        observer_only(api_write((Role.OBSERVER,), 200)),
        method="post",
        kwargs=others_assignment_kwargs,
    ),
    # QA review API: QA reviewers and staff admins
    "review-list": Entry(api_write(REVIEW_ROLES, 200)),
    "review-detail": Entry(api_write(REVIEW_ROLES, 200), kwargs=report_kwargs),
    "review-approve": Entry(api_write(REVIEW_ROLES, 200), method="post", kwargs=report_kwargs),
    "review-return": Entry(
        api_write(REVIEW_ROLES, 200),
        method="post",
        kwargs=report_kwargs,
        data={"reason": "Begrunn svaret om løsning."},
    ),
    "api-respond-submit": Entry(
        everyone(400), method="post", kwargs=lambda: {"token": invite(WaveFactory())}, data={}
    ),
    # Gala tickets: the shop and the buyer's order (the link's secret is the key)
    "ticket-shop": Entry(everyone(200), kwargs=shop_kwargs),
    "ticket-lookup": Entry(everyone(200), kwargs=shop_kwargs),
    "ticket-waiting-list": Entry(everyone(404), method="post", kwargs=shop_kwargs, data={}),
    "ticket-offer": Entry(everyone(200), kwargs=offer_kwargs),
    "ticket-order": Entry(everyone(200), kwargs=reserved_order_kwargs),
    "ticket-pdf": Entry(everyone(200), kwargs=invoiced_order_kwargs("position")),
    "ticket-ics": Entry(everyone(200), kwargs=invoiced_order_kwargs()),
    "ticket-invoice": Entry(everyone(200), kwargs=invoiced_order_kwargs("number")),
    "ticket-attendee": Entry(
        everyone(302), method="post", kwargs=invoiced_order_kwargs("position"), data={"name": "N"}
    ),
    "ticket-cancel-request": Entry(everyone(302), method="post", kwargs=invoiced_order_kwargs()),
    # Ticket sales in the staff console: award managers and staff admins
    "staff-ticket-events": Entry(html_for(TICKET_ROLES)),
    "staff-ticket-setup": Entry(html_for(TICKET_ROLES), kwargs=event_kwargs),
    "staff-ticket-type-create": Entry(html_for(TICKET_ROLES), kwargs=event_kwargs),
    "staff-ticket-type-edit": Entry(html_for(TICKET_ROLES), kwargs=ticket_type_kwargs),
    "staff-voucher-create": Entry(html_for(TICKET_ROLES), kwargs=event_kwargs),
    "staff-voucher-edit": Entry(html_for(TICKET_ROLES), kwargs=voucher_kwargs),
    "staff-order-list": Entry(html_for(TICKET_ROLES), kwargs=event_kwargs),
    "staff-order-export": Entry(html_for(TICKET_ROLES), kwargs=event_kwargs),
    "staff-bank-import": Entry(html_for(TICKET_ROLES), kwargs=event_kwargs),
    "staff-order-detail": Entry(html_for(TICKET_ROLES), kwargs=staff_order_kwargs()),
    "staff-invoice-document": Entry(html_for(TICKET_ROLES), kwargs=staff_order_kwargs("invoice")),
    "staff-sales-dashboard": Entry(html_for(TICKET_ROLES), kwargs=event_kwargs),
    # The door: door staff (and award managers, staff admins)
    "checkin-events": Entry(html_for(DOOR_ROLES)),
    "checkin-scanner": Entry(html_for(DOOR_ROLES), kwargs=event_kwargs),
    "checkin-search": Entry(html_for(DOOR_ROLES), kwargs=event_kwargs),
    "checkin-counter": Entry(html_for(DOOR_ROLES), kwargs=event_kwargs),
    "checkin-export": Entry(html_for(DOOR_ROLES), kwargs=event_kwargs),
    "api-checkin": Entry(api_write(DOOR_ROLES, 400), method="post", data={}),
    # The provider's signature is the credential: none is a 400 for anyone
    "api-payment-webhook": Entry(
        everyone(400), method="post", kwargs=lambda: {"provider": "stripe"}, data={}
    ),
    "ticket-type-list": Entry(api_write(TICKET_ROLES, 200)),
    "ticket-type-detail": Entry(
        api_write(TICKET_ROLES, 200), kwargs=lambda: {"pk": shop_with_type()[1].pk}
    ),
    "award-order-list": Entry(api_write(TICKET_ROLES, 200)),
    "award-order-detail": Entry(api_write(TICKET_ROLES, 200), kwargs=api_order_kwargs),
    "award-order-mark-paid": Entry(
        api_write(TICKET_ROLES, 400), method="post", kwargs=api_order_kwargs, data={}
    ),
    "award-order-cancel": Entry(
        api_write(TICKET_ROLES, 200), method="post", kwargs=api_order_kwargs, data={}
    ),
    # Webhooks: staff admins only, in the console and the API (receivers get personal data)
    "staff-webhook-list": Entry(html_for(WEBHOOK_ROLES)),
    "staff-webhook-create": Entry(html_for(WEBHOOK_ROLES)),
    "staff-webhook-detail": Entry(html_for(WEBHOOK_ROLES), kwargs=webhook_endpoint_kwargs),
    "staff-webhook-edit": Entry(html_for(WEBHOOK_ROLES), kwargs=webhook_endpoint_kwargs),
    "staff-webhook-rotate": Entry(html_for(WEBHOOK_ROLES), kwargs=webhook_endpoint_kwargs),
    "staff-webhook-action": Entry(
        html_for(WEBHOOK_ROLES, ok=302),
        method="post",
        kwargs=webhook_endpoint_kwargs,
        data={"action": "pause"},
    ),
    "staff-webhook-delivery": Entry(html_for(WEBHOOK_ROLES), kwargs=webhook_delivery_kwargs),
    "webhook-endpoint-list": Entry(api_write(WEBHOOK_ROLES, 200)),
    "webhook-endpoint-detail": Entry(api_write(WEBHOOK_ROLES, 200), kwargs=webhook_endpoint_kwargs),
    "webhook-endpoint-rotate-secret": Entry(
        api_write(WEBHOOK_ROLES, 200), method="post", kwargs=webhook_endpoint_kwargs, data={}
    ),
    "webhook-endpoint-test": Entry(
        api_write(WEBHOOK_ROLES, 202), method="post", kwargs=webhook_endpoint_kwargs
    ),
    "webhook-endpoint-pause": Entry(
        api_write(WEBHOOK_ROLES, 200), method="post", kwargs=webhook_endpoint_kwargs
    ),
    "webhook-endpoint-resume": Entry(
        api_write(WEBHOOK_ROLES, 200), method="post", kwargs=webhook_endpoint_kwargs
    ),
    "webhook-delivery-list": Entry(api_write(WEBHOOK_ROLES, 200)),
    "webhook-delivery-detail": Entry(api_write(WEBHOOK_ROLES, 200), kwargs=webhook_delivery_kwargs),
    "webhook-delivery-redeliver": Entry(
        api_write(WEBHOOK_ROLES, 202), method="post", kwargs=webhook_delivery_kwargs
    ),
    "webhook-event-type-list": Entry(api_write(WEBHOOK_ROLES, 200)),
}
# Writes on the same routes are checked separately: one route name, several methods.
WRITES: list[tuple[str, str, Entry]] = [
    ("ticket-shop", "post", Entry(everyone(400), method="post", kwargs=shop_kwargs, data={})),
    ("ticket-lookup", "post", Entry(everyone(400), method="post", kwargs=shop_kwargs, data={})),
    (
        "ticket-order",
        "post",
        Entry(everyone(400), method="post", kwargs=reserved_order_kwargs, data={}),
    ),
    (
        "staff-ticket-setup",
        "post",
        Entry(html_for(TICKET_ROLES, ok=400), method="post", kwargs=event_kwargs, data={}),
    ),
    (
        "staff-bank-import",
        "post",
        Entry(html_for(TICKET_ROLES, ok=400), method="post", kwargs=event_kwargs, data={}),
    ),
    (
        "staff-order-detail",
        "post",
        Entry(
            html_for(TICKET_ROLES, ok=302),
            method="post",
            kwargs=staff_order_kwargs(),
            data={"action": "resend"},
        ),
    ),
    (
        "ticket-type-list",
        "post",
        Entry(api_write(TICKET_ROLES, 400), method="post", data={}),
    ),
    (
        "staff-webhook-create",
        "post",
        Entry(html_for(WEBHOOK_ROLES, ok=400), method="post", data={"url": "ftp://x"}),
    ),
    (
        "staff-webhook-edit",
        "post",
        Entry(
            html_for(WEBHOOK_ROLES, ok=400),
            method="post",
            kwargs=webhook_endpoint_kwargs,
            data={},
        ),
    ),
    (
        "staff-episode-create",
        "post",
        Entry(
            html_for(EPISODE_ROLES, ok=400),
            method="post",
            kwargs=lambda: {"wave_pk": WaveFactory().pk},
            data={},
        ),
    ),
    (
        "staff-webhook-rotate",
        "post",
        Entry(
            html_for(WEBHOOK_ROLES),
            method="post",
            kwargs=webhook_endpoint_kwargs,
            data={"grace_hours": "24"},
        ),
    ),
    (
        "staff-webhook-delivery",
        "post",
        Entry(html_for(WEBHOOK_ROLES, ok=302), method="post", kwargs=webhook_delivery_kwargs),
    ),
    ("webhook-endpoint-list", "post", Entry(api_write(WEBHOOK_ROLES, 400), method="post", data={})),
    (
        "webhook-endpoint-detail",
        "patch",
        Entry(
            api_write(WEBHOOK_ROLES, 200),
            method="patch",
            kwargs=webhook_endpoint_kwargs,
            data={"description": "CRM"},
        ),
    ),
    (
        "webhook-endpoint-detail",
        "delete",
        Entry(api_write(WEBHOOK_ROLES, 204), method="delete", kwargs=webhook_endpoint_kwargs),
    ),
    (
        "staff-episode-edit",
        "post",
        Entry(
            html_for(EPISODE_ROLES, ok=400),
            method="post",
            kwargs=lambda: {"pk": scheduled_episode().pk},
            data={"action": "unschedule"},
        ),
    ),
    ("temperature-subscribe", "post", Entry(everyone(400), method="post", data={})),
    (
        "temperature-confirm",
        "post",
        Entry(everyone(200), method="post", kwargs=subscriber_kwargs("confirm")),
    ),
    (
        "temperature-unsubscribe",
        "post",
        Entry(everyone(200), method="post", kwargs=subscriber_kwargs("unsubscribe")),
    ),
    (
        "staff-questionnaire-list",
        "post",
        Entry(html_for(PANEL_ROLES, ok=400), method="post", data={"slug": "x y"}),
    ),
    (
        "staff-builder-question",
        "post",
        Entry(html_for(PANEL_ROLES, ok=400), method="post", kwargs=question_kwargs, data={}),
    ),
    (
        "staff-wave-export",
        "post",
        Entry(
            html_for(PANEL_ROLES, ok=302),
            method="post",
            kwargs=lambda: {"pk": WaveFactory().pk},
            data={"format": "codebook"},
        ),
    ),
    ("industry-list", "post", Entry(api_write(CATALOG_ROLES, 400), method="post", data={})),
    (
        "industry-group-list",
        "post",
        Entry(api_write(CATALOG_ROLES, 400), method="post", data={}),
    ),
    (
        "industry-group-detail",
        "delete",
        Entry(api_write(CATALOG_ROLES, 204), method="delete", kwargs=industry_group_kwargs),
    ),
    ("indicator-list", "post", Entry(api_write(RESULTS, 400), method="post", data={})),
    (
        "indicator-detail",
        "delete",
        Entry(api_write(RESULTS, 204), method="delete", kwargs=indicator_kwargs),
    ),
    ("company-list", "post", Entry(api_write(CATALOG_ROLES, 400), method="post", data={})),
    (
        "company-detail",
        "patch",
        Entry(
            api_write(CATALOG_ROLES, 200),
            method="patch",
            kwargs=company_kwargs,
            data={"website": "https://ny.example.no"},
        ),
    ),
    (
        "industry-detail",
        "delete",
        Entry(api_write(CATALOG_ROLES, 204), method="delete", kwargs=industry_kwargs),
    ),
    (
        "observer-assignment",
        "post",
        Entry(
            observer_only(html_for((Role.OBSERVER,))),
            method="post",
            kwargs=others_assignment_kwargs,
            data={"action": "attempt", "started_at": "2026-01-05T10:00", "result": "no_answer"},
        ),
    ),
    (
        "staff-review-detail",
        "post",
        Entry(
            html_for(REVIEW_ROLES, ok=302),
            method="post",
            kwargs=report_kwargs,
            data={"action": "approve"},
        ),
    ),
    (
        "staff-observer-create",
        "post",
        Entry(html_for(OBSERVATION_ROLES, ok=400), method="post", data={}),
    ),
    (
        "staff-observation-setup",
        "post",
        Entry(
            html_for(OBSERVATION_ROLES, ok=302),
            method="post",
            kwargs=observation_wave_kwargs,
            data={"action": "plan"},
        ),
    ),
    (
        "staff-assignment-move",
        "post",
        Entry(
            html_for(OBSERVATION_ROLES, ok=400),
            method="post",
            kwargs=others_assignment_kwargs,
            data={"week": "99"},
        ),
    ),
    (
        "staff-calibration-list",
        "post",
        Entry(html_for(OBSERVATION_ROLES, ok=400), method="post", data={}),
    ),
    (
        "observer-calibration",
        "post",
        Entry(
            observer_only(html_for((Role.OBSERVER,))),
            method="post",
            kwargs=calibration_kwargs,
            data={"valued": "yes"},
        ),
    ),
    (
        "fieldwork-assignment-evaluation",
        "put",
        Entry(
            observer_only(api_write((Role.OBSERVER,), 200)),
            method="put",
            kwargs=others_assignment_kwargs,
            data={"answers": {"valued": "yes"}},
        ),
    ),
]


def all_url_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns: list[Any], namespace: str | None) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                ns = pattern.namespace or namespace
                if pattern.namespace == "admin":
                    names.add("admin:index")  # Django's own admin guards itself
                    continue
                walk(pattern.url_patterns, ns)
            elif isinstance(pattern, URLPattern):
                if pattern.name is None:
                    raise AssertionError(f"URL pattern without a name: {pattern.pattern}")
                names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver().url_patterns, None)
    return names


def test_every_url_has_an_entry() -> None:
    names = all_url_names()
    missing = names - MATRIX.keys()
    stale = MATRIX.keys() - names
    assert not missing, f"URLs without a permission-matrix entry: {sorted(missing)}"
    assert not stale, f"Matrix entries for URLs that no longer exist: {sorted(stale)}"


def request_as(client: Any, role: str, entry: Entry, name: str) -> int:
    if role != ANON:
        client.force_login(UserFactory(roles=[role]))
    url = reverse(name, kwargs=entry.kwargs())
    call = getattr(client, entry.method)
    if entry.method == "get":
        response = call(url)
    elif url.startswith("/api/") and not entry.multipart:
        response = call(url, data=entry.data or {}, content_type="application/json")
    else:
        response = call(url, data=entry.data or {})
    return response.status_code


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_route_answers_each_role(client: Any, name: str, role: str) -> None:
    entry = MATRIX[name]
    assert request_as(client, role, entry, name) == entry.expect[role]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("name", "method", "entry"), WRITES, ids=[f"{n}-{m}" for n, m, _ in WRITES]
)
def test_writes_answer_each_role(
    client: Any, name: str, method: str, entry: Entry, role: str
) -> None:
    assert request_as(client, role, entry, name) == entry.expect[role]


@pytest.mark.django_db
def test_an_observer_sees_and_edits_only_their_own_assignments(client: Any) -> None:
    observer = ObserverFactory()
    mine, theirs = AssignmentFactory(observer=observer), AssignmentFactory()
    client.force_login(observer.user)
    for name, kwargs in [
        ("observer-assignment", {}),
        ("fieldwork-assignment-detail", {}),
        ("fieldwork-assignment-evaluation", {}),
    ]:
        assert client.get(reverse(name, kwargs={"pk": mine.pk, **kwargs})).status_code == 200
        assert client.get(reverse(name, kwargs={"pk": theirs.pk, **kwargs})).status_code == 404
    attempt = {"started_at": "2026-01-05T10:00:00+01:00", "result": "no_answer"}
    for assignment, expected in [(theirs, 404), (mine, 201)]:
        url = reverse("fieldwork-assignment-attempts", kwargs={"pk": assignment.pk})
        assert client.post(url, attempt, content_type="application/json").status_code == expected
    assert list(Assignment.objects.filter(attempts__isnull=False)) == [mine]


@pytest.mark.django_db
def test_qa_cannot_review_a_report_they_made_as_observer(client: Any) -> None:
    both = UserFactory(roles=[Role.OBSERVER, Role.QA_REVIEWER])
    own = submitted_report(AssignmentFactory(observer=ObserverFactory(user=both)))
    other = submitted_report()
    client.force_login(both)
    assert (
        client.post(
            reverse("staff-review-detail", args=[own.pk]), {"action": "approve"}
        ).status_code
        == 403
    )
    assert client.post(reverse("review-approve", args=[own.pk])).status_code == 403
    returned = client.post(
        reverse("review-return", args=[own.pk]), {"reason": "x"}, content_type="application/json"
    )
    assert returned.status_code == 403
    assert client.post(reverse("review-approve", args=[other.pk])).status_code == 200
    own.refresh_from_db()
    assert own.status == AssignmentStatus.SUBMITTED


def test_the_results_permission_is_the_analysts_and_staff_admins() -> None:
    """Panel managers and editors may read unpublished results but never publish, hide or
    aggregate them."""
    assert set(roles.RESULTS_ROLES) == set(RESULTS)
    assert set(roles.RESULTS_PREVIEW_ROLES) == set(RESULTS_PREVIEW)
