"""A worker process for the killed-worker test: processes a run's makers one message at a time through the
real batch task, printing each maker done, slowly enough that the test can kill it in the middle."""

from __future__ import annotations

import os
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings.test")
django.setup()

from shop_extensions.statements.tasks import statements_batch_task  # noqa: E402

run_id = int(sys.argv[1])
for maker_id in [int(part) for part in sys.argv[2].split(",")]:
    statements_batch_task.run(run_id, [maker_id])
    print(maker_id, flush=True)
    time.sleep(0.4)
