"""``{% nav_menu %}``: the top menu from the apps' registered links (crm.registry.nav_links)."""

from django import template
from django.urls import reverse

from crm.registry import nav_for

register = template.Library()


@register.inclusion_tag("includes/nav.html", takes_context=True)
def nav_menu(context):
    """The user's menus; the link whose address is the longest start of this page's is active."""
    request = context.get("request")
    path = request.path if request is not None else ""
    menus = [(menu, [(link, reverse(link.url_name)) for link in menu.links]) for menu in nav_for(context["user"])]
    matches = [url for _menu, links in menus for _link, url in links if url != "/" and path.startswith(url)]
    current = max(matches, key=len, default=None)
    return {"menus": [
        {"menu": menu, "links": [(link, url, url == current) for link, url in links],
         "active": any(url == current for _link, url in links)}
        for menu, links in menus]}
