"""Reads of the workshop: free slots, the day's arrivals, the 360 panel, the home card, search."""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import (CharField, Count, DateTimeField, DecimalField, ExpressionWrapper, F, FloatField, Func, Q,
                              Subquery, Sum, Value)
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe

from accounts.access import get_for_user_or_404
from branches.selectors import BusinessCalendar, business_calendar, is_public_holiday

from .models import Bay, BayKind, Booking, BookingPhoto, JobLine, ServiceType, Technician, Workshop
from .plates import plate_key

BOOKING_DAYS = 14  # how far ahead a slot may be booked, today included


# --- access ----------------------------------------------------------------------------------
def booking_get_for_user(user, booking_id, *, write: bool = False) -> Booking:
    return get_for_user_or_404(
        Booking.objects.select_related("branch", "customer", "asset", "service_type", "bay", "advisor"), user,
        write_perm="service.change_booking" if write else None, public_id=booking_id)


def technician_get_for_user(user, technician_id, *, write: bool = False) -> Technician:
    return get_for_user_or_404(Technician.objects.select_related("branch"), user,
                               write_perm="service.change_technician" if write else None, public_id=technician_id)


def asset_get_for_user(user, asset_id):
    """A vehicle, if its owner is a customer the user may see (404 otherwise)."""
    from crm.models import Asset

    return get_for_user_or_404(Asset.objects.select_related("customer__branch"), user, public_id=asset_id)


def bay_get_for_user(user, bay_id, *, write: bool = False) -> Bay:
    return get_for_user_or_404(Bay.objects.select_related("branch"), user,
                               write_perm="service.change_bay" if write else None, public_id=bay_id)


# --- free slots ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Slot:
    starts_at: dt.datetime  # aware, UTC
    ends_at: dt.datetime
    free_bays: int

    @property
    def value(self) -> str:
        return self.starts_at.isoformat()


def slot_minutes(branch) -> int:
    row = Workshop.objects.filter(branch=branch).values_list("slot_minutes", flat=True).first()
    return row or Workshop.DEFAULT_SLOT_MINUTES


def booking_window(branch, now: dt.datetime) -> tuple[dt.date, dt.date]:
    today = now.astimezone(ZoneInfo(branch.time_zone)).date()
    return today, today + dt.timedelta(days=BOOKING_DAYS - 1)


class _BusyBays:
    """Each bay's live bookings in a window, sorted: "is bay X free in [a, b)?" by bisection.

    Times are seconds since the epoch (floats), not aware datetimes: comparing datetimes of
    two zones asks each for its UTC offset, and a fortnight's search makes thousands of
    comparisons. A bay's bookings never overlap (the exclusion constraint), so sorted by
    start they are sorted by end too."""

    def __init__(self, rows):
        self.starts: dict[int, list] = defaultdict(list)
        self.ends: dict[int, list] = defaultdict(list)
        for bay_id, starts_at, ends_at in sorted(rows):
            self.starts[bay_id].append(starts_at)
            self.ends[bay_id].append(ends_at)

    def is_free(self, bay_id: int, start: float, end: float) -> bool:
        ends = self.ends.get(bay_id)
        if not ends:
            return True
        i = bisect.bisect_right(ends, start)  # the first booking ending after ``start``
        return i == len(ends) or self.starts[bay_id][i] >= end


# No booking lasts longer (ServiceType.duration_minutes is at most 600): bookings that may
# still run at ``start`` began after ``start - MAX_DURATION``, so the window is a range on the
# (branch, starts_at) index, not a scan of every past visit for ``ends_at > start``.
MAX_DURATION = dt.timedelta(minutes=600)


def _epoch(field: str) -> Func:
    """``extract(epoch from <field>)::float8``: a float is read far faster than a timestamptz."""
    return Func(F(field), template="extract(epoch from %(expressions)s)::float8", output_field=FloatField())


