"""A separate, truly bare Django project: the baseline every benchmark compares against.

No installed apps, no middleware, no sessions, no templates, no i18n: one URL, one view, one
INSERT through Django's connection. Served by gunicorn with exactly the subject's settings
(``bench/harness.py`` ``GUNICORN_ARGS``) on the subject's database, so the ratio
subject ÷ bare measures what the project costs over Django itself.
"""
