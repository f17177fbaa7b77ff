"""Reads of the award night that pages, the API and services share.

Finalists of a rule category come from the wave's current *published* results, read through
``surveys.result_selectors`` only. How a category is decided:

- only rows that are published count: a suppressed row (fewer answers than the wave's minimum n)
  never qualifies, nor one below the category's own minimum n;
- companies are ordered by their figure as published (rounded); equal rounded figures share a
  rank, and the category's declared tie-break orders them: higher n, another measure, or the jury
  (then the manager decides);
- the finalists are the first ``finalist_count`` (more when a tie the rule cannot order crosses
  the cut);
- the leader and any finalist whose 95 % intervals overlap are *statistically tied*: shown so on
  every page with both intervals. The leader still wins under "higher n" or "another measure";
  under "the jury decides" a statistical tie at the top needs the manager's choice.
"""

import functools
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from awards.models import (
    AwardCategory,
    AwardDecision,
    AwardEvent,
    CategoryKind,
    CheckIn,
    EventState,
    Invoice,
    InvoiceKind,
    JuryCriterion,
    JuryMember,
    JuryNominee,
    JuryScore,
    Order,
    OrderLine,
    OrderStatus,
    Placement,
    Ticket,
    TicketShop,
    TicketType,
    TieBreak,
    WaitingListEntry,
    WaitingStatus,
)
from awards.services.money import vat_in
from kundeservice.caching import visibility_version
from kundeservice.compiled import CompiledQuery
from kundeservice.pagecache import field_values
from kundeservice.roles import Role, user_has_role
from surveys import result_selectors

#: The public cache's namespace for award pages (``kundeservice.caching``).
AWARDS_NAMESPACE = "awards"
#: Who runs the award night: they see everything, embargoed or not.
AWARD_ROLES = (Role.STAFF_ADMIN, Role.AWARD_MANAGER)
#: What a rule category's metric reads in the results.
METRIC_OF = {
    "score": "mean",
    "area": "mean",
    "question_mean": "mean",
    "question_share": "share",
    "nps": "nps",
    "indicator": "share",
}


def is_award_manager(user: Any) -> bool:
    return user_has_role(user, *AWARD_ROLES)


# --- Finalists from results ------------------------------------------------------------------


@dataclass
class Candidate:
    """A company's figure in a category, as it would be confirmed."""

    company: Any
    value: float
    n: int
    ci_low: float | None
    ci_high: float | None
    rank: int = 0
    tie_value: float | None = None  # the tie-break measure's figure, when the rule uses one
    statistically_tied: bool = False

    @property
    def interval(self) -> tuple[float, float] | None:
        if self.ci_low is None or self.ci_high is None:
            return None
        return (self.ci_low, self.ci_high)


@dataclass
class Excluded:
    company: Any
    n: int
    reason: str


@dataclass
class Computed:
    """A rule category's finalists and winner as the current published results decide."""

    result_set: Any = None
    finalists: list[Candidate] = field(default_factory=list)
    winner: Candidate | None = None
    needs_decision: bool = False  # a tie at the top that the declared rule leaves open
    tie_note: str = ""
    excluded: list[Excluded] = field(default_factory=list)
    problem: str = ""  # why nothing could be computed


def computed_finalists(category: AwardCategory) -> Computed:
    """The category's finalists and winner from the wave's current published results."""
    if category.kind != CategoryKind.RULE or category.wave_id is None:
        return Computed(problem=_("A jury decides this category."))
    metric = METRIC_OF.get(category.metric, "mean")
    league = result_selectors.award_league(
        wave_id=category.wave_id,
        measure=category.measure,
        metric=metric,
        scope=category.scope,
        industry_id=category.industry_id,
        channel=category.channel,
    )
    if league is None:
        return Computed(problem=_("The wave has no published results yet."))
    minimum = category.minimum_n or league.minimum_n
    computed = Computed(result_set=league.result_set)
    candidates = []
    for row in league.rows:
        if row.suppressed or row.value is None:
            computed.excluded.append(
                Excluded(row.company, row.n, _("not published: fewer answers than the wave needs"))
            )
        elif row.n < minimum:
            computed.excluded.append(
                Excluded(
                    row.company,
                    row.n,
                    _("below the category's minimum n of %(n)d") % {"n": minimum},
                )
            )
        else:
            candidates.append(Candidate(row.company, row.value, row.n, row.ci_low, row.ci_high))
    if not candidates:
        computed.problem = _("No company qualifies.")
        return computed
    ranks = result_selectors.competition_ranks([c.value for c in candidates], league.decimals)
    for candidate, rank in zip(candidates, ranks, strict=True):
        candidate.rank = rank or 0
    if category.tie_break == TieBreak.OTHER_METRIC and category.tie_break_measure:
        others = result_selectors.award_values(
            result_set=league.result_set,
            measure=category.tie_break_measure,
            scope=category.scope,
            company_ids=[c.company.pk for c in candidates],
            channel=category.channel,
        )
        for candidate in candidates:
            other = others.get(candidate.company.pk)
            if other is not None and not other.suppressed:
                candidate.tie_value = other.value
    ordered = sorted(candidates, key=lambda c: _order(c, category.tie_break))
    computed.finalists = _cut(ordered, category.finalist_count, category.tie_break)
    _decide(computed, category.tie_break)
    return computed


