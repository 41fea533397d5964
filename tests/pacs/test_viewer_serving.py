"""Serving the installed viewer: signed-in users only, its own files only, app routes fall back to index.html."""

from django.urls import reverse


def install_fake_viewer(var_dir):
    root = var_dir / "viewer"
    root.mkdir(parents=True)
    (root / "index.html").write_text("<html>viewer</html>")
    (root / "app.bundle.abc.js").write_text("console.log(1)")
    (root / "x.wasm").write_bytes(b"\0asm")
    return root


def test_the_viewer_is_served_to_signed_in_users_with_the_right_types(client, radiologist, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    install_fake_viewer(tmp_path)
    assert client.get("/viewer/").status_code == 302
    client.force_login(radiologist)
    index = client.get("/viewer/viewer", {"StudyInstanceUIDs": "1.2.3"})
    assert (index.status_code, index["Content-Type"], index["Cache-Control"]) == (200, "text/html", "no-cache")
    assert b"".join(index.streaming_content) == b"<html>viewer</html>"
    script = client.get("/viewer/app.bundle.abc.js")
    assert (script["Content-Type"], script["Cache-Control"]) == (
        "text/javascript",
        "private, max-age=31536000, immutable",
    )
    assert client.get("/viewer/x.wasm")["Content-Type"] == "application/wasm"
    assert client.get("/viewer/missing.js").status_code == 404
    assert client.get("/viewer/../../etc/passwd").status_code == 404
    assert client.get("/viewer/%2e%2e/secret_key").status_code == 404


def test_without_the_viewer_installed_the_page_says_how_to_install_it(client, radiologist, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    client.force_login(radiologist)
    response = client.get(reverse("viewer"))
    assert response.status_code == 503
    assert "manage.py install_viewer" in response.content.decode()


def test_the_radiologists_worklist_links_each_study_to_the_viewer(client, radiologist, patient, make_order, db):
    from pacs.models import Study
    from ris.orders.services import change_order_status

    order = make_order(patient)
    for status in ("arrived", "in_progress", "completed"):
        order = change_order_status(order=order, to=status, actor=None)
    Study.objects.create(study_instance_uid="1.2.840.99", order=order, patient=patient, match_state="matched")
    client.force_login(radiologist)
    page = client.get(reverse("home")).content.decode()
    assert 'href="/viewer/viewer?StudyInstanceUIDs=1.2.840.99"' in page
