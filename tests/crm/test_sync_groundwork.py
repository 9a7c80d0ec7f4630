"""Groundwork for branch sync (issue 7, for issue 16): every write to a synced model moves
``updated_at``, and every deletion of one leaves a tombstone."""

import datetime as dt
import uuid

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models, transaction
from django.db.models.signals import pre_delete
from django.test.utils import CaptureQueriesContext, isolate_apps
from django.urls import reverse
from django.utils import timezone

from accounts.models import Branch, TimeStampedModel, User, check_timestamped_managers, timestamped_manager_errors
from accounts.timestamps import TimeStampedQuerySet
from crm import services, sync
from crm.models import Asset, ContactPerson, Customer, Interaction, Tag, Tombstone
from marketing import services as marketing_services
from marketing.models import Message, Send
from tests.factories import AssetFactory, TagFactory

pytestmark = pytest.mark.django_db

LONG_AGO = timezone.now() - dt.timedelta(days=30)


def _note(customer, summary="Called"):
    return services.interaction_record(customer=customer, kind="call", channel="phone", direction="out",
                                       summary=summary)


def _age(obj):
    """Put the row's updated_at a month back (an explicit updated_at is kept as given)."""
    type(obj).objects.filter(pk=obj.pk).update(updated_at=LONG_AGO)
    obj.refresh_from_db()
    assert obj.updated_at == LONG_AGO
    return obj


def _moved(obj) -> bool:
    obj.refresh_from_db()
    return obj.updated_at > LONG_AGO + dt.timedelta(days=29)


# --- updated_at moves on every write -----------------------------------------------------------
@pytest.fixture
def rows(customer_a, sales_a):
    """One row of every synced model, and of the messaging outbox, each with a field to write."""
    customer_a.sms_consent = True
    customer_a.save()
    send = marketing_services.send_create(idempotency_key="k", channel="sms", name="Promo", body="Halo",
                                          customers=[customer_a.pk], by=sales_a)
    return {
        Customer: (customer_a, {"city": "Cimahi"}),
        ContactPerson: (services.contact_person_create(customer=customer_a, by=None, name="Rina"), {"role": "CFO"}),
        Asset: (AssetFactory(customer=customer_a), {"odometer_km": 1200}),
        Interaction: (_note(customer_a), {"summary": "Called back"}),
        Tag: (TagFactory(name="vip"), {"name": "VIP"}),
        Send: (send, {"name": "Promo 2"}),
        Message: (Message.objects.get(send=send), {"error_message": "x"}),
        Branch: (customer_a.branch, {"city": "Bandung Barat"}),
    }


def test_it_syncs_the_customer_record_models():
    # crm's customer record; each department app adds its own records by the one declaration.
    assert {Asset, ContactPerson, Customer, Interaction, Tag} <= set(sync.synced_models())


def test_it_moves_updated_at_on_queryset_update_of_every_timestamped_model(rows):
    for model, (obj, values) in rows.items():
        _age(obj)
        assert model.objects.filter(pk=obj.pk).update(**values) == 1
        assert _moved(obj), model


def test_it_keeps_an_updated_at_given_to_update(rows):
    customer, _values = rows[Customer]
    _age(customer)  # update(updated_at=...) kept as given: the helper asserts it


def test_it_moves_updated_at_on_related_manager_update(rows):
    asset, _values = rows[Asset]
    _age(asset)
    asset.customer.assets.update(odometer_km=5000)
    assert _moved(asset)


def test_it_moves_updated_at_on_bulk_update(rows):
    objs = [_age(rows[m][0]) for m in (Customer, Asset)]
    objs[0].city = "Garut"
    Customer.objects.bulk_update([objs[0]], ["city"])
    objs[1].odometer_km = 999
    Asset.objects.bulk_update([objs[1]], ["odometer_km"])
    assert all(_moved(o) for o in objs)
    assert Customer.objects.get(pk=objs[0].pk).city == "Garut"


def test_it_keeps_an_updated_at_named_in_bulk_update(rows):
    customer = _age(rows[Customer][0])
    customer.city = "Garut"
    customer.updated_at = LONG_AGO
    Customer.objects.bulk_update([customer], ["city", "updated_at"])
    assert not _moved(customer)


def test_it_moves_updated_at_on_save_with_update_fields(rows):
    asset = _age(rows[Asset][0])
    asset.odometer_km = 7000
    asset.save(update_fields=["odometer_km"])
    assert _moved(asset)