def _order(candidate: Candidate, rule: str) -> tuple[Any, ...]:
    """Rank first; within a shared rank, the declared rule; then name (stable, never decides:
    an unresolved tie is reported as such)."""
    within: float
    if rule == TieBreak.HIGHER_N:
        within = -candidate.n
    elif rule == TieBreak.OTHER_METRIC:
        within = -(candidate.tie_value if candidate.tie_value is not None else float("-inf"))
    else:
        within = 0
    return (candidate.rank, within, candidate.company.name)


def _tie_key(candidate: Candidate, rule: str) -> tuple[Any, ...]:
    """What the rule orders a shared rank by: equal keys are a tie the rule leaves open."""
    return _order(candidate, rule)[:2]


def _cut(ordered: list[Candidate], count: int, rule: str) -> list[Candidate]:
    finalists = ordered[:count]
    if len(ordered) > count:
        last = _tie_key(ordered[count - 1], rule)
        finalists += [c for c in ordered[count:] if _tie_key(c, rule) == last]
    return finalists


def _decide(computed: Computed, rule: str) -> None:
    leader, *others = computed.finalists
    same = [c for c in others if _tie_key(c, rule) == _tie_key(leader, rule)]
    for other in others:
        if (
            leader.interval
            and other.interval
            and result_selectors.intervals_overlap(leader.interval, other.interval)
        ):
            leader.statistically_tied = other.statistically_tied = True
    if same:
        computed.needs_decision = True
        computed.tie_note = _("Equal figures that the tie-break rule does not separate: choose.")
    elif rule == TieBreak.JURY and leader.statistically_tied:
        computed.needs_decision = True
        computed.tie_note = _(
            "The leader is statistically tied and the jury decides ties: choose the winner."
        )
    elif others and others[0].rank == leader.rank:
        computed.tie_note = _("Equal figures, separated by the tie-break rule.")
    elif leader.statistically_tied:
        computed.tie_note = _(
            "The leader's interval overlaps another finalist's: statistically tied. The "
            "declared rule gives the prize to the higher figure."
        )
    computed.winner = None if computed.needs_decision else leader


@dataclass
class Drift:
    """How a confirmed category's finalists differ from what the results say now."""

    computed: Computed
    changes: list[str]


def confirmation_drift(category: AwardCategory) -> Drift | None:
    """For a confirmed rule category: None while the results are those confirmed; else what
    changed ("results changed since you confirmed")."""
    if category.kind != CategoryKind.RULE or not category.is_confirmed:
        return None
    computed = computed_finalists(category)
    confirmed_set = category.confirmed_result_set_id
    if computed.result_set is not None and computed.result_set.pk == confirmed_set:
        return None
    placements = {p.company_id: p for p in category.placements.all()}
    now = {c.company.pk: c for c in computed.finalists}
    changes = []
    for company_id, placement in placements.items():
        candidate = now.get(company_id)
        if candidate is None:
            changes.append(
                _("%(company)s is no longer a finalist.") % {"company": placement.entrant_name}
            )
        elif placement.value is not None and abs(candidate.value - placement.value) >= 0.05:
            changes.append(
                _("%(company)s: %(before).1f then, %(now).1f now.")
                % {
                    "company": placement.entrant_name,
                    "before": placement.value,
                    "now": candidate.value,
                }
            )
    for company_id, candidate in now.items():
        if company_id not in placements:
            changes.append(
                _("%(company)s is now a finalist.") % {"company": candidate.company.name}
            )
    winner = next((p for p in placements.values() if p.is_winner), None)
    if computed.winner and winner and computed.winner.company.pk != winner.company_id:
        changes.append(
            _("The results now put %(company)s first.") % {"company": computed.winner.company.name}
        )
    if computed.result_set is None:
        changes.append(_("The wave's results are no longer published."))
    return Drift(computed=computed, changes=changes or [_("New results, with the same finalists.")])


