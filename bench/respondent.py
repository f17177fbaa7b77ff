"""What a respondent's browser reads off a survey page, shared by the locust respondent
(``bench/browser_survey.py``) and the in-process profiler (``bench/profile_browser.py``)."""

import re
from html import unescape

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
QUESTION = re.compile(r'<div class="question[^"]*" id="(q-[^"]+)"(?:[^>]*? data-shown="([^"]*)")?')


def shown_on_page(page: str) -> str:
    """What respond.js sends with an autosave: each shown question's id and data-shown."""
    return "\n".join(
        f"{unescape(key)}={unescape(shown or '')}" for key, shown in QUESTION.findall(page)
    )
