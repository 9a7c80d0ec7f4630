"""Charts and their tables, one way for every report (issue 8, section 6).

A report builds a ``Chart`` from its figures and shows it with the include::

    {% url "branches:report_csv" branch.public_id as csv_url %}
    {% include "includes/chart.html" with chart=chart csv_url=csv_url %}

The include prints the table of the figures, draws the chart from the very same figures
(static/js/charts.js with the vendored Chart.js, data through ``json_script``: no inline
script) and links to the CSV of that table, which the report's CSV view answers with
``chart_csv_response(chart, filename)``. Table, chart and CSV cannot disagree: all three are
read from the one ``Chart``.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
from dataclasses import dataclass, field
from numbers import Number

from django.http import HttpResponse
from django.utils import formats
from django.utils.text import slugify

KINDS = ("bar", "line")
# Cells a spreadsheet would run as a formula (CSV injection); such text is written with a quote in front.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Row:
    value: str  # the label as the CSV writes it (a date as 2026-11-23)
    text: str  # the label as the table and the chart show it (a date in the reader's language)
    values: tuple


@dataclass
class Chart:
    """Figures by label: ``series`` is ``[(name, values)]``, each with one value per label.

    ``labels`` may be dates (shown in the reader's language, written ISO in the CSV) or text.
    ``unit`` names what is counted ("interactions", "Rp"); ``label_header`` heads the label
    column of the table and the CSV.
    """

    title: str
    labels: list
    series: list[tuple[str, list]]
    kind: str = "bar"
    unit: str = ""
    label_header: str = ""
    stacked: bool = False
    date_format: str = "D j M"
    dom_id: str = field(default="")

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {self.kind!r}")
        for name, values in self.series:
            if len(values) != len(self.labels):
                raise ValueError(f"series {name!r} has {len(values)} values for {len(self.labels)} labels")
            if not all(isinstance(v, Number) and not isinstance(v, bool) for v in values):
                raise ValueError(f"series {name!r} holds values that are not numbers")
        self.dom_id = self.dom_id or f"chart-{slugify(str(self.title)) or 'figures'}"

    @property
    def data_id(self) -> str:
        return f"{self.dom_id}-data"

    @property
    def is_empty(self) -> bool:
        return not self.series or not self.labels

    @property
    def series_names(self) -> list[str]:
        return [str(name) for name, _values in self.series]

    def label_value(self, label) -> str:
        return label.isoformat() if isinstance(label, dt.date) else str(label)

    def label_text(self, label) -> str:
        return formats.date_format(label, self.date_format) if isinstance(label, dt.date) else str(label)

    @property
    def rows(self) -> list[Row]:
        columns = [values for _name, values in self.series]
        return [Row(self.label_value(label), self.label_text(label), tuple(col[i] for col in columns))
                for i, label in enumerate(self.labels)]

    @property
    def header(self) -> list[str]:
        return [str(self.label_header), *self.series_names]

    @property
    def data(self) -> dict:
        """What charts.js draws (through ``json_script``)."""
        return {
            "kind": self.kind,
            "title": str(self.title),
            "unit": str(self.unit),
            "stacked": self.stacked,
            "labels": [self.label_text(label) for label in self.labels],
            "series": [{"name": str(name), "values": [_plain(v) for v in values]} for name, values in self.series],
        }

    def csv_rows(self) -> list[list[str]]:
        """The table as the CSV has it: the header, then one row per label."""
        return [self.header] + [[row.value, *(_plain_text(v) for v in row.values)] for row in self.rows]


def _plain(value):
    return float(value) if isinstance(value, decimal.Decimal) else value


def _plain_text(value) -> str:
    # Machine-readable numbers: no thousands separator, a dot before decimals.
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _safe_cell(text: str) -> str:
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def chart_csv(chart: Chart) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    header, *rows = chart.csv_rows()
    writer.writerow([_safe_cell(c) for c in header])
    for label, *values in rows:
        writer.writerow([_safe_cell(label), *values])
    return out.getvalue()


def chart_csv_response(chart: Chart, filename: str) -> HttpResponse:
    """The chart's table as a CSV download. UTF-8 with a byte-order mark, so that a
    spreadsheet opened by double click reads "Kunjungan servis" and the like correctly."""
    filename = slugify(filename.removesuffix(".csv")) or "figures"
    response = HttpResponse("\ufeff" + chart_csv(chart), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response
