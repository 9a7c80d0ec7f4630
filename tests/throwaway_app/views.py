from django.http import HttpResponse
from django.views.decorators.http import require_GET

from accounts.access import get_for_user_or_404, staff_view

from .models import Widget


def widget_get_for_user(user, widget_id, *, write=False) -> Widget:
    return get_for_user_or_404(Widget.objects, user, write_perm="throwaway_app.change_widget" if write else None,
                               public_id=widget_id)


@require_GET
@staff_view("throwaway_app.view_widget")
def widget_detail(request, widget_id):
    return HttpResponse(widget_get_for_user(request.user, widget_id).name)
