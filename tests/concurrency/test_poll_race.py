"""One browser sending the same poll answer 50 times at once (double clicks, retries, tabs)
ends with exactly one response and one answer, and no request fails."""

import copy
import http.cookiejar
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from surveys.models import Answer, Response, ResponseStatus
from surveys.services.questionnaires import questionnaire_create
from surveys.specs import CHANNEL_POLL
from tests.concurrency.test_submit_race import NoRedirect
from tests.factories import poll_wave


def test_fifty_parallel_sends_from_one_browser_make_one_response(server_url: str) -> None:
    poll_wave(
        open_slug="kanal", questionnaire=questionnaire_create(spec=copy.deepcopy(CHANNEL_POLL))
    )
    url = f"{server_url}/p/kanal/"
    jar = http.cookiejar.CookieJar()  # one browser: every request carries the same cookies

    def opener() -> Any:
        return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect())

    html = opener().open(url, timeout=30).read().decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    assert any(c.name == "ks_poll" for c in jar)
    body = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": csrf, "preferred_channel": "chat", "action": "finish"}
    ).encode()
    start = threading.Barrier(50)

    def send(_: int) -> int:
        start.wait()
        try:
            with opener().open(url, data=body, timeout=60) as answer:
                return answer.status
        except urllib.error.HTTPError as error:
            return error.code

    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = Counter(pool.map(send, range(50)))

    # 302 to the result, or (for requests that arrive once it is sent) the result page itself.
    assert set(statuses) <= {302, 200}, statuses
    assert Response.objects.count() == 1
    assert Response.objects.get().status == ResponseStatus.SUBMITTED
    assert list(Answer.objects.values_list("value_text", flat=True)) == ["chat"]