def test_it_moves_updated_at_on_an_upsert(rows):
    tag = _age(rows[Tag][0])
    Tag.objects.bulk_create([Tag(name=tag.name)], update_conflicts=True, unique_fields=["name"],
                            update_fields=["name"])
    assert _moved(tag)


def test_it_moves_updated_at_when_a_deleted_owner_is_set_to_null(rows, sales_a):
    # Django's collector writes the SET_NULL through the model's base manager.
    customer = _age(rows[Customer][0])
    assert customer.owner == sales_a
    User.objects.filter(pk=sales_a.pk).delete()
    assert _moved(customer)
    assert customer.owner_id is None


def test_it_moves_updated_at_when_a_lease_is_extended_in_raw_sql(rows):
    message = rows[Message][0]
    token = uuid.uuid4()
    Message.objects.filter(pk=message.pk).update(status=Message.Status.SENDING, claim_token=token)
    _age(message)
    marketing_services._lease_extend(token)
    assert _moved(message)
    assert message.lease_until is not None


def test_it_moves_updated_at_in_the_raw_sql_claim_and_attempt(rows):
    message = _age(rows[Message][0])
    send = message.send
    send.status = Send.Status.RUNNING
    send.purpose = Send.Purpose.TRANSACTIONAL  # not held back by quiet hours, whatever the time of the run
    send.save()
    token = uuid.uuid4()
    assert marketing_services._claim(send, 10, token) == [message.pk]
    assert _moved(message)
    _age(message)
    assert marketing_services._attempt_start(message.pk, token) == 1
    assert _moved(message)


def test_it_finds_no_timestamped_model_with_a_manager_that_does_not_stamp():
    assert check_timestamped_managers() == []


@isolate_apps("crm")
def test_it_fails_the_check_for_a_custom_manager_on_a_plain_queryset():
    class Plain(TimeStampedModel):
        objects = models.Manager()

        class Meta:
            app_label = "crm"

    class Good(TimeStampedModel):
        objects = TimeStampedQuerySet.as_manager()

        class Meta:
            app_label = "crm"

    assert [(e.id, e.obj) for e in timestamped_manager_errors(Plain)] == [("accounts.E101", Plain)] * 2
    assert timestamped_manager_errors(Good) == []


# --- deletions leave tombstones -----------------------------------------------------------------
def _tombstones(model=None):
    qs = Tombstone.objects.order_by("id")
    return list(qs.filter(model_label=model._meta.label_lower) if model else qs)


def test_it_leaves_a_tombstone_when_a_contact_person_is_removed(customer_a, sales_a):
    person = services.contact_person_create(customer=customer_a, by=sales_a, name="Rina")
    services.contact_person_delete(person=person, by=sales_a)
    [stone] = _tombstones()
    assert (stone.model_label, stone.public_id, stone.branch, stone.deleted_by) == (
        "crm.contactperson", person.public_id, customer_a.branch, sales_a)
    assert timezone.now() - stone.deleted_at < dt.timedelta(minutes=1)


def test_it_finds_the_branch_of_a_row_whose_customer_was_not_loaded(customer_a):
    asset = AssetFactory(customer=customer_a)
    Asset.objects.get(pk=asset.pk).delete()  # asset.customer not cached: looked up
    [stone] = _tombstones()
    assert (stone.model_label, stone.public_id, stone.branch_id, stone.deleted_by) == (
        "crm.asset", asset.public_id, customer_a.branch_id, None)


def test_it_leaves_a_tombstone_per_row_of_a_queryset_delete(customer_a, customer_b):
    notes = [_note(customer_a, "a1"), _note(customer_a, "a2"), _note(customer_b, "b1")]
    Interaction.objects.filter(pk__in=[n.pk for n in notes]).delete()
    stones = _tombstones(Interaction)
    assert {(s.public_id, s.branch_id) for s in stones} == {
        (notes[0].public_id, customer_a.branch_id), (notes[1].public_id, customer_a.branch_id),
        (notes[2].public_id, customer_b.branch_id)}