def _busy(branch, bay_ids, start, end, *, exclude_pk=None) -> _BusyBays:
    rows = Booking.objects.live().filter(branch=branch, starts_at__gte=start - MAX_DURATION, starts_at__lt=end,
                                         ends_at__gt=start, bay_id__in=bay_ids)
    if exclude_pk:
        rows = rows.exclude(pk=exclude_pk)
    # The ORM's SQL, read by the cursor: a fortnight of a busy workshop is ~1,700 rows, and
    # the ORM would pass each float through a converter that leaves it as it is.
    sql, params = rows.order_by().values_list("bay_id", _epoch("starts_at"), _epoch("ends_at")).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return _BusyBays(cursor.fetchall())


def bays_for(branch, service_type) -> list[int]:
    return list(Bay.objects.filter(branch=branch, kind=service_type.bay_kind, is_active=True)
                .order_by("name").values_list("id", flat=True))


def free_slots(branch, service_type: ServiceType, *, now: dt.datetime | None = None,
               calendar: BusinessCalendar | None = None) -> list[Slot]:
    """Every start time in the next ``BOOKING_DAYS`` days (from now on) at which a bay of the
    type the service needs is free for its whole duration, within one opening range of the
    branch (never across the lunch break or closing time, never on a holiday or closure).

    Four queries whatever the number of bookings: bays with the slot length, hours, closures,
    bookings."""
    now = now or timezone.now()
    first, last = booking_window(branch, now)
    rows = list(Bay.objects.filter(branch=branch, kind=service_type.bay_kind, is_active=True).order_by("name")
                .annotate(step=Subquery(Workshop.objects.filter(branch=branch).values("slot_minutes")[:1]))
                .values_list("id", "step"))
    if not rows:
        return []
    bay_ids = [bay_id for bay_id, _step in rows]
    step = dt.timedelta(minutes=rows[0][1] or Workshop.DEFAULT_SLOT_MINUTES)
    calendar = calendar or business_calendar(branch, since=first, until=last)
    duration = dt.timedelta(minutes=service_type.duration_minutes)
    intervals = list(calendar.intervals(first, last))
    if not intervals:
        return []
    busy = _busy(branch, bay_ids, now, intervals[-1][1])
    slots = []
    is_free = busy.is_free
    for opens, closes in intervals:
        start = opens
        while start + duration <= closes:
            if start >= now:
                end = start + duration
                a, b = start.timestamp(), end.timestamp()
                free = sum(1 for bay_id in bay_ids if is_free(bay_id, a, b))
                if free:
                    slots.append(Slot(start, end, free))
            start += step
    return slots


def free_bay_ids(branch, service_type, start: dt.datetime, end: dt.datetime, *, exclude_pk=None) -> list[int]:
    bay_ids = bays_for(branch, service_type)
    busy = _busy(branch, bay_ids, start, end, exclude_pk=exclude_pk)
    a, b = start.timestamp(), end.timestamp()
    return [bay_id for bay_id in bay_ids if busy.is_free(bay_id, a, b)]


def slot_problem(branch, service_type, starts_at: dt.datetime, *, now: dt.datetime | None = None) -> str | None:
    """Why ``starts_at`` cannot be booked for ``service_type`` at ``branch`` (a sentence for
    the form), or None when the time fits the workshop's calendar. Capacity is not checked
    here: the database does that when the booking is written."""
    from django.utils.translation import gettext as _

    now = now or timezone.now()
    if timezone.is_naive(starts_at):
        return _("Choose a time from the list.")
    if starts_at < now:
        return _("That time has already passed. Choose a later slot.")
    first, last = booking_window(branch, now)
    calendar = business_calendar(branch, since=first, until=last)
    day = calendar.local_date(starts_at)
    if day > last:
        return _("Bookings are taken for the next %(days)s days only.") % {"days": BOOKING_DAYS}
    if calendar.closed_until(day) is not None or is_public_holiday(day) or not calendar.ranges_on(day):
        return _("The workshop is closed on that day. Choose another day.")
    ends_at = starts_at + dt.timedelta(minutes=service_type.duration_minutes)
    for opens, closes in calendar.intervals(day, day):
        if opens <= starts_at < closes:
            if ends_at > closes:
                return _("This service takes %(minutes)s minutes and would run past the break or closing time "
                         "at %(time)s. Choose an earlier slot.") % {
                    "minutes": service_type.duration_minutes,
                    "time": closes.astimezone(calendar.zone).strftime("%H:%M")}
            return None
    return _("The workshop is not open at that time. Choose a slot within its opening hours.")


