import pytest
from django.core.exceptions import ValidationError

from reporting import services
from reporting.models import PeerReview
from tests.conftest import PASSWORD, login


@pytest.fixture
def reviewed(settings, claimed, radiologist, radiologist2):
    settings.LUMEN_PEER_REVIEW_PERCENT = 100
    services.sign_report(report=claimed, actor=radiologist, password=PASSWORD, sections={"impression": "Normal."})
    return PeerReview.objects.get(report=claimed)


def test_a_share_of_final_reports_goes_to_another_radiologist(reviewed, radiologist2):
    assert reviewed.reviewer == radiologist2


def test_none_are_offered_at_zero_percent(settings, claimed, radiologist, radiologist2):
    settings.LUMEN_PEER_REVIEW_PERCENT = 0
    services.sign_report(report=claimed, actor=radiologist, password=PASSWORD, sections={"impression": "Normal."})
    assert PeerReview.objects.count() == 0


def test_the_reviewer_scores_and_only_the_lead_sees_scores(client, reviewed, radiologist, radiologist2, lead):
    login(client, radiologist2)
    assert [r.pk for r in client.get("/reports/peer-review/").context["reviews"]] == [reviewed.pk]
    response = client.post(f"/reports/peer-review/{reviewed.pk}/", {"score": "2b", "comment": ""})
    assert "Describe the discrepancy." in response.content.decode()
    client.post(f"/reports/peer-review/{reviewed.pk}/", {"score": "2b", "comment": "Missed rib fracture."})
    reviewed.refresh_from_db()
    assert (reviewed.score, reviewed.comment) == ("2b", "Missed rib fracture.")
    for user in (radiologist, radiologist2):
        login(client, user)
        assert client.get("/reports/peer-review/scores/").status_code == 403
    login(client, lead)
    scores = client.get("/reports/peer-review/scores/")
    assert [r.pk for r in scores.context["page"].rows] == [reviewed.pk]
    assert "Missed rib fracture." in scores.content.decode()


def test_someone_else_cannot_score_it(client, reviewed, radiologist):
    login(client, radiologist)
    assert client.get(f"/reports/peer-review/{reviewed.pk}/").status_code == 404
    with pytest.raises(ValidationError, match="assigned to another radiologist"):
        services.submit_peer_review(review=reviewed, actor=radiologist, score="1")
