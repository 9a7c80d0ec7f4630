"""Staff pages of the scheduled reminders: the rules and run log, a rule's form, its preview."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import staff_view

from . import reminders
from .forms import ReminderRuleForm
from .models import ReminderRule


@require_http_methods(["GET"])
@staff_view("marketing.view_reminderrule")
def reminder_rules(request):
    return render(request, "marketing/reminders.html", {
        "rules": reminders.rules_for_user(request.user),
        "runs": reminders.runs_recent() if request.user.has_perm("marketing.view_reminderrun") else None,
    })


@require_http_methods(["GET", "POST"])
@staff_view("marketing.add_reminderrule")
def reminder_rule_create(request):
    rule = ReminderRule(branch=None if request.user.sees_all_branches else request.user.branch)
    return _rule_form(request, rule, _("New reminder rule"))


# Views of one rule load it first (another branch's rule is a 404 whatever the role), then
# check the permission (403): reminder_rule_get_for_user.
@require_http_methods(["GET", "POST"])
@staff_view()
def reminder_rule_edit(request, reminder_rule_id):
    """Those who may not change the rule (another role, or a branch looking at a rule for
    every branch) see it read-only; their POST is a 403."""
    rule = reminders.reminder_rule_get_for_user(request.user, reminder_rule_id)
    if not reminders.rule_writable_by(rule, request.user):
        if request.method == "POST":
            raise PermissionDenied
        form = ReminderRuleForm(instance=rule, user=request.user)
        for field in form.fields.values():
            field.disabled = True
        return render(request, "marketing/reminders_form.html",
                      {"form": form, "title": rule.name, "rule": rule, "read_only": True})
    return _rule_form(request, rule, _("Edit reminder rule"))


def _rule_form(request, rule, title):
    form = ReminderRuleForm(request.POST or None, instance=rule, user=request.user)
    if request.method == "POST" and form.is_valid():
        rule = reminders.reminder_rule_save(rule=form.save(commit=False), by=request.user)
        messages.success(request, _("Reminder rule saved."))
        return redirect(rule)
    return render(request, "marketing/reminders_form.html", {"form": form, "title": title, "rule": rule})


@require_POST
@staff_view()
def reminder_rule_toggle(request, reminder_rule_id):
    rule = reminders.reminder_rule_get_for_user(request.user, reminder_rule_id, write=True)
    rule = reminders.reminder_rule_toggle(rule=rule, by=request.user)
    messages.success(request, _("Rule active.") if rule.active else _("Rule paused."))
    return redirect("marketing:reminder_rules")


@require_http_methods(["GET"])
@staff_view()
def reminder_rule_preview(request, reminder_rule_id):
    rule = reminders.reminder_rule_get_for_user(request.user, reminder_rule_id)
    return render(request, "marketing/reminders_preview.html", {
        "rule": rule, "preview": reminders.rule_preview(rule, request.user),
        "can_edit": reminders.rule_writable_by(rule, request.user),
    })
