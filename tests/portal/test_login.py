"""Login by e-mailed code: hashed, single use, expiring, rate-limited, and silent about unknown addresses."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from shop_extensions.core.models import AuditEvent
from shop_extensions.portal.models import LoginCode, LoginFailure
from shop_extensions.portal.services import code_hash

from .conftest import code_in

pytestmark = pytest.mark.django_db


def test_a_known_address_gets_a_six_digit_code_that_is_stored_only_hashed(client, world):
    response = client.post("/portal/login/", {"email": " Fatima@Example.test "})

    assert response.status_code == 302
    assert response["Location"] == "/portal/login/code/"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["fatima@example.test"]
    code = code_in(mail.outbox[0].body)
    row = LoginCode.objects.get()
    assert row.email == "fatima@example.test"
    assert row.maker == world["a"]
    assert code not in row.code_hash
    assert row.code_hash == code_hash(email="fatima@example.test", code=code)
    assert timedelta(minutes=9) < row.expires_at - row.created_at <= timedelta(minutes=10)


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, world):
    known = client.post("/portal/login/", {"email": "fatima@example.test"})
    unknown = client.post("/portal/login/", {"email": "nobody@example.test"})

    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert len(mail.outbox) == 1
    page = client.get("/portal/login/code/")
    assert "nobody@example.test" in page.content.decode()
    assert LoginCode.objects.filter(email="nobody@example.test", maker__isnull=True).count() == 1


def test_the_right_code_logs_in_links_a_user_and_uses_the_preferred_language(client, world):
    maker = world["b"]  # prefers English
    client.post("/portal/login/", {"email": maker.email})

    response = client.post("/portal/login/code/", {"code": code_in(mail.outbox[0].body)})

    assert response.status_code == 302
    assert response["Location"] == "/portal/"
    assert response.cookies["django_language"].value == "en"
    maker.refresh_from_db()
    assert maker.user is not None
    assert maker.user.has_usable_password() is False
    assert client.session.get_expiry_age() == 30 * 60
    assert client.get("/portal/").status_code == 200
    assert AuditEvent.objects.filter(action="portal.login", subject_id=str(maker.pk)).count() == 1


def test_a_code_works_once(client, world):
    client.post("/portal/login/", {"email": "fatima@example.test"})
    code = code_in(mail.outbox[0].body)
    assert client.post("/portal/login/code/", {"code": code}).status_code == 302
    client.post("/portal/logout/")
    client.post("/portal/login/", {"email": "fatima@example.test"})

    response = client.post("/portal/login/code/", {"code": code})

    assert response.status_code == 400
    assert client.get("/portal/").status_code == 302


def test_an_expired_code_is_refused(client, world):
    client.post("/portal/login/", {"email": "fatima@example.test"})
    LoginCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = client.post("/portal/login/code/", {"code": code_in(mail.outbox[0].body)})

    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


def test_five_wrong_codes_lock_the_address_even_for_the_right_code(client, world):
    client.post("/portal/login/", {"email": "fatima@example.test"})
    code = code_in(mail.outbox[0].body)
    wrong = "000000" if code != "000000" else "111111"
    statuses = [client.post("/portal/login/code/", {"code": wrong}).status_code for _ in range(5)]

    response = client.post("/portal/login/code/", {"code": code})

    assert statuses == [400] * 5
    assert response.status_code == 429
    assert LoginFailure.objects.filter(email="fatima@example.test").count() == 5
    assert "_auth_user_id" not in client.session


def test_a_fourth_code_request_within_fifteen_minutes_is_refused(client, world):
    statuses = [client.post("/portal/login/", {"email": "fatima@example.test"}).status_code for _ in range(4)]

    assert statuses == [302, 302, 302, 429]
    assert len(mail.outbox) == 3


def test_code_requests_are_limited_per_ip_across_addresses(client, world):
    statuses = [
        client.post(
            "/portal/login/", {"email": f"person{i}@example.test"}, REMOTE_ADDR="10.1.2.3"
        ).status_code
        for i in range(11)
    ]

    assert statuses == [302] * 10 + [429]
    assert (
        client.post("/portal/login/", {"email": "x@example.test"}, REMOTE_ADDR="10.9.9.9").status_code == 302
    )


def test_an_inactive_maker_gets_no_code(client, world):
    maker = world["a"]
    maker.is_active = False
    maker.save()

    response = client.post("/portal/login/", {"email": maker.email})

    assert response.status_code == 302
    assert mail.outbox == []


def test_logout_ends_the_session(client, world, login_maker):
    login_maker(world["a"])

    response = client.post("/portal/logout/")

    assert response.status_code == 302
    assert client.get("/portal/").status_code == 302


def test_logout_needs_a_post_with_csrf(world, login_maker):
    from django.test import Client

    login_maker(world["a"])
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world["a"].user)

    response = strict.post("/portal/logout/")

    assert response.status_code == 403
    assert strict.get("/portal/").status_code == 200


def test_known_and_unknown_addresses_take_the_same_path_and_the_code_travels_sealed(client, world):
    from shop_extensions.portal.models import LoginCode
    from shop_extensions.portal.tasks import login_code_mail_task

    sent: list[tuple[int, str]] = []
    original = login_code_mail_task.delay
    login_code_mail_task.delay = lambda *args: sent.append(args)  # type: ignore[method-assign]
    try:
        for address in ("fatima@example.test", "nobody@example.test"):
            response = client.post("/portal/login/", {"email": address})
            assert response.status_code == 302
    finally:
        login_code_mail_task.delay = original  # type: ignore[method-assign]

    assert len(sent) == 2
    for _, sealed in sent:
        assert not re.search(r"\d{6}", sealed)  # the code is encrypted in the message
    known, unknown = LoginCode.objects.order_by("pk")
    assert login_code_mail_task.run(unknown.pk, sent[1][1]) is False
    assert mail.outbox == []
    assert login_code_mail_task.run(known.pk, sent[0][1]) is True
    assert [m.to for m in mail.outbox] == [["fatima@example.test"]]
