from django.urls import path

from . import views

app_name = "throwaway_app"

urlpatterns = [path("widgets/<uuid:widget_id>/", views.widget_detail, name="widget_detail")]
