"""crm.charts and templates/includes/chart.html: one set of figures gives the chart's data,
the table under it (numbers in the reader's locale) and its CSV (numbers plain)."""

import csv
import datetime as dt
import decimal
import io
import json
import re

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from crm.charts import Chart, chart_csv_response


def sales_chart(**overrides):
    values = {
        "title": "Penjualan per bulan",
        "labels": [dt.date(2026, 9, 1), dt.date(2026, 10, 1), dt.date(2026, 11, 1)],
        "series": [("Avanza", [1234567, 0, 12]), ("Rush", [decimal.Decimal("2.5"), 1.25, 3])],
        "kind": "line",
        "unit": "Rp",
        "label_header": "Bulan",
        "date_format": "M Y",
    }
    return Chart(**{**values, **overrides})


def rendered_table(html: str) -> list[list[str]]:
    body = html.split("<table")[1].split("</table>")[0]
    header = [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r'<th scope="col"[^>]*>(.*?)</th>', body, re.S)]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)[1:]
    return [header, *[re.findall(r'data-value="([^"]*)"', row) for row in rows]]


def shown_numbers(html: str) -> list[str]:
    return [text.strip() for text in re.findall(r'<td class="text-end" data-value="[^"]*">([^<]*)</td>', html)]


def test_it_refuses_figures_that_do_not_fit():
    with pytest.raises(ValueError, match="kind"):
        sales_chart(kind="pie")
    with pytest.raises(ValueError, match="2 values for 3 labels"):
        sales_chart(series=[("Avanza", [1, 2])])
    with pytest.raises(ValueError, match="not numbers"):
        sales_chart(series=[("Avanza", [1, "2", 3])])


def test_the_table_rows_and_the_chart_data_come_from_the_same_figures():
    chart = sales_chart()
    assert chart.header == ["Bulan", "Avanza", "Rush"]
    assert [row.value for row in chart.rows] == ["2026-09-01", "2026-10-01", "2026-11-01"]
    assert chart.rows[0].values == (1234567, decimal.Decimal("2.5"))
    with translation.override("en"):
        data = chart.data
    assert data["labels"] == ["Sep 2026", "Oct 2026", "Nov 2026"]
    assert data["series"] == [{"name": "Avanza", "values": [1234567, 0, 12]},
                              {"name": "Rush", "values": [2.5, 1.25, 3]}]
    assert (data["kind"], data["unit"], data["stacked"]) == ("line", "Rp", False)
    json.dumps(data)  # nothing a browser could not read (Decimal became a number)


@pytest.mark.parametrize("language, numbers", [
    ("en", ["1,234,567", "2.50", "0", "1.25", "12", "3"]),  # floatformat:"-2g": decimals only when there are any
    ("id", ["1.234.567", "2,50", "0", "1,25", "12", "3"]),
])
def test_the_include_prints_numbers_in_the_readers_locale(language, numbers):
    with translation.override(language):
        html = render_to_string("includes/chart.html", {"chart": sales_chart(), "csv_url": "/r.csv"})
    assert shown_numbers(html) == numbers
    # ...while data-value and the chart's data stay machine-readable.
    assert rendered_table(html)[1] == ["2026-09-01", "1234567", "2.5"]


def test_the_include_draws_from_json_script_without_inline_code():
    html = render_to_string("includes/chart.html", {"chart": sales_chart(), "csv_url": "/r.csv"})
    assert '<canvas data-chart="chart-penjualan-per-bulan-data" role="img"' in html
    script = re.search(r'<script id="chart-penjualan-per-bulan-data" type="application/json">(.*?)</script>',
                       html, re.S)
    assert json.loads(script.group(1))["series"][0]["name"] == "Avanza"
    # Every other script is a file: no inline code for the Content-Security-Policy to refuse.
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert [attrs for attrs, body in scripts if body.strip() and "application/json" not in attrs] == []
    assert '/static/vendor/chartjs/chart.umd.min.js' in html and '/static/js/charts.js' in html
    assert '<a class="btn btn-sm btn-outline-secondary chart-csv" href="/r.csv" download>' in html


def test_the_include_escapes_what_it_is_given():
    chart = sales_chart(title='<img src=x onerror=alert(1)>', series=[("</script><script>alert(1)", [1, 2, 3])],
                        labels=["<b>a</b>", "b", "c"])
    html = render_to_string("includes/chart.html", {"chart": chart})
    assert "<img src=x" not in html and "<b>a</b>" not in html
    assert "</script><script>alert(1)" not in html
    assert "\\u003C/script\\u003E" in html  # json_script's escaping


def test_an_empty_chart_shows_the_empty_text_and_no_canvas():
    html = render_to_string("includes/chart.html", {"chart": sales_chart(series=[]), "empty_text": "Belum ada data."})
    assert "Belum ada data." in html and "<canvas" not in html and "<table" not in html


def test_the_csv_is_the_rendered_table():
    chart = sales_chart()
    with translation.override("id"):
        html = render_to_string("includes/chart.html", {"chart": chart})
        response = chart_csv_response(chart, "Penjualan November 2026.csv")
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")  # a spreadsheet opened by double click reads UTF-8
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))
    assert rows == rendered_table(html)
    assert rows == [["Bulan", "Avanza", "Rush"], ["2026-09-01", "1234567", "2.5"], ["2026-10-01", "0", "1.25"],
                    ["2026-11-01", "12", "3"]]
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="penjualan-november-2026.csv"'


def test_the_csv_defuses_text_a_spreadsheet_would_run_as_a_formula():
    chart = Chart(title="t", labels=["=HYPERLINK(\"http://x\")", "+1", "Budi"],
                  series=[("@SUM(A1)", [-1, 2, 3])])
    rows = list(csv.reader(io.StringIO(chart_csv_response(chart, "x").content.decode("utf-8-sig"))))
    assert rows == [["", "'@SUM(A1)"], ["'=HYPERLINK(\"http://x\")", "-1"], ["'+1", "2"], ["Budi", "3"]]
