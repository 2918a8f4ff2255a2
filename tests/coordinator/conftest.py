from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from shop_extensions.makers.models import Initiative, Maker

from ..makers.factories import make_coordinator, make_initiative, make_maker


@dataclass
class World:
    x: Initiative
    y: Initiative
    coordinator_x: Any
    coordinator_y: Any
    maker_x: Maker
    maker_y: Maker


@pytest.fixture(autouse=True)
def _english(settings):
    """Assertions read English messages; the Dutch catalogue is checked on its own."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # the catalogue is cached for a minute per initiative
    yield
    cache.clear()


@pytest.fixture
def world(db) -> World:
    x = make_initiative("Atelier West")
    y = make_initiative("Naaicafé Oost")
    coordinator_x, _ = make_coordinator(x, "coord-x")
    coordinator_y, _ = make_coordinator(y, "coord-y")
    return World(
        x=x,
        y=y,
        coordinator_x=coordinator_x,
        coordinator_y=coordinator_y,
        maker_x=make_maker(x, "Fatima"),
        maker_y=make_maker(y, "Joost"),
    )


@pytest.fixture
def client_x(world: World) -> Client:
    client = Client()
    client.force_login(world.coordinator_x)
    return client
