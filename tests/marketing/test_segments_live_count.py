"""The live count's sample strategy and the indexes it relies on (issue 12, marketing 0013)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import Customer
from marketing import segments
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_nothing_matched_is_one_count_and_no_sample(branch_a):
    CustomerFactory(branch=branch_a, city="Bandung")
    with CaptureQueriesContext(connection) as ctx:
        result = segments.count_and_sample(Customer.objects.filter(city="Medan"))
    assert result == {"count": 0, "sample": []}
    selects = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("SELECT") and "crm_customer" in q["sql"]]
    assert len(selects) == 1 and "COUNT(*)" in selects[0]


def test_a_slow_walk_for_a_rare_sample_falls_back_to_the_whole_result(branch_a, monkeypatch):
    """Fewer than SAMPLE_FAST_MIN matches: the newest-first walk gets SAMPLE_FAST_MS; when it
    runs out, the sample is taken from the whole result, and it is the same sample."""
    older, newer = CustomerFactory(branch=branch_a), CustomerFactory(branch=branch_a)
    monkeypatch.setattr(segments, "SAMPLE_FAST_MS", 20)
    slow = Customer.objects.extra(where=["pg_sleep(0.05) IS NOT NULL"])
    with CaptureQueriesContext(connection) as ctx:
        result = segments.count_and_sample(slow)
    assert result["count"] == 2
    assert [c.pk for c in result["sample"]] == [newer.pk, older.pk]
    sleeping = [q["sql"] for q in ctx.captured_queries if "pg_sleep" in q["sql"]]
    # the count, the walk (cancelled at 20 ms), the whole result's ids
    assert len(sleeping) == 3 and "LIMIT" in sleeping[1] and "LIMIT" not in sleeping[2]
    assert segments.count_and_sample(Customer.objects.all())["count"] == 2  # the connection is fine after


def test_a_large_result_takes_the_newest_first_in_one_query(branch_a, monkeypatch):
    customers = [CustomerFactory(branch=branch_a) for _ in range(12)]
    monkeypatch.setattr(segments, "SAMPLE_FAST_MIN", 5)
    with CaptureQueriesContext(connection) as ctx:
        result = segments.count_and_sample(Customer.objects.all())
    assert result["count"] == 12
    assert [c.pk for c in result["sample"]] == [c.pk for c in reversed(customers)][:segments.SAMPLE_SIZE]
    # the count's own savepoint only: no guarded walk
    assert sum(q["sql"].startswith("SAVEPOINT") for q in ctx.captured_queries) == 1


def test_the_live_count_runs_without_jit(branch_a):
    seen = []

    def spy(execute, sql, params, many, context):
        if "COUNT(*)" in sql:
            with connection.cursor() as cursor:
                cursor.execute("SELECT current_setting('jit'), setting FROM pg_settings "
                               "WHERE name = 'statement_timeout'")
                seen.append(cursor.fetchone())
        return execute(sql, params, many, context)

    CustomerFactory(branch=branch_a)
    with connection.execute_wrapper(spy):
        segments.count_and_sample(Customer.objects.all())
    assert seen == [("off", str(segments.LIVE_COUNT_TIMEOUT_MS))]


@pytest.mark.parametrize("name", ["customer_segment_idx", "asset_segment_idx", "asset_make_customer_idx",
                                  "asset_warranty_customer_idx", "asset_service_due_customer_idx",
                                  "complaint_open_customer_idx", "lead_open_customer_idx",
                                  "opportunity_open_customer_idx"])
def test_the_segment_indexes_exist(name):
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
        assert cursor.fetchone()[0]


def test_the_open_complaint_criterion_can_use_its_partial_index():
    """The partial index's predicate must be implied by the criterion's WHERE, or it is dead weight."""
    from complaints.segments import q_open_complaint

    sql, params = Customer.objects.filter(q_open_complaint("yes")).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "complaint_open_customer_idx" in plan
