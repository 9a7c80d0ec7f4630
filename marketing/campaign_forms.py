"""Forms of segments and campaigns (issue 12)."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .forms import placeholder_tokens
from .models import Campaign, Segment
from .segments import MAX_CONDITIONS, MAX_GROUPS, criteria_for, definition_compile

_ROW = re.compile(r"^c-(\d{1,2})-(\d{1,2})-key$")


class SegmentBuilder:
    """The criteria rows of the segment editor, read from and written back to the form.

    Fields are named ``c-<group>-<row>-key`` and ``c-<group>-<row>-value``; ``action`` is
    "add-<group>" (a condition in that group), "add-group", "remove-<group>-<row>".
    Each row's value is shown with the widget of its criterion's form field."""

    def __init__(self, user, data=None, definition=None):
        self.user = user
        self.criteria = criteria_for(user)
        self.by_key = {c.key: c for c in self.criteria}
        self.errors: dict[str, list[str]] = {}
        if data is not None:
            self.groups = self._read(data)
            self._act(data.get("action", ""))
        else:
            self.groups = [[{"key": r.get("key", ""), "value": r.get("value", "")} for r in group]
                           for group in (definition or {}).get("groups", [])]
        if not self.groups:
            self.groups = [[{"key": "", "value": ""}]]

    @staticmethod
    def _read(data) -> list[list[dict]]:
        rows: dict[int, dict[int, dict]] = {}
        for name in data:
            match = _ROW.match(name)
            if match:
                gi, ri = int(match[1]), int(match[2])
                if gi < MAX_GROUPS and ri < MAX_CONDITIONS:
                    rows.setdefault(gi, {})[ri] = {"key": data.get(name, ""),
                                                   "value": data.get(f"c-{gi}-{ri}-value", "")}
        return [[rows[gi][ri] for ri in sorted(rows[gi])] for gi in sorted(rows)]

    def _act(self, action: str) -> None:
        if action == "add-group" and len(self.groups) < MAX_GROUPS:
            self.groups.append([{"key": "", "value": ""}])
        elif action.startswith("add-"):
            gi = _int(action[4:])
            if gi is not None and gi < len(self.groups) and len(self.groups[gi]) < MAX_CONDITIONS:
                self.groups[gi].append({"key": "", "value": ""})
        elif action.startswith("remove-"):
            parts = action[7:].split("-")
            gi, ri = (_int(parts[0]), _int(parts[1])) if len(parts) == 2 else (None, None)
            if gi is not None and ri is not None and gi < len(self.groups) and ri < len(self.groups[gi]):
                del self.groups[gi][ri]
                self.groups = [g for g in self.groups if g]

    @property
    def definition(self) -> dict:
        """What is saved: rows with no condition chosen are left out."""
        return self._definition(lambda r: bool(r["key"]))

    def _definition(self, keep) -> dict:
        return {"groups": [[{"key": r["key"], "value": r["value"]} for r in group if keep(r)]
                           for group in self.groups if any(keep(r) for r in group)]}

    def compile(self, *, partial: bool = False):
        """The checked definition; errors are kept per row (``c-<g>-<r>``) for the template.

        ``partial`` (the live count while typing): a row still without a value is left out
        rather than reported; saving reports it."""
        keep = (lambda r: bool(r["key"]) and str(r["value"]).strip() != "") if partial else (lambda r: bool(r["key"]))
        definition = self._definition(keep)
        # Map positions of the checked definition back to the rows shown.
        kept_groups = [g for g, group in enumerate(self.groups) if any(keep(r) for r in group)]
        kept_rows = [[ri for ri, r in enumerate(self.groups[g]) if keep(r)] for g in kept_groups]
        try:
            return definition_compile(definition, self.user)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for name, errors in exc.message_dict.items():
                    gi, ri = (int(x) for x in name.split("-"))
                    self.errors[f"c-{kept_groups[gi]}-{kept_rows[gi][ri]}"] = errors
            else:
                self.errors["__all__"] = exc.messages
            raise

    @property
    def general_errors(self) -> list[str]:
        return self.errors.get("__all__", [])

    def rows(self):
        """For the template: each group's rows with their field names, widget and errors."""
        out = []
        for gi, group in enumerate(self.groups):
            rows = []
            for ri, row in enumerate(group):
                prefix = f"c-{gi}-{ri}"
                criterion = self.by_key.get(row["key"])
                widget = ""
                if criterion is not None:
                    field = criterion.field()
                    attrs = {"class": "form-select form-select-sm segment-value"
                             if isinstance(field.widget, forms.Select) else "form-control form-control-sm segment-value",
                             "id": f"id_{prefix}-value", "aria-label": str(criterion.label)}
                    if isinstance(field, forms.DateField):
                        attrs["type"] = "date"
                    widget = field.widget.render(f"{prefix}-value", row["value"], attrs=attrs)
                rows.append({"prefix": prefix, "key": row["key"], "widget": widget,
                             "errors": self.errors.get(prefix, []), "remove": f"remove-{gi}-{ri}"})
            out.append({"index": gi, "rows": rows, "add": f"add-{gi}"})
        return out