# --- Jury ----------------------------------------------------------------------------------


@dataclass
class NomineeResult:
    nominee: JuryNominee
    score: float | None  # 0–100, the mean over the members who scored it completely
    scored_by: int
    members: int  # members without a conflict with it


def jury_results(category: AwardCategory) -> list[NomineeResult]:
    """Each nominee's weighted jury score, best first (four queries)."""
    criteria = list(category.criteria.all())
    weights = {c.pk: float(c.weight) for c in criteria}
    scales = {c.pk: (c.scale_min, c.scale_max) for c in criteria}
    members = list(category.jury.prefetch_related("conflicts"))
    conflicted = {(m.pk, c.nominee_id) for m in members for c in m.conflicts.all()}
    scores: dict[tuple[int, int], dict[int, int]] = defaultdict(dict)
    for score in JuryScore.objects.filter(nominee__category=category):
        scores[(score.member_id, score.nominee_id)][score.criterion_id] = score.score
    results = []
    for nominee in category.nominees.select_related("company"):
        eligible = [m for m in members if (m.pk, nominee.pk) not in conflicted]
        per_member = []
        for member in eligible:
            given = scores.get((member.pk, nominee.pk), {})
            if criteria and all(c.pk in given for c in criteria):
                per_member.append(
                    sum(weights[c] * _on_100(given[c], scales[c]) for c in weights)
                    / sum(weights.values())
                )
        results.append(
            NomineeResult(
                nominee=nominee,
                score=sum(per_member) / len(per_member) if per_member else None,
                scored_by=len(per_member),
                members=len(eligible),
            )
        )
    return sorted(results, key=lambda r: (r.score is None, -(r.score or 0), r.nominee.position))


def _on_100(score: int, scale: tuple[int, int]) -> float:
    low, high = scale
    return (score - low) / (high - low) * 100.0


@dataclass
class MemberProgress:
    member: JuryMember
    scored: int  # nominees scored on every criterion
    to_score: int  # nominees without a conflict


def jury_progress(category: AwardCategory) -> list[MemberProgress]:
    """Who has scored what (for the manager)."""
    criteria = set(category.criteria.values_list("pk", flat=True))
    nominees = set(category.nominees.values_list("pk", flat=True))
    given: dict[tuple[int, int], set[int]] = defaultdict(set)
    for member_id, nominee_id, criterion_id in JuryScore.objects.filter(
        member__category=category
    ).values_list("member_id", "nominee_id", "criterion_id"):
        given[(member_id, nominee_id)].add(criterion_id)
    progress = []
    for member in category.jury.select_related("user").prefetch_related("conflicts"):
        mine = nominees - {c.nominee_id for c in member.conflicts.all()}
        done = sum(1 for n in mine if criteria and given[(member.pk, n)] >= criteria)
        progress.append(MemberProgress(member=member, scored=done, to_score=len(mine)))
    return progress


def jury_memberships(user: Any) -> QuerySet[JuryMember]:
    """The jury categories a user sits on."""
    return JuryMember.objects.filter(user=user).select_related("category__event")


def nominees_for_member(member: JuryMember) -> list[JuryNominee]:
    """The nominees a member may see and score: all but those they declared a conflict with."""
    conflicted = member.conflicts.values_list("nominee_id", flat=True)
    return list(member.category.nominees.exclude(pk__in=conflicted).select_related("company"))


def member_scores(member: JuryMember) -> dict[tuple[int, int], int]:
    return {
        (s.nominee_id, s.criterion_id): s.score for s in JuryScore.objects.filter(member=member)
    }


def criteria_of(category: AwardCategory) -> list[JuryCriterion]:
    return list(category.criteria.all())


# --- What the public may see -----------------------------------------------------------------


