"""Seed the fictional demo initiative. Idempotent: running it again changes nothing already there.

Each app contributes its part through settings.DEMO_SEEDERS (import strings), called in order."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.module_loading import import_string


class Command(BaseCommand):
    help = "Seed the demo: a coordinator account and the fictional sewing atelier."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--password-file", help="where the coordinator's generated password is kept")
        parser.add_argument("--saleor-api-url", help="the installed Saleor whose catalogue the demo sells")

    def handle(self, *args: Any, **options: Any) -> None:
        user_model = get_user_model()
        with transaction.atomic():
            user, created = user_model.objects.get_or_create(
                username="coordinator",
                defaults={
                    "email": "coordinator@atelier-west.example",
                    "is_staff": True,
                    "is_superuser": True,
                },
            )
            if created:
                password = secrets.token_urlsafe(12)
                user.set_password(password)
                user.save()
                if options["password_file"]:
                    with open(options["password_file"], "w") as handle:
                        handle.write(password)
                self.stdout.write("created the coordinator account")
        for path in settings.DEMO_SEEDERS:  # each seeder manages its own transactions (stock sync to Saleor)
            import_string(path)(stdout=self.stdout, saleor_api_url=options["saleor_api_url"])