# --- lists ---------------------------------------------------------------------------------
def day_bookings(branch, day: dt.date) -> list[Booking]:
    """A branch's bookings of one day (in its zone), arrivals first by time: one query."""
    zone = ZoneInfo(branch.time_zone)
    start = dt.datetime.combine(day, dt.time(), tzinfo=zone)
    end = start + dt.timedelta(days=1)
    return list(Booking.objects.filter(branch=branch, starts_at__gte=start, starts_at__lt=end)
                .select_related("customer", "service_type", "bay").order_by("starts_at", "bay__name"))


def in_workshop(branch) -> list[Booking]:
    """Vehicles at the workshop now, whatever day they were booked for: one query."""
    return list(Booking.objects.filter(branch=branch, status__in=Booking.IN_WORKSHOP_STATUSES)
                .select_related("customer", "service_type", "bay").order_by("starts_at"))


def job_lines(booking) -> list:
    return list(booking.lines.select_related("technician").order_by("id"))


def booking_events(booking) -> list:
    return list(booking.events.select_related("by").order_by("at", "id"))


# --- shared pages ------------------------------------------------------------------------------
PANEL_ROWS = 5


def service_panel(customer, user) -> dict:
    """The 360 panel: vehicles at the workshop and upcoming bookings (one query)."""
    rows = list(Booking.objects.filter(customer=customer)
                .filter(Q(status__in=Booking.IN_WORKSHOP_STATUSES) |
                        Q(status=Booking.Status.BOOKED, ends_at__gte=timezone.now()))
                .select_related("service_type", "branch").order_by("starts_at")[:PANEL_ROWS])
    # The 360 page prefetched the vehicles (crm.views): their history links cost no query.
    vehicles = [a for a in customer.assets.all()]
    return {"bookings": rows, "empty": not rows and not vehicles, "vehicles": vehicles,
            "can_book": user.has_perm("service.add_booking")}


def today_card(user) -> list[Booking] | None:
    """Home card: today's workshop bookings at my branch (one query); None without a branch."""
    if user.branch_id is None:
        return None
    zone = ZoneInfo(user.branch.time_zone)
    today = timezone.now().astimezone(zone).date()
    start = dt.datetime.combine(today, dt.time(), tzinfo=zone)
    return list(Booking.objects.filter(branch_id=user.branch_id, starts_at__gte=start,
                                       starts_at__lt=start + dt.timedelta(days=1))
                .exclude(status=Booking.Status.CANCELLED)
                .select_related("service_type").order_by("starts_at")[:8])


def search_bookings(user, query: str):
    """Search provider: a booking code, or a plate of a vehicle booked or at the workshop."""
    from crm.registry import SearchHit

    query = query.strip()
    key = plate_key(query)
    scope = Booking.objects.visible_to(user)
    rows = scope.filter(Q(code=query) | Q(plate_key=key, status__in=(Booking.Status.BOOKED,
                                                                      *Booking.IN_WORKSHOP_STATUSES)))
    rows = rows.select_related("service_type").order_by("-starts_at")[:5]
    return [SearchHit(label=f"{b.plate_number} · {b.service_type.name}",
                      url=reverse("service:booking_detail", args=[b.public_id]),
                      hint=f"{b.get_status_display()} · {b.code}") for b in rows]


@dataclass
class WeekCell:
    day: str  # ISO date: the drop target's data-day
    html: str  # the bookings of the row's bay that day, ready (SafeString)


@dataclass
class WeekRow:
    bay_name: str
    bay_kind: str  # the bay type's label, translated once per row
    bay_id: str  # the bay's public id: the drop targets' data-bay-id
    cells: list  # one WeekCell per day

    @property
    def html(self) -> str:
        """The row's day cells (<td> each, the drop targets of service_calendar.js)."""
        return mark_safe("".join(_WEEK_CELL.format(day=cell.day, bay=self.bay_id, html=cell.html)
                                 for cell in self.cells))