@dataclass
class PublicCategory:
    category: AwardCategory
    finalists: list[Placement]  # empty before the finalists are public
    winner: Placement | None  # None until revealed


@dataclass
class PublicEvent:
    event: AwardEvent
    finalists_public: bool
    categories: list[PublicCategory]

    @property
    def revealed(self) -> list[PublicCategory]:
        return [c for c in self.categories if c.winner is not None]


def event_for(*, slug: str, user: Any) -> AwardEvent | None:
    """The event at ``slug`` if the user may see it: award managers always, others once it
    left draft."""
    event = AwardEvent.objects.filter(slug=slug).first()
    if event is None or (not event.is_public and not is_award_manager(user)):
        return None
    return event


def public_event(
    event: AwardEvent, *, now: datetime | None = None, manager: bool = False
) -> PublicEvent:
    """The event's categories as the public sees them now: confirmed finalists once the
    finalists are public, each winner once revealed (a manager previewing sees it all)."""
    now = now or timezone.now()
    finalists_public = manager or event.finalists_public(now)
    placements = Placement.objects.select_related("company", "nominee__company").order_by(
        "position"
    )
    categories = event.categories.prefetch_related(
        Prefetch("placements", queryset=placements)
    ).order_by("position", "id")
    shown = []
    for category in categories:
        confirmed = list(category.placements.all()) if category.is_confirmed else []
        finalists = confirmed if finalists_public else []
        revealed = category.is_revealed or manager
        winner = next((p for p in finalists if p.is_winner), None) if revealed else None
        shown.append(PublicCategory(category=category, finalists=finalists, winner=winner))
    return PublicEvent(event=event, finalists_public=finalists_public, categories=shown)


def public_token(*, slug: str, now: datetime | None = None) -> str | None:
    """What an anonymous page of the event shows, as a cache token (None: not public): the
    event's state and whether its finalists are public yet. Reveals move the "awards"
    visibility version, which the cache key carries too."""
    found = AwardEvent.objects.filter(slug=slug).values_list("pk", "state", "finalists_public_at")
    row = found.first()
    if row is None or row[1] == EventState.DRAFT:
        return None
    pk, state, finalists_at = row
    return f"{pk}:{state}:{int((now or timezone.now()) >= finalists_at)}"


def live_etag(token: str) -> str:
    """The live feed's ETag: what it shows changes only with a reveal (the awards visibility
    version) or the event's state and finalists (the token), in the active language."""
    return f'"{visibility_version(AWARDS_NAMESPACE)}-{token}-{get_language()}"'


def award_night_for_wave(*, wave_id: int) -> AwardEvent | None:
    """The public award night whose categories a wave decides; else the next public one."""
    public = AwardEvent.objects.exclude(state=EventState.DRAFT)
    return (
        public.filter(categories__wave_id=wave_id).order_by("-starts_at").first()
        or public.filter(starts_at__gte=timezone.now()).order_by("starts_at").first()
    )


def prizes_won(*, company_id: int) -> list[Placement]:
    """The revealed prizes a company won, newest event first (for its results pages)."""
    return list(
        Placement.objects.filter(
            company_id=company_id,
            is_winner=True,
            category__revealed_at__isnull=False,
            category__event__state__in=[
                EventState.LIVE,
                EventState.CLOSED,
                EventState.FINALISTS_PUBLIC,
            ],
        )
        .select_related("category__event")
        .order_by("-category__event__starts_at", "category__position")
    )


def decisions_for(event: AwardEvent) -> QuerySet[AwardDecision]:
    return event.decisions.select_related("category", "actor")


# --- Tickets -------------------------------------------------------------------------------


@dataclass
class Holdings:
    """Tickets (units of each type) and seats held, and wanted by those waiting."""

    held: dict[int, int] = field(default_factory=dict)
    queued: dict[int, int] = field(default_factory=dict)
    seats_held: int = 0
    seats_queued: int = 0


def holding_orders(*, now: datetime) -> Q:
    """Orders whose tickets hold seats at ``now``: paid, invoiced, awaiting card payment, and
    reservations not yet expired."""
    return Q(order__status__in=[OrderStatus.PENDING, OrderStatus.INVOICED, OrderStatus.PAID]) | Q(
        order__status=OrderStatus.RESERVED, order__expires_at__gt=now
    )