def test_it_leaves_tombstones_for_a_deleted_customer_and_everything_that_went_with_it(customer_a, customer_b,
                                                                                        sales_a):
    AssetFactory(customer=customer_a)
    services.contact_person_create(customer=customer_a, by=None, name="Rina")
    _note(customer_a)
    AssetFactory(customer=customer_b)  # another customer's rows stay, and leave nothing
    expected = {("crm.customer", customer_a.public_id)}
    for model in (Asset, ContactPerson, Interaction):
        expected |= {(model._meta.label_lower, pid)
                     for pid in model.objects.filter(customer=customer_a).values_list("public_id", flat=True)}
    assert len(expected) > 5  # the creation note and the "added" notes are interactions too
    with sync.deleted_by(sales_a):
        Customer.objects.get(pk=customer_a.pk).delete()
    stones = _tombstones()
    assert {(s.model_label, s.public_id) for s in stones} == expected
    assert {s.branch_id for s in stones} == {customer_a.branch_id}
    assert {s.deleted_by_id for s in stones} == {sales_a.pk}


def test_it_leaves_a_tombstone_with_no_branch_for_a_tag(customer_a):
    tag = TagFactory(name="vip")
    customer_a.tags.add(tag)
    tag.delete()
    [stone] = _tombstones()
    assert (stone.model_label, stone.public_id, stone.branch_id) == ("crm.tag", tag.public_id, None)


def test_it_writes_no_tombstone_when_the_delete_rolls_back(customer_a):
    # The tombstone is written in the deleting transaction: it goes (and stays) with it.
    asset = AssetFactory(customer=customer_a)
    pk = asset.pk
    with pytest.raises(RuntimeError), transaction.atomic():
        asset.delete()
        assert len(_tombstones()) == 1
        raise RuntimeError("changed my mind")
    assert _tombstones() == [] and Asset.objects.filter(pk=pk).exists()


def test_it_never_lends_the_rows_of_a_failed_delete_to_the_next_one(customer_a):
    """A delete that fails between pre_delete and post_delete leaves its noted rows behind;
    the next delete writes only its own."""
    failing, kept = AssetFactory(customer=customer_a), AssetFactory(customer=customer_a)

    def boom(sender, instance, **kwargs):
        if instance.pk == failing.pk:
            raise RuntimeError("a receiver failed")

    pre_delete.connect(boom, sender=Asset)  # after sync's own receiver: the row is noted first
    try:
        with pytest.raises(RuntimeError), transaction.atomic():
            Asset.objects.filter(pk__in=[failing.pk, kept.pk]).delete()
    finally:
        pre_delete.disconnect(boom, sender=Asset)
    other = AssetFactory(customer=customer_a)
    Asset.objects.filter(pk=other.pk).delete()
    assert [s.public_id for s in _tombstones()] == [other.public_id]
    assert Asset.objects.filter(pk__in=[failing.pk, kept.pk]).count() == 2


def test_it_writes_the_tombstones_of_a_thousand_rows_in_a_bounded_number_of_queries(customer_a, customer_b):
    # 1,000 interactions on two customers, in one INSERT.
    services.interactions_record_bulk(
        dict(customer=c, kind="note", channel="system", direction="internal", summary=f"n{i}")
        for i, c in enumerate([customer_a, customer_b] * 500))
    doomed = Interaction.objects.filter(summary__startswith="n")
    assert doomed.count() == 1000
    with CaptureQueriesContext(connection) as captured:
        deleted, _by_model = doomed.delete()
    assert deleted == 1000
    sqls = [q["sql"] for q in captured.captured_queries]
    inserts = [s for s in sqls if s.startswith('INSERT INTO "crm_tombstone"')]
    lookups = [s for s in sqls if s.startswith('SELECT') and 'FROM "crm_customer"' in s]
    # One INSERT for the 1,000 tombstones, one SELECT for their customers' branches; the
    # rest is Django's own delete (one SELECT of the rows, DELETEs 100 ids at a time).
    assert (len(inserts), len(lookups)) == (1, 1), sqls
    assert len(sqls) <= 1 + 10 + 2 + 2, sqls  # + the savepoint around bulk_create
    assert Tombstone.objects.count() == 1000
    assert Tombstone.objects.filter(branch=customer_a.branch).count() == 500


def test_it_deletes_a_customer_with_its_children_in_one_insert_per_synced_model(customer_a):
    for _ in range(3):
        AssetFactory(customer=customer_a)
        services.contact_person_create(customer=customer_a, by=None, name="Rina")
    with CaptureQueriesContext(connection) as captured:
        Customer.objects.filter(pk=customer_a.pk).delete()
    inserts = [q["sql"] for q in captured.captured_queries if q["sql"].startswith('INSERT INTO "crm_tombstone"')]
    lookups = [q["sql"] for q in captured.captured_queries
               if q["sql"].startswith("SELECT") and 'FROM "crm_customer"' in q["sql"]
               and '"crm_customer"."id" IN' in q["sql"] and "branch" in q["sql"]]
    # Customer, Asset, ContactPerson, Interaction: one each. The children's branch comes
    # from the customer deleted with them: no lookup.
    assert len(inserts) == 4 and lookups == []
    assert Tombstone.objects.filter(branch=customer_a.branch).count() == 1 + 3 + 3 + 7


