import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db


def test_health_reports_database_broker_and_installations(client, make_installation):
    make_installation(api_url="https://a.saleor.test/graphql/", jwks={"keys": []})
    gone = make_installation(api_url="https://b.saleor.test/graphql/", jwks={"keys": []}, active=False)
    gone.deactivated_at = timezone.now()
    gone.deactivated_reason = "Saleor refused the app token (HTTP 401)"
    gone.save()

    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["broker"]["ok"] is True
    saleor = body["checks"]["saleor"]
    assert (saleor["active"], saleor["inactive"]) == (1, 1)
    inactive = next(i for i in saleor["installations"] if not i["active"])
    assert inactive["reason"] == "Saleor refused the app token (HTTP 401)"


def test_health_fails_when_the_broker_is_unreachable(client, celery_broker):
    celery_broker("redis://127.0.0.1:1/0")

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["ok"] is False