def _int(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) < 3 else None


class SegmentNameForm(forms.ModelForm):
    class Meta:
        model = Segment
        fields = ["name"]


class StaticListForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    file = forms.FileField(label=_("CSV file"),
                           help_text=_("One phone number or email address per line (the first column counts)."))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 20 * 1024 * 1024:
            raise ValidationError(_("The file is larger than 20 MB."))
        return upload


class CampaignForm(forms.ModelForm):
    send_at_local = forms.DateTimeField(
        label=_("Send at (each branch's local time)"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        help_text=_("Empty: sent when you press “Send now” after approval. 09:00 is 09:00 in every branch's zone."))

    class Meta:
        model = Campaign
        fields = ["name", "segment", "channel", "subject", "body", "subject_en", "body_en", "send_at_local",
                  "holdout_percent", "conversion_days", "cost_idr"]
        widgets = {"body": forms.Textarea(attrs={"rows": 3}), "body_en": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        from .segments import segments_for_user

        self.user = user
        self.fields["segment"].queryset = segments_for_user(user)
        self.fields["segment"].to_field_name = "public_id"
        self.fields["body"].help_text = _("Placeholders: %(names)s") % {"names": ", ".join(placeholder_tokens())}
        self.fields["holdout_percent"].max_value = 50
        self.fields["holdout_percent"].validators.append(_max(50))
        self.fields["conversion_days"].validators.append(_max(90))
        self.fields["conversion_days"].min_value = 1
        if self.instance.pk and self.instance.send_at_local:
            # Shown as typed: the wall-clock time, not converted to the server's zone.
            self.initial["send_at_local"] = timezone.localtime(self.instance.send_at_local).replace(tzinfo=None)

    def clean_send_at_local(self):
        value = self.cleaned_data.get("send_at_local")
        # A wall-clock time, the same in every zone: kept as that time in the server's zone.
        return timezone.make_aware(value.replace(tzinfo=None)) if value else None

    def clean(self):
        cleaned = super().clean()
        from .campaigns import campaign_texts_check, schedule_check

        errors = campaign_texts_check(channel=cleaned.get("channel", ""), body=cleaned.get("body", ""),
                                      body_en=cleaned.get("body_en", ""), subject=cleaned.get("subject", ""),
                                      subject_en=cleaned.get("subject_en", ""))
        for name, messages in errors.items():
            for message in messages:
                self.add_error(name, message)
        if cleaned.get("segment") and cleaned.get("send_at_local"):
            probe = Campaign(segment=cleaned["segment"])
            try:
                schedule_check(probe, timezone.localtime(cleaned["send_at_local"]))
            except ValidationError as exc:
                self.add_error("send_at_local", exc.message_dict["send_at_local"][0])
        return cleaned


def _max(limit):
    def check(value):
        if value is not None and value > limit:
            raise ValidationError(_("At most %(limit)s.") % {"limit": limit})
    return check


class PreviewForm(forms.Form):
    """Whom to preview the message for: a customer of the segment's sample, by public id."""

    customer = forms.UUIDField(required=False)
