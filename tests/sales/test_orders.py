"""Sales orders: accept → order, the status flow, cancelling, the payment schedule; each step
timed, attributed and on the customer's timeline."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from crm.models import Interaction
from sales import orders, quotations
from sales.models import OrderEvent, PaymentDue, Quotation, SalesOrder
from tests.sales.factories_orders import QuotationFactory, SalesOrderFactory, VehicleFactory

pytestmark = pytest.mark.django_db
S = SalesOrder.Status
VIN = "MHKA1BA1JNK012345"


@pytest.fixture
def order(branch_a, sales_a):
    return SalesOrderFactory(branch=branch_a, by=sales_a, vehicle=VehicleFactory())


def test_it_turns_an_accepted_quotation_into_a_confirmed_order(branch_a, sales_a):
    quotation = QuotationFactory(branch=branch_a, by=sales_a)
    order = quotations.quotation_accept(quotation=quotation, by=sales_a)
    quotation.refresh_from_db()
    assert quotation.status == Quotation.Status.ACCEPTED and quotation.decided_at
    assert (order.status, order.total, order.customer, order.branch) == (S.CONFIRMED, quotation.total,
                                                                          quotation.customer, branch_a)
    assert order.number == f"BDG/SO/{timezone.localdate().year}/000001"
    assert list(order.events.values_list("to_status", "by")) == [(S.CONFIRMED, sales_a.pk)]
    kinds = list(Interaction.objects.filter(customer=order.customer, kind__in=["quotation", "order"])
                 .values_list("kind", flat=True).order_by("id"))
    assert kinds == ["quotation", "quotation", "order"]  # prepared, accepted, order confirmed


def test_it_changes_nothing_on_a_second_accept(branch_a, sales_a):
    quotation = QuotationFactory(branch=branch_a, by=sales_a)
    quotations.quotation_accept(quotation=quotation, by=sales_a)
    before = Interaction.objects.count(), SalesOrder.objects.count()
    with pytest.raises(ValidationError) as exc:
        quotations.quotation_accept(quotation=quotation, by=sales_a)
    assert exc.value.code == "already_accepted"
    assert (Interaction.objects.count(), SalesOrder.objects.count()) == before


def test_it_refuses_to_accept_an_expired_or_rejected_quotation(branch_a):
    old = QuotationFactory(branch=branch_a, quote_date=timezone.localdate() - dt.timedelta(days=30))
    with pytest.raises(ValidationError, match="expired"):
        quotations.quotation_accept(quotation=old, by=None)
    rejected = quotations.quotation_reject(quotation=QuotationFactory(branch=branch_a), by=None, reason="Terlalu mahal")
    with pytest.raises(ValidationError, match="rejected"):
        quotations.quotation_accept(quotation=rejected, by=None)
    assert not SalesOrder.objects.exists()


def test_it_requires_a_reason_to_reject(branch_a):
    quotation = QuotationFactory(branch=branch_a)
    with pytest.raises(ValidationError):
        quotations.quotation_reject(quotation=quotation, by=None, reason="   ")
    quotation.refresh_from_db()
    assert quotation.status == Quotation.Status.DRAFT


def test_it_keeps_old_revisions_readable(branch_a, sales_a):
    first = QuotationFactory(branch=branch_a, by=sales_a)
    second = quotations.quotation_revise(quotation=first, by=sales_a)
    third = quotations.quotation_revise(quotation=second, by=sales_a)
    first.refresh_from_db()
    assert (first.status, first.total) == (Quotation.Status.SUPERSEDED, second.total)
    assert [q.display_number for q in (first, second, third)] == [first.number, f"{first.number}-R2",
                                                                  f"{first.number}-R3"]
    assert first.lines.count() == second.lines.count() == 1
    with pytest.raises(ValidationError):
        quotations.quotation_revise(quotation=first, by=sales_a)


def test_it_marks_expired_quotations_once(branch_a):
    today = timezone.localdate()
    old = QuotationFactory(branch=branch_a, quote_date=today - dt.timedelta(days=20))
    fresh = QuotationFactory(branch=branch_a)
    assert quotations.quotations_expire(today) == 1
    assert quotations.quotations_expire(today) == 0
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert (old.status, fresh.status) == (Quotation.Status.EXPIRED, Quotation.Status.DRAFT)
    assert Interaction.objects.filter(customer=old.customer, summary__contains="expired").count() == 1


def test_it_walks_the_status_flow_with_every_step_attributed(order, sales_a, manager_a):
    orders.order_advance(order=order, by=sales_a, to=S.ALLOCATED, vin=" mhka1ba1jnk012345 ")
    orders.order_advance(order=order, by=manager_a, to=S.INVOICED)
    order.refresh_from_db()
    assert (order.status, order.vin) == (S.INVOICED, VIN)
    events = list(OrderEvent.objects.filter(order=order).order_by("id").values_list("from_status", "to_status", "by"))
    assert events == [("", S.CONFIRMED, sales_a.pk), (S.CONFIRMED, S.ALLOCATED, sales_a.pk),
                      (S.ALLOCATED, S.INVOICED, manager_a.pk)]
    assert Interaction.objects.filter(customer=order.customer, kind="order", summary__contains=VIN).exists()


@pytest.mark.parametrize("vin", ["", "MHKA1BA1JNK01234", "MHKA1BA1JNK0123O5", "MHKA1BA1JNK01234I"])
def test_it_requires_a_real_vin_to_allocate_a_vehicle(order, vin):
    with pytest.raises(ValidationError) as exc:
        orders.order_advance(order=order, by=None, to=S.ALLOCATED, vin=vin)
    assert "vin" in exc.value.message_dict
    order.refresh_from_db()
    assert order.status == S.CONFIRMED and not order.events.exclude(to_status=S.CONFIRMED).exists()


def test_it_allocates_an_order_without_a_vehicle_without_vin(branch_a):
    order = SalesOrderFactory(branch=branch_a)
    orders.order_advance(order=order, by=None, to=S.ALLOCATED)
    assert order.status == S.ALLOCATED and order.vin == ""


def test_it_refuses_skipping_a_step(order):
    with pytest.raises(ValidationError, match="cannot become"):
        orders.order_advance(order=order, by=None, to=S.INVOICED)


def test_it_cancels_with_a_reason_and_then_refuses_everything(order, sales_a):
    with pytest.raises(ValidationError):
        orders.order_cancel(order=order, by=sales_a, reason="")
    orders.order_cancel(order=order, by=sales_a, reason="Leasing tidak disetujui")
    order.refresh_from_db()
    assert (order.status, order.cancel_reason) == (S.CANCELLED, "Leasing tidak disetujui")
    with pytest.raises(ValidationError, match="cancelled"):
        orders.order_advance(order=order, by=sales_a, to=S.ALLOCATED, vin=VIN)
    with pytest.raises(ValidationError, match="cancelled"):
        orders.shipment_create(order=order, by=sales_a, method="own_driver", promised_date=timezone.localdate())
    with pytest.raises(ValidationError, match="cancelled"):
        orders.payment_due_add(order=order, by=sales_a, kind="full", due_date=timezone.localdate(),
                               amount=Decimal(1))


def test_it_keeps_a_payment_schedule_and_flags_overdue(order, sales_a):
    today = timezone.localdate()
    dp = orders.payment_due_add(order=order, by=sales_a, kind=PaymentDue.Kind.DOWN_PAYMENT,
                                due_date=today - dt.timedelta(days=2), amount=Decimal(50_000_000))
    leasing = orders.payment_due_add(order=order, by=sales_a, kind=PaymentDue.Kind.LEASING,
                                     leasing_company="Astra Credit Companies", due_date=today + dt.timedelta(days=30),
                                     amount=order.total - Decimal(50_000_000))
    with pytest.raises(ValidationError) as exc:
        orders.payment_due_add(order=order, by=sales_a, kind=PaymentDue.Kind.INSTALMENT, due_date=today,
                               amount=Decimal(1))
    assert "amount" in exc.value.message_dict  # more than the order's total
    row = orders.order_list(SalesOrder.objects.filter(pk=order.pk), today).get()
    assert (row.scheduled, row.paid, row.overdue) == (order.total, 0, True)

    orders.payment_record(order=order, due=dp, by=sales_a, amount=Decimal(20_000_000), paid_on=today,
                          method="transfer")
    dp.refresh_from_db()
    assert (dp.paid_amount, dp.paid_at) == (Decimal(20_000_000), None) and dp.is_overdue(today)
    with pytest.raises(ValidationError) as exc:
        orders.payment_record(order=order, due=dp, by=sales_a, amount=Decimal(30_000_001), paid_on=today,
                              method="transfer")
    assert "amount" in exc.value.message_dict
    orders.payment_record(order=order, due=dp, by=sales_a, amount=Decimal(30_000_000), paid_on=today,
                          method="cash")
    dp.refresh_from_db()
    assert dp.paid_at is not None and not dp.is_overdue(today)
    row = orders.order_list(SalesOrder.objects.filter(pk=order.pk), today).get()
    assert (row.paid, row.overdue) == (Decimal(50_000_000), False)
    assert not leasing.is_overdue(today)
    assert Interaction.objects.filter(customer=order.customer, summary__contains="received").count() == 2


@pytest.mark.parametrize("amount", [Decimal(0), Decimal(-5), Decimal("10.5")])
def test_it_refuses_odd_amounts(order, amount):
    with pytest.raises(ValidationError):
        orders.payment_due_add(order=order, by=None, kind="full", due_date=timezone.localdate(), amount=amount)
    assert not PaymentDue.objects.exists()


def test_it_requires_the_leasing_companys_name(order):
    with pytest.raises(ValidationError) as exc:
        orders.payment_due_add(order=order, by=None, kind="leasing", due_date=timezone.localdate(),
                               amount=Decimal(1000))
    assert "leasing_company" in exc.value.message_dict


def test_it_finds_quotations_and_orders_by_number(order, sales_a, staff_b):
    quotation = order.quotation
    assert [h.label for h in orders.number_search(sales_a, quotation.number.lower())] == [quotation.number]
    assert [h.label for h in orders.number_search(sales_a, f" {order.number} ")] == [order.number]
    assert orders.number_search(staff_b, order.number) == []  # another branch's
    assert orders.number_search(sales_a, "Budi") == []


def test_it_lists_open_orders_and_quotations_on_the_360_panel(order, sales_a, django_assert_num_queries):
    SalesOrderFactory(branch=order.branch)  # another customer's
    waiting = QuotationFactory(branch=order.branch, opportunity=order.quotation.opportunity)
    with django_assert_num_queries(2):
        data = orders.customer_orders_panel(order.customer, sales_a)
    assert (data["orders"], data["quotations"], data["empty"]) == ([order], [waiting], False)
    orders.order_cancel(order=order, by=None, reason="Batal")
    quotations.quotation_reject(quotation=waiting, by=None, reason="Tidak jadi")
    assert orders.customer_orders_panel(order.customer, sales_a)["empty"] is True


def test_it_registers_its_panel_search_notification_and_demo_step():
    from accounts.notifications import notification_kind
    from crm.registry import demo_steps, panels, search_providers

    assert panels.get("sales_orders").queries == 2
    assert search_providers.get("sales_orders").selector is orders.number_search
    assert notification_kind(orders.SHIPMENT_LATE) is not None
    assert "sales_orders" in demo_steps


def test_the_beat_tasks_call_the_sweeps(branch_a):
    from sales.tasks import quotations_expire_task, shipments_notify_late_task

    QuotationFactory(branch=branch_a, quote_date=timezone.localdate() - dt.timedelta(days=30))
    assert quotations_expire_task() == 1
    assert shipments_notify_late_task() == 0


def test_the_demo_step_numbers_through_the_counter_and_runs_twice_safely(branch_a, sales_a):
    from sales.demo import seed_orders
    from sales.models import DocumentCounter, Product
    from tests.sales.factories import OpportunityFactory

    for _ in range(12):
        OpportunityFactory(branch=branch_a, owner=sales_a)
    made = seed_orders(branches=[branch_a], customers=10_000)
    assert made["quotations"] == 10 and Product.objects.filter(category="vehicle").count() == 5
    assert seed_orders(branches=[branch_a], customers=10_000) == {"quotations": 0, "orders": 0}
    counter = DocumentCounter.objects.get(branch=branch_a, kind="QUO")
    assert counter.last == Quotation.objects.filter(branch=branch_a).count() == 10
    # The next real quotation continues the demo's numbering.
    assert QuotationFactory(branch=branch_a).number.endswith("/000011")
    assert SalesOrder.objects.filter(branch=branch_a).count() == made["orders"]
    from sales.models import Shipment
    assert not Shipment.objects.filter(branch__isnull=True).exists()  # the queue finds them by branch


def test_the_bench_seed_tops_orders_up_once(branch_a, sales_a):
    import io

    from sales.models import Shipment
    from tests.sales.factories import OpportunityFactory

    for _ in range(4):
        OpportunityFactory(branch=branch_a, owner=sales_a)
    orders.bench_seed(total=60, stdout=io.StringIO())
    orders.bench_seed(total=60, stdout=io.StringIO())
    assert SalesOrder.objects.count() == 60 == Quotation.objects.filter(status="accepted").count()
    assert PaymentDue.objects.count() == 60
    assert Shipment.objects.filter(branch=branch_a).count() == Shipment.objects.count() > 0
    cases = orders.bench_cases(runs=4, users={"sales rep JKS": sales_a.email})
    assert [c.target_p95 for c in cases] == [60, 60, 1500]