def test_it_records_who_deleted_through_the_back_office(client, customer_a, head_office):
    superuser = User.objects.create_superuser(email="root@relasi.test", password="x", branch=head_office)
    asset = AssetFactory(customer=customer_a)
    client.force_login(superuser)
    response = client.post(reverse("admin:crm_asset_delete", args=[asset.pk]), {"post": "yes"})
    assert response.status_code == 302
    [stone] = _tombstones()
    assert (stone.public_id, stone.deleted_by) == (asset.public_id, superuser)


def test_it_lists_tombstones_read_only_in_the_back_office(client, customer_a, customer_b, head_office,
                                                          django_assert_num_queries):
    superuser = User.objects.create_superuser(email="root@relasi.test", password="x", branch=head_office)
    for customer in (customer_a, customer_b):
        for _ in range(3):
            AssetFactory(customer=customer).delete()
    client.force_login(superuser)
    url = reverse("admin:crm_tombstone_changelist")
    # 1. session, 2. user, 3.-4. the row count (the planner's estimate, then a real count
    # while the table is small), 5. the page, branch and staff member joined in.
    with django_assert_num_queries(5):
        body = client.get(url).content.decode()
    Customer.objects.filter(pk__in=[customer_a.pk, customer_b.pk]).delete()  # many more rows
    with django_assert_num_queries(5):
        client.get(url)
    assert body.count("crm.asset") >= 6
    stone = Tombstone.objects.first()
    assert client.get(reverse("admin:crm_tombstone_change", args=[stone.pk])).status_code == 200
    assert client.post(reverse("admin:crm_tombstone_change", args=[stone.pk]), {}).status_code == 403
    assert client.get(reverse("admin:crm_tombstone_add")).status_code == 403
    assert client.post(reverse("admin:crm_tombstone_delete", args=[stone.pk]), {"post": "yes"}).status_code == 403
    assert client.get(url, {"model_label": "crm.customer"}).content.decode().count(str(customer_a.public_id)) == 1


# --- declaring a model synced ---------------------------------------------------------------------
@isolate_apps("crm")
def test_it_refuses_to_sync_a_model_without_a_public_id():
    class NoKey(TimeStampedModel):
        class Meta:
            app_label = "crm"

    with pytest.raises(ImproperlyConfigured, match="public_id"):
        sync.register(NoKey)


@isolate_apps("crm")
def test_it_refuses_an_owner_that_is_neither_branch_nor_head_office():
    class Bare(models.Model):
        public_id = models.UUIDField(default=uuid.uuid4)

        class Meta:
            app_label = "crm"

    with pytest.raises(ImproperlyConfigured, match="owner"):
        sync.register(Bare, owner="everyone")
    assert not sync.is_synced(Bare)


def test_it_gives_existing_and_raw_inserted_tags_their_own_public_id():
    # What crm 0009 does to a table with tags in it: the column's database default draws
    # a new UUID per row (a Python default would give every row the same one).
    field = Tag._meta.get_field("public_id")
    with connection.cursor() as cursor:  # the sync triggers (branches.capture) read public_id
        cursor.execute("ALTER TABLE crm_tag DISABLE TRIGGER USER")
    with connection.schema_editor() as editor:
        editor.remove_field(Tag, field)
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO crm_tag (name, created_at, updated_at) VALUES ('a', now(), now()), "
                       "('b', now(), now())")
    with connection.schema_editor() as editor:
        editor.add_field(Tag, field)
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO crm_tag (name, created_at, updated_at) VALUES ('c', now(), now())")
    ids = list(Tag.objects.values_list("public_id", flat=True))
    assert len(ids) == len(set(ids)) == 3 and None not in ids


def test_it_reads_each_models_branch_from_its_queryset():
    assert {m.__name__: sync.branch_path(m) for m in sync.synced_models() if m._meta.app_label == "crm"} == {
        "Asset": "customer__branch", "ContactPerson": "customer__branch", "Customer": "branch",
        "Interaction": "customer__branch", "Tag": None}
