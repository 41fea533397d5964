import datetime as dt

import time_machine
from django.conf import settings
from django.urls import reverse

from tests.conftest import PASSWORD


def test_it_signs_a_user_out_after_the_idle_time_but_not_while_they_work(client, front_desk):
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    idle = dt.timedelta(minutes=settings.SESSION_IDLE_MINUTES)
    with time_machine.travel(start, tick=False) as clock:
        assert client.post(reverse("accounts:login"), {"username": "fiona", "password": PASSWORD}).status_code == 302
        # Working steadily: each request renews the session, so two idle-lengths in total are fine.
        for _ in range(4):
            clock.shift(idle / 2)
            assert client.get(reverse("home")).status_code == 200
        clock.shift(idle + dt.timedelta(seconds=1))
        response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next=/"


def test_the_embedded_default_idle_time_is_thirty_minutes():
    assert settings.SESSION_IDLE_MINUTES == 30
    assert settings.SESSION_COOKIE_AGE == 1800
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
