#!/bin/sh
# Entrypoint of the Rode Draad image. Optional start-up steps, then exec the command (so the
# command is PID 1 and receives SIGTERM directly).
#   RUN_MIGRATIONS=1     run `manage.py migrate` first. Prefer the one-shot `migrate` service:
#                        several replicas migrating at once race each other.
#   STATIC_EXPORT_DIR=d  copy the static files collected at build time into d (a volume that the
#                        reverse proxy serves at /static/; whitenoise is not installed).
set -eu

if [ "${STATIC_EXPORT_DIR:-}" != "" ]; then
    echo "entrypoint: exporting static files to ${STATIC_EXPORT_DIR}"
    mkdir -p "${STATIC_EXPORT_DIR}"
    find "${STATIC_EXPORT_DIR}" -mindepth 1 -delete
    cp -R /app/static/. "${STATIC_EXPORT_DIR}/"
fi

if [ "${RUN_MIGRATIONS:-0}" = "1" ]; then
    echo "entrypoint: running migrations"
    python /app/manage.py migrate --noinput
fi

exec "$@"
