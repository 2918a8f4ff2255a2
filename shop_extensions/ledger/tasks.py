from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail

from shop_extensions.ledger.selectors import unattributed_queue
from shop_extensions.makers.models import Initiative


@shared_task(name="ledger.unattributed_digest")
def unattributed_digest_task() -> int:
    """Daily: remind each initiative's coordinators of sales still waiting for a maker."""
    sent = 0
    for initiative in Initiative.objects.all():
        waiting = list(unattributed_queue(initiative_id=initiative.pk)[:50])
        if not waiting:
            continue
        recipients = [c.user.email for c in initiative.coordinators.select_related("user") if c.user.email]
        if not recipients:
            continue
        lines = "\\n".join(
            f"- order {a.line.order.number}: {a.quantity} x {a.line.product_name or a.line.sku} ({a.line.currency} {a.amount})"
            for a in waiting
        )
        send_mail(
            subject=f"Rode Draad: {len(waiting)} verkochte stukken wachten op een maker",
            message=(
                "Deze verkopen zijn nog niet aan een maker toegekend. Kies de maker in de werkplek.\\n"
                "These sales have no maker yet. Choose the maker in the workspace.\\n\\n" + lines
            ),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=recipients,
        )
        sent += 1
    return sent
