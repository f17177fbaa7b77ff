"""The staff console's webhook pages, under /staff/webhooks/."""

from django.urls import path

from webhooks import views

urlpatterns = [
    path("", views.endpoint_list, name="staff-webhook-list"),
    path("new/", views.endpoint_create, name="staff-webhook-create"),
    path("<int:pk>/", views.endpoint_detail, name="staff-webhook-detail"),
    path("<int:pk>/edit/", views.endpoint_edit, name="staff-webhook-edit"),
    path("<int:pk>/action/", views.endpoint_action, name="staff-webhook-action"),
    path("<int:pk>/secret/", views.endpoint_rotate, name="staff-webhook-rotate"),
    path("deliveries/<int:pk>/", views.delivery_detail, name="staff-webhook-delivery"),
]
