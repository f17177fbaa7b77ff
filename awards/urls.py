"""The award night's URLs: public pages (under the site's language prefixes), the award
manager's console under /staff/awards/, and the jury's pages under /jury/."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from awards.views import jury, public, staff

public_patterns = [
    path("", public.event_list, name="award-event-list"),
    path("<slug:slug>/", public.event_page, name="award-event"),
    path("<slug:slug>/live/", public.live_page, name="award-live"),
    path("<slug:slug>/live/feed/", public.live_feed, name="award-live-feed"),
    path(_("<slug:slug>/winners/"), public.winners_page, name="award-winners"),
    path(_("<slug:slug>/diploma/<int:category>/"), public.diploma, name="award-diploma"),
]

staff_patterns = [
    path("", staff.event_list, name="staff-award-list"),
    path("<int:pk>/", staff.event_detail, name="staff-award-event"),
    path("<int:pk>/decisions/", staff.decisions, name="staff-award-decisions"),
    path("<int:pk>/presenter/", staff.presenter, name="staff-award-presenter"),
    path("<int:event_pk>/categories/new/", staff.category_edit, name="staff-award-category-create"),
    path("<int:event_pk>/categories/<int:pk>/", staff.category_edit, name="staff-award-category"),
    path("categories/<int:pk>/reveal/", staff.category_reveal, name="staff-award-reveal"),
    path("categories/<int:pk>/unreveal/", staff.category_unreveal, name="staff-award-unreveal"),
    path("categories/<int:pk>/jury/", staff.jury_manage, name="staff-award-jury"),
]

jury_patterns = [
    path("", jury.my_juries, name="jury-home"),
    path("<int:category>/", jury.score, name="jury-score"),
    path(
        "<int:category>/nominees/<int:pk>/document/",
        jury.nominee_document,
        name="jury-nominee-document",
    ),
]
