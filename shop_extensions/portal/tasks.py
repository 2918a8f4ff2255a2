from __future__ import annotations

from celery import shared_task

from shop_extensions.portal import services


@shared_task(
    name="portal.login_code_mail",
    autoretry_for=(Exception,),
    retry_backoff=2,
    retry_kwargs={"max_retries": 3},
)
def login_code_mail_task(login_code_id: int, sealed_code: str) -> bool:
    """Mail a login code. A retry after a sent mail could mail it twice; a code is single-use and short-lived,
    so a second copy of the same code does no harm."""
    return services.login_code_mail(login_code_id=login_code_id, sealed_code=sealed_code)
