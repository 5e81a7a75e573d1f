#!/usr/bin/env bash
# Schemathesis against a running Ciel (gunicorn, production-like settings) on a database of its
# own. Run it beside a moto server: `python scripts/with_moto.py -- scripts/schemathesis.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"

port=$(python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export DJANGO_DEBUG=False
export DJANGO_SECRET_KEY="schemathesis-$(python -c 'import secrets; print(secrets.token_urlsafe(48))')"
export DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost
export DJANGO_SECURE_SSL_REDIRECT=False
export DATABASE_URL=${SCHEMATHESIS_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/ciel_schemathesis}
export REDIS_URL=${SCHEMATHESIS_REDIS_URL:-redis://127.0.0.1:6379/14}
export SQS_QUEUE_PREFIX=ciel-schemathesis-
export MEDIA_BUCKET=ciel-schemathesis-media

python manage.py ensure_database
python manage.py migrate --no-input -v 0
python manage.py setup_aws

log=$(mktemp)
gunicorn ciel.wsgi --bind "127.0.0.1:$port" --workers 2 --timeout 30 >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -f "$log"' EXIT

status=0
st run "http://127.0.0.1:$port/api/schema/" \
  --wait-for-schema 30 \
  --checks all \
  --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-100}" \
  --phases examples,coverage,fuzzing,stateful \
  --generation-database none \
  --no-color || status=$?

if [ "$status" -ne 0 ]; then
  echo "--- gunicorn log ---"
  tail -n 100 "$log"
fi
exit "$status"
