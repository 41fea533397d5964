"""/health/ tells a load balancer whether this node can serve: database, storage and (when used) the broker."""

import os

import pytest
from django.urls import reverse

from ris.celery import app as celery_app


@pytest.fixture
def broker():
    saved = {"task_always_eager": celery_app.conf.task_always_eager, "broker_url": celery_app.conf.broker_url}

    def use(url):
        celery_app.conf.update(task_always_eager=False, broker_url=url)

    yield use
    celery_app.conf.update(saved)


def test_a_healthy_embedded_node_answers_ok_without_login(client, db):
    response = client.get(reverse("health"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "storage": "ok"}}


def test_unwritable_storage_makes_the_node_unready(client, db, settings, tmp_path):
    settings.STORAGE_ROOT = tmp_path / "missing"
    response = client.get(reverse("health"))
    assert response.status_code == 503
    assert response.json()["checks"]["storage"] == "error: not writable"


def test_an_unreachable_broker_makes_the_node_unready(client, db, broker):
    broker("redis://127.0.0.1:9/0")
    response = client.get(reverse("health"))
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == "error: OperationalError"


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis (REDIS_URL)")
def test_a_reachable_redis_broker_is_reported_ok(client, db, broker):
    broker(os.environ["REDIS_URL"])
    response = client.get(reverse("health"))
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "storage": "ok", "broker": "ok"}