def capacity_holdings(
    *,
    event: AwardEvent,
    types: dict[int, TicketType],
    now: datetime,
    except_offer: int | None = None,
    except_order: int | None = None,
) -> Holdings:
    """What holds the event's seats at ``now``: counting orders (but ``except_order``, the
    reservation being made) and open waiting-list offers (but ``except_offer``), and what the
    waiting list wants. One statement (a UNION), so the
    orders and the waiting list are read from one snapshot even outside a transaction.

    The statement's text is built once per process (``_holdings_statement``): compiling the
    two ORM aggregates cost more than running them, on every reservation and sold-out
    refusal of a rush."""
    holdings = Holdings()
    at = connection.ops.adapt_datetimefield_value(now)
    params: list[Any] = [
        event.pk,
        OrderStatus.PENDING,
        OrderStatus.INVOICED,
        OrderStatus.PAID,
        OrderStatus.RESERVED,
        at,
        except_order or 0,  # ids start at 1: 0 excludes no order
        event.pk,
        WaitingStatus.WAITING,
        WaitingStatus.OFFERED,
        at,
        except_offer or 0,  # ids start at 1: 0 excludes no entry
    ]
    with connection.cursor() as cursor:
        cursor.execute(_holdings_statement(), params)
        rows = cursor.fetchall()
    for type_id, status, units in rows:
        units = int(units)
        seats = units * types[type_id].seats
        if status == WaitingStatus.WAITING:
            holdings.queued[type_id] = holdings.queued.get(type_id, 0) + units
            holdings.seats_queued += seats
        else:
            holdings.held[type_id] = holdings.held.get(type_id, 0) + units
            holdings.seats_held += seats
    return holdings


@functools.cache
def _holdings_statement() -> str:
    """``capacity_holdings``' statement: the units of each ticket type that orders holding
    seats (``holding_orders``) hold, and the waiting list's wanted and offered units."""
    quote = connection.ops.quote_name
    line, order, entry = (
        quote(model._meta.db_table) for model in (OrderLine, Order, WaitingListEntry)
    )
    # Only names from the models' metadata go into the text; every value is a parameter.
    return (
        f"SELECT l.ticket_type_id, 'order', SUM(l.quantity) FROM {line} l "  # noqa: S608
        f"JOIN {order} o ON o.id = l.order_id "
        "WHERE o.event_id = %s AND (o.status IN (%s, %s, %s) "
        "OR (o.status = %s AND o.expires_at > %s)) AND o.id <> %s "
        "GROUP BY l.ticket_type_id "
        "UNION ALL "
        f"SELECT w.ticket_type_id, w.status, SUM(w.quantity) FROM {entry} w "
        "WHERE w.event_id = %s AND (w.status = %s OR (w.status = %s AND w.offer_expires_at > %s)) "
        "AND w.id <> %s "
        "GROUP BY w.ticket_type_id, w.status"
    )


@dataclass(frozen=True)
class ShopState:
    """An event's ticket types and what holds its seats, read once at ``now``: the shop page's
    rows and a reservation's check without the lock (``order_reserve``) share it."""

    types: dict[int, TicketType]
    holdings: Holdings
    now: datetime


#: The event's ticket types in the shop's order (compiled once: a rush reads them on every
#: reservation and refusal).
_EVENT_TYPES: CompiledQuery[TicketType] = CompiledQuery(
    lambda event_id: TicketType.objects.filter(event_id=event_id), event_id=int
)
#: An event by its slug with its ticket shop (None if it has none).
_EVENT_WITH_SHOP: CompiledQuery[AwardEvent] = CompiledQuery(
    lambda slug: AwardEvent.objects.filter(slug=slug).select_related("ticket_shop")[:1], slug=str
)


def event_with_shop(*, slug: str) -> AwardEvent | None:
    """The event with this slug, its ticket shop read with it; None if there is none."""
    return _EVENT_WITH_SHOP.first(slug=slug[:80])


def shop_state(*, event: AwardEvent, now: datetime | None = None) -> ShopState:
    """The event's ticket types and holdings at ``now``. Two queries."""
    now = now or timezone.now()
    types = {t.pk: t for t in _EVENT_TYPES.fetch(event_id=event.pk)}
    return ShopState(
        types=types, holdings=capacity_holdings(event=event, types=types, now=now), now=now
    )


