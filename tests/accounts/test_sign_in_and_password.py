from django.urls import reverse

from ris.audit.models import AccessLog
from tests.conftest import PASSWORD


def test_signing_in_and_out_is_in_the_access_log(client, front_desk):
    response = client.post(reverse("accounts:login"), {"username": "fiona", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    client.post(reverse("accounts:logout"))
    entries = list(AccessLog.objects.order_by("id").values_list("username", "action", "outcome"))
    assert entries == [("fiona", "login", "success"), ("fiona", "logout", "success")]


def test_a_wrong_password_is_refused_with_words_and_logged_as_a_failure(client, front_desk):
    response = client.post(reverse("accounts:login"), {"username": "fiona", "password": "wrong"})
    assert response.status_code == 200
    assert "The user name or password is not right." in response.content.decode()
    entry = AccessLog.objects.get()
    assert (entry.action, entry.outcome, entry.user, entry.detail) == (
        "login_failed",
        "failure",
        None,
        {"username": "fiona"},
    )


def test_a_user_changes_their_password_and_the_old_one_stops_working(client, front_desk):
    client.force_login(front_desk)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": "Radiology-Rocks-2026", "new_password2": "Radiology-Rocks-2026"},
    )
    assert response.status_code == 302
    front_desk.refresh_from_db()
    assert front_desk.check_password("Radiology-Rocks-2026") is True
    assert front_desk.check_password(PASSWORD) is False


def test_a_too_short_new_password_is_refused_with_the_reason(client, front_desk):
    client.force_login(front_desk)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": "short", "new_password2": "short"},
    )
    assert response.status_code == 200
    assert "This password is too short. It must contain at least 10 characters." in response.content.decode()


def test_a_deactivated_user_holds_no_role(front_desk):
    front_desk.is_active = False
    front_desk.save()
    assert front_desk.role_names == frozenset()


def test_five_wrong_passwords_lock_the_user_name_from_that_address(client, front_desk):
    url = reverse("accounts:login")
    codes = [
        client.post(url, {"username": "fiona", "password": "wrong"}, REMOTE_ADDR="10.0.0.9").status_code
        for _ in range(5)
    ]
    assert codes == [200, 200, 200, 200, 429]  # the fifth failure locks
    locked = client.post(url, {"username": "fiona", "password": PASSWORD}, REMOTE_ADDR="10.0.0.9")
    assert locked.status_code == 429
    assert "Sign-in locked" in locked.content.decode()
    # Another address is not locked out by someone guessing elsewhere.
    assert client.post(url, {"username": "fiona", "password": PASSWORD}, REMOTE_ADDR="10.0.0.10").status_code == 302