# The week is 20 bays x 7 days and about a thousand visits on a busy week. Its markup is built
# here with string formats: the two URLs reversed once for the page with each booking's id
# put in, the start time's zone conversion and formatting done by PostgreSQL. A template loop
# with a {% url %} and a zone-aware |time filter per visit was 80 ms of the page.
_WEEK_CELL = '<td class="small" data-day="{day}" data-bay-id="{bay}">{html}</td>'
_WEEK_BOOKING = ('<div class="text-nowrap board-booking" data-booking="{id}"{drag}>'
                 '<a href="{detail}">{time} {plate}</a></div>')
_WEEK_DRAG = ' draggable="true" data-move-url="{move}"'
_ID = "00000000-0000-0000-0000-000000000000"


def _local_text(field: str, zone: str) -> Func:
    """``to_char(<field> AT TIME ZONE <zone>, 'YYYY-MM-DD HH24:MI')``: the local date and time as
    text, computed by the database (the zone a bound parameter)."""
    local = Func(Value(zone), F(field), function="timezone", output_field=DateTimeField())
    return Func(local, Value("YYYY-MM-DD HH24:MI"), function="to_char", output_field=CharField())


def week_calendar(branch, first_day: dt.date, days: int = 7, *, can_move: bool = False) -> list[WeekRow]:
    """Bays x days of one week, each cell the markup of the bay's live bookings that day (a
    booked visit draggable when ``can_move``): two queries (bays, bookings), whatever the
    number of past visits (a range on the branch/start index)."""
    zone = ZoneInfo(branch.time_zone)
    start = dt.datetime.combine(first_day, dt.time(), tzinfo=zone)
    end = start + dt.timedelta(days=days)
    day_keys = [(first_day + dt.timedelta(days=n)).isoformat() for n in range(days)]
    index = {key: n for n, key in enumerate(day_keys)}
    bays = list(Bay.objects.filter(branch=branch).order_by("kind", "name").values_list("pk", "public_id", "name",
                                                                                        "kind"))
    parts = {pk: [[] for _ in range(days)] for pk, *_rest in bays}
    detail = reverse("service:booking_detail", args=[_ID])
    move = reverse("service:booking_move", args=[_ID]) if can_move else ""
    booked = Booking.Status.BOOKED.value
    rows = (Booking.objects.live().filter(branch=branch, starts_at__gte=start, starts_at__lt=end)
            .annotate(key=Cast("public_id", CharField()), local=_local_text("starts_at", branch.time_zone))
            .order_by("starts_at").values_list("key", "bay_id", "local", "plate_number", "status"))
    for key, bay_id, local, plate, status in rows:  # key: a UUID's text, nothing to escape
        cell = parts.get(bay_id)
        n = index.get(local[:10])
        if cell is None or n is None:
            continue
        drag = _WEEK_DRAG.format(move=move.replace(_ID, key)) if can_move and status == booked else ""
        cell[n].append(_WEEK_BOOKING.format(id=key, drag=drag, detail=detail.replace(_ID, key), time=local[11:],
                                            plate=escape(plate)))
    kinds = dict(BayKind.choices)
    return [WeekRow(bay_name=name, bay_kind=str(kinds.get(kind, kind)), bay_id=str(public_id),
                    cells=[WeekCell(day_keys[n], "".join(items)) for n, items in enumerate(parts[pk])])
            for pk, public_id, name, kind in bays]


# --- technicians -------------------------------------------------------------------------------
def technicians(branch) -> list[Technician]:
    return list(Technician.objects.filter(branch=branch).order_by("-is_active", "name"))


def technicians_for(booking: Booking) -> list[Technician]:
    """The technicians a job line of ``booking`` may name: active, of its branch (the day and
    skills are checked when the line is added, with a reason at the field)."""
    return list(Technician.objects.filter(branch_id=booking.branch_id, is_active=True).order_by("name"))


@dataclass
class TechnicianLoad:
    technician: Technician
    works_today: bool
    bookings: int
    lines: int
    minutes: int