def seats_left(*, shop: TicketShop, holdings: Holdings, public: bool = True) -> int:
    """Seats left in the event; for the public, after those the waiting list wants."""
    queued = holdings.seats_queued if public else 0
    return max(0, shop.capacity - holdings.seats_held - queued)


def tickets_left(
    *, shop: TicketShop, ticket_type: TicketType, holdings: Holdings, public: bool = True
) -> int:
    """Tickets of a type that can still be sold: within its own capacity and the event's."""
    queued = holdings.queued.get(ticket_type.pk, 0) if public else 0
    own = ticket_type.capacity - holdings.held.get(ticket_type.pk, 0) - queued
    in_event = seats_left(shop=shop, holdings=holdings, public=public) // ticket_type.seats
    return max(0, min(own, in_event))


@dataclass(frozen=True)
class ShopRow:
    ticket_type: TicketType
    left: int
    vat: int
    on_sale: bool

    @property
    def choices(self) -> range:
        """The quantities a buyer may choose: 0 up to the most per order or what is left."""
        return range(min(self.ticket_type.max_per_order, self.left) + 1)

    @property
    def few_left(self) -> int | None:
        """How many are left, when few enough for the shop to say so ("3 left")."""
        return self.left if self.left <= FEW_LEFT else None

    @property
    def shown(self) -> tuple[Any, ...]:
        """Everything the shop page shows of this row: rows with the same ``shown`` render
        alike, so the page is kept under it (``awards.views.shop``). While more than
        ``FEW_LEFT`` are left, a sale changes nothing on the page."""
        return (
            field_values(self.ticket_type),
            self.vat,
            self.on_sale,
            self.left > 0,
            self.few_left,
            len(self.choices),
        )


#: The shop says how many seats of a type are left only from this many down.
FEW_LEFT = 20


def shop_for_event(*, event: AwardEvent) -> TicketShop | None:
    return TicketShop.objects.filter(event=event).select_related("event").first()


def shop_rows(
    *,
    shop: TicketShop,
    now: datetime | None = None,
    include_hidden: bool = False,
    state: ShopState | None = None,
) -> list[ShopRow]:
    """The ticket types the shop shows, with what is left of each and the MVA in the price;
    from ``state`` when the caller has read it (no queries then)."""
    if state is None:
        state = shop_state(event=shop.event, now=now)
    now = state.now
    return [
        ShopRow(
            ticket_type=t,
            left=tickets_left(shop=shop, ticket_type=t, holdings=state.holdings),
            vat=vat_in(t.price, t.vat_rate),
            on_sale=t.on_sale(now),
        )
        for t in state.types.values()
        if t.is_visible or include_hidden
    ]


#: What the buyer's order page shows besides the order: two queries (lines and tickets each
#: joined to their types, and the check-in), where a lookup apiece took six. A confirmed
#: order's page also reads its invoices (``awards.views.shop.order_page``).
ORDER_PAGE_PREFETCH: tuple[str | Prefetch[Any], ...] = (
    Prefetch("lines", queryset=OrderLine.objects.select_related("ticket_type")),
    Prefetch("tickets", queryset=Ticket.objects.select_related("ticket_type", "checkin")),
)
#: What a checkout POST takes: its tickets (for the attendees), with their types.
CHECKOUT_PREFETCH: tuple[str | Prefetch[Any], ...] = (
    Prefetch("tickets", queryset=Ticket.objects.select_related("ticket_type")),
)


#: The order behind a buyer's link with its event and shop, compiled once.
_BUYER_ORDER: CompiledQuery[Order] = CompiledQuery(
    lambda code, secret: Order.objects.select_related("event", "event__ticket_shop").filter(
        code=code, secret=secret
    )[:1],
    code=str,
    secret=str,
)


def _order_parts(
    prefetch: tuple[str | Prefetch[Any], ...],
) -> tuple[tuple[str, CompiledQuery[Any]], ...]:
    """Each of ``prefetch``'s relations of an order as a query compiled once."""
    parts = []
    for lookup in prefetch:
        if not isinstance(lookup, Prefetch) or lookup.queryset is None:
            raise TypeError(f"{lookup!r}: a Prefetch with its queryset, to compile")
        rows = lookup.queryset
        parts.append(
            (
                lookup.prefetch_to,
                CompiledQuery(
                    lambda order_id, rows=rows: rows.filter(order_id=order_id), order_id=int
                ),
            )
        )
    return tuple(parts)


#: The relations the two pages of a rush's buyer read with the order (the order page and a
#: checkout), each compiled once: Django's prefetch compiled them on every request.
_ORDER_PARTS = {
    prefetch: _order_parts(prefetch) for prefetch in (ORDER_PAGE_PREFETCH, CHECKOUT_PREFETCH)
}


def order_for_buyer(
    *, code: str, secret: str, prefetch: tuple[str | Prefetch[Any], ...] = ORDER_PAGE_PREFETCH
) -> Order | None:
    """The order behind a buyer's link, with what its pages show (``prefetch``; a checkout
    POST takes only its tickets and fetches the rest if it shows the page again)."""
    code, secret = code.upper()[:12], secret[:64]
    parts = _ORDER_PARTS.get(prefetch)
    if parts is None:  # relations no rush reads: Django's own prefetch
        return (
            Order.objects.select_related("event", "event__ticket_shop")
            .prefetch_related(*prefetch)
            .filter(code=code, secret=secret)
            .first()
        )
    order = _BUYER_ORDER.first(code=code, secret=secret)
    if order is not None:
        for name, query in parts:
            query.fetch_into(order, name, order_id=order.pk)
    return order


def order_by_code_and_email(*, event: AwardEvent, code: str, email: str) -> Order | None:
    """An order found by its code and the buyer's e-mail (any case); reservations never made
    into orders are not found."""
    return (
        Order.objects.filter(event=event, code=code.strip().upper()[:12])
        .filter(buyer_email__iexact=email.strip()[:254])
        .exclude(status=OrderStatus.RESERVED)
        .first()
    )


ORDER_FILTERS = ("paid", "pending", "overdue", "cancelled")


def orders_for_staff(
    *, event: AwardEvent, search: str = "", show: str = "", today: datetime | None = None
) -> QuerySet[Order]:
    """The event's orders (not bare reservations), newest first, searched by code, buyer,
    company or attendee, and filtered: paid, pending (card or invoice not yet paid), invoice
    overdue, cancelled (and expired)."""
    orders = Order.objects.filter(event=event).exclude(status=OrderStatus.RESERVED)
    search = search.strip()[:100]
    if search:
        attendee = Ticket.objects.filter(order=OuterRef("pk")).filter(
            Q(attendee_name__icontains=search) | Q(attendee_company__icontains=search)
        )
        orders = orders.filter(
            Q(code__iexact=search)
            | Q(buyer_name__icontains=search)
            | Q(buyer_email__icontains=search)
            | Q(buyer_company__icontains=search)
            | Q(buyer_org_number=search.replace(" ", ""))
            | Exists(attendee)
        )
    today_date = (today or timezone.now()).date()
    if show == "paid":
        orders = orders.filter(status=OrderStatus.PAID)
    elif show == "pending":
        orders = orders.filter(status__in=[OrderStatus.PENDING, OrderStatus.INVOICED])
    elif show == "overdue":
        orders = orders.filter(status=OrderStatus.INVOICED).filter(
            Exists(
                Invoice.objects.filter(
                    order=OuterRef("pk"),
                    kind=InvoiceKind.INVOICE,
                    paid_at__isnull=True,
                    due_on__lt=today_date,
                )
            )
        )
    elif show == "cancelled":
        orders = orders.filter(status__in=[OrderStatus.CANCELLED, OrderStatus.EXPIRED])
    return orders.annotate(ticket_count=Count("tickets")).order_by("-created_at", "-id")


def order_for_staff(*, event: AwardEvent, code: str) -> Order | None:
    return (
        Order.objects.filter(event=event, code=code.upper()[:12])
        .select_related("event", "event__ticket_shop")
        .prefetch_related(
            "lines__ticket_type",
            "lines__voucher",
            "tickets__ticket_type",
            "tickets__checkin",
            "invoices",
            "payments__events",
            "events__actor",
        )
        .first()
    )


def tickets_for_export(*, event: AwardEvent) -> QuerySet[Ticket]:
    """Every ticket of a confirmed order, with its order, type and check-in."""
    return (
        Ticket.objects.filter(order__event=event, order__status__in=Order.VALID)
        .select_related("order", "ticket_type", "checkin")
        .order_by("order__code", "position")
    )