def technician_loads(branch, day: dt.date) -> list[TechnicianLoad]:
    """Each active technician's work on ``day``: the visits and job lines they are on, and
    the minutes booked on them (two queries: technicians, one aggregate)."""
    zone = ZoneInfo(branch.time_zone)
    start = dt.datetime.combine(day, dt.time(), tzinfo=zone)
    sums = {row["technician_id"]: row for row in
            JobLine.objects.filter(booking__branch=branch, booking__starts_at__gte=start,
                                   booking__starts_at__lt=start + dt.timedelta(days=1), technician__isnull=False)
            .exclude(booking__status__in=Booking.FREE_STATUSES)
            .values("technician_id")
            .annotate(bookings=Count("booking_id", distinct=True), lines=Count("id"), minutes=Sum("minutes"))}
    loads = []
    for technician in Technician.objects.filter(branch=branch, is_active=True).order_by("name"):
        row = sums.get(technician.pk, {})
        loads.append(TechnicianLoad(technician, technician.works_on(day), row.get("bookings", 0), row.get("lines", 0),
                                    row.get("minutes") or 0))
    return loads


# --- the day board (drag to reschedule) -------------------------------------------------------------
@dataclass
class BoardCell:
    starts_at: dt.datetime
    bay: Bay
    bookings: list  # bookings that start in this cell
    busy: bool  # a booking that started earlier still runs here


@dataclass
class BoardRow:
    starts_at: dt.datetime
    cells: list


def day_board(branch, day: dt.date) -> dict:
    """The day as a grid: one row per slot of the opening hours, one column per bay in use,
    each booking in the cell where it starts (and the cells it runs into marked busy). Five
    queries whatever the number of bookings: slot length, bays, hours, closures, bookings."""
    step = dt.timedelta(minutes=slot_minutes(branch))
    bays = list(Bay.objects.filter(branch=branch, is_active=True).order_by("kind", "name"))
    calendar = business_calendar(branch, since=day, until=day)
    starts = []
    for opens, closes in calendar.intervals(day, day):
        when = opens
        while when < closes:
            starts.append(when)
            when += step
    zone = ZoneInfo(branch.time_zone)
    first = dt.datetime.combine(day, dt.time(), tzinfo=zone)
    bookings = list(Booking.objects.live().filter(branch=branch, starts_at__gte=first,
                                                  starts_at__lt=first + dt.timedelta(days=1))
                    .only("public_id", "bay_id", "starts_at", "ends_at", "plate_number", "status",
                          "service_type__name", "service_type__duration_minutes")
                    .select_related("service_type").order_by("starts_at"))
    rows = []
    for when in starts:
        cells = []
        for bay in bays:
            here = [b for b in bookings if b.bay_id == bay.pk and when <= b.starts_at < when + step]
            busy = any(b.bay_id == bay.pk and b.starts_at < when < b.ends_at for b in bookings)
            cells.append(BoardCell(when, bay, here, busy))
        rows.append(BoardRow(when, cells))
    placed = {b.pk for row in rows for cell in row.cells for b in cell.bookings}
    # Bookings outside the grid (a bay now out of use, hours changed since): listed, not lost.
    return {"bays": bays, "rows": rows, "unplaced": [b for b in bookings if b.pk not in placed]}


# --- a vehicle's service history ------------------------------------------------------------------
_AMOUNT = ExpressionWrapper(F("lines__quantity") * F("lines__unit_price"),
                            output_field=DecimalField(max_digits=20, decimal_places=2))


def vehicle_history(asset) -> dict:
    """Every workshop visit of ``asset``, newest first, with its invoice total (the PPN of
    catalogue parts included), and when the next service is due (date from the asset,
    kilometres from the last visit's odometer plus its service type's interval): one query."""
    visits = list(Booking.objects.filter(asset=asset).select_related("service_type", "branch")
                  .annotate(total=Sum(_AMOUNT) + Sum("lines__tax")).order_by("-starts_at", "-id"))
    last = next((v for v in visits if v.status == Booking.Status.COLLECTED and v.odometer_km), None)
    next_km = None
    if last is not None and last.service_type.interval_km:
        next_km = last.odometer_km + last.service_type.interval_km
    return {"visits": visits, "last_visit": last, "next_due": asset.next_service_due, "next_km": next_km}


def booking_photos(booking) -> list[BookingPhoto]:
    return list(booking.photos.only("public_id", "original_name", "size", "created_at", "booking_id")
                .order_by("created_at", "id"))