def tickets_search(*, event: AwardEvent, query: str, limit: int = 20) -> list[Ticket]:
    """Door search: tickets of confirmed orders whose attendee, company or buyer matches."""
    query = query.strip()[:100]
    if len(query) < 2:
        return []
    return list(
        Ticket.objects.filter(order__event=event, order__status__in=Order.VALID)
        .filter(
            Q(attendee_name__icontains=query)
            | Q(attendee_company__icontains=query)
            | Q(order__buyer_company__icontains=query)
            | Q(order__code__iexact=query)
        )
        .select_related("order", "ticket_type", "checkin")
        .order_by("attendee_name", "id")[:limit]
    )


@dataclass(frozen=True)
class CheckInCount:
    checked_in: int
    sold: int


def checkin_count(*, event: AwardEvent) -> CheckInCount:
    """Tickets checked in, of tickets sold (confirmed orders)."""
    sold = Ticket.objects.filter(order__event=event, order__status__in=Order.VALID).count()
    checked_in = CheckIn.objects.filter(ticket__order__event=event).count()
    return CheckInCount(checked_in=checked_in, sold=sold)


@dataclass(frozen=True)
class TypeSales:
    ticket_type: TicketType
    sold: int
    reserved: int
    revenue: int
    vat: int


@dataclass(frozen=True)
class SalesSummary:
    rows: list[TypeSales]
    seats_sold: int
    capacity: int
    revenue: int
    vat: int
    unpaid_invoices: int
    unpaid_amount: int
    overdue_invoices: int
    checkins: CheckInCount

    @property
    def revenue_net(self) -> int:
        return self.revenue - self.vat


def sales_summary(*, shop: TicketShop, now: datetime | None = None) -> SalesSummary:
    """Sold per type against capacity, revenue incl. and excl. MVA (confirmed orders),
    unpaid and overdue invoices, and check-ins."""
    now = now or timezone.now()
    types = list(TicketType.objects.filter(event_id=shop.event_id))
    confirmed = dict(
        OrderLine.objects.filter(order__event_id=shop.event_id, order__status__in=Order.VALID)
        .values_list("ticket_type_id")
        .annotate(units=Sum("quantity"))
    )
    holding = dict(
        OrderLine.objects.filter(
            holding_orders(now=now),
            order__event_id=shop.event_id,
            order__status__in=[OrderStatus.RESERVED, OrderStatus.PENDING],
        )
        .values_list("ticket_type_id")
        .annotate(units=Sum("quantity"))
    )
    money: dict[int, tuple[int, int]] = {}
    for type_id, quantity, price, rate in OrderLine.objects.filter(
        order__event_id=shop.event_id, order__status__in=Order.VALID
    ).values_list("ticket_type_id", "quantity", "unit_price", "vat_rate"):
        gross, vat = money.get(type_id, (0, 0))
        money[type_id] = (gross + quantity * price, vat + vat_in(quantity * price, rate))
    rows = [
        TypeSales(
            ticket_type=t,
            sold=confirmed.get(t.pk, 0),
            reserved=holding.get(t.pk, 0),
            revenue=money.get(t.pk, (0, 0))[0],
            vat=money.get(t.pk, (0, 0))[1],
        )
        for t in types
    ]
    unpaid = Invoice.objects.filter(
        order__event_id=shop.event_id,
        order__status=OrderStatus.INVOICED,
        kind=InvoiceKind.INVOICE,
        paid_at__isnull=True,
    )
    unpaid_totals = unpaid.aggregate(n=Count("id"), amount=Sum("total"))
    return SalesSummary(
        rows=rows,
        seats_sold=sum(r.sold * r.ticket_type.seats for r in rows),
        capacity=shop.capacity,
        revenue=sum(r.revenue for r in rows),
        vat=sum(r.vat for r in rows),
        unpaid_invoices=unpaid_totals["n"] or 0,
        unpaid_amount=unpaid_totals["amount"] or 0,
        overdue_invoices=unpaid.filter(due_on__lt=now.date()).count(),
        checkins=checkin_count(event=shop.event),
    )


def events_with_shops() -> QuerySet[AwardEvent]:
    return AwardEvent.objects.filter(ticket_shop__isnull=False).order_by("-starts_at")


def events_with_waiting() -> list[int]:
    """Events someone is waiting for: freed seats there may be offered."""
    return list(
        WaitingListEntry.objects.filter(status=WaitingStatus.WAITING)
        .values_list("event_id", flat=True)
        .distinct()
    )
