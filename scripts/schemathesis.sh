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
PASETO_KEYS="$(DJANGO_DEBUG=True python manage.py generate_paseto_key)"
export PASETO_KEYS
export DATABASE_URL=${SCHEMATHESIS_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/ciel_schemathesis}
export REDIS_URL=${SCHEMATHESIS_REDIS_URL:-redis://127.0.0.1:6379/14}
export SQS_QUEUE_PREFIX=ciel-schemathesis-
export MEDIA_BUCKET=ciel-schemathesis-media
# Limits off, so fuzzing reaches the logic behind login and signup instead of their 429s; the
# limits themselves are tested in the pytest suite.
export RATELIMIT_ENABLE=False
# The one access token must outlive the whole run.
export ACCESS_TOKEN_TTL_SECONDS=3600

python manage.py ensure_database
python manage.py migrate --no-input -v 0
python manage.py setup_aws
# A fresh set of test data every run: the fuzz user (its access token for the authenticated
# operations), the people and objects the operations take by id, and the Schemathesis config
# files that name them (see the seed script's docstring).
work=$(mktemp -d)
server=
# Stop gunicorn and clean up, keeping the exit status (a bare `wait` on the killed server
# would replace it with 143 under `set -e`).
cleanup() {
  local status=$?
  if [ -n "$server" ]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
token=$(python scripts/schemathesis_seed.py "$work" | tail -n 1)

log=$work/gunicorn.log
# No request-line limit here: the fuzzer's long query strings are for the app to answer, not for
# gunicorn to cut off with an HTML 414 (production keeps gunicorn's default limit).
gunicorn ciel.wsgi --bind "127.0.0.1:$port" --workers 2 --timeout 30 --limit-request-line 0 \
  >"$log" 2>&1 &
server=$!

# positive_data_acceptance is left out: a schema-valid body can still break a rule that no
# schema states (a wrong current password, an invite code that was used), and 400 is right then.
fuzz() {
  local config=$1
  shift
  st --config-file "$work/$config" run "http://127.0.0.1:$port/api/schema/" \
    --wait-for-schema 30 \
    --header "Authorization: Bearer $token" \
    --checks all \
    --exclude-checks positive_data_acceptance \
    --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-100}" \
    --generation-database none \
    --no-color "$@"
}

# The unit phases take the seeded objects by id; the stateful phase follows the schema's links
# from what it creates (seeded ids only now and then), so it runs with a config of its own, and
# for a fixed time: one pass of it ends after a random few dozen to a few hundred scenarios.
# Operations that end the caller's sessions run last, so the token serves the others first.
status=0
others=(--exclude-path /api/v1/auth/logout --exclude-path /api/v1/account/password)
fuzz unit.toml "${others[@]}" --phases examples,coverage,fuzzing || status=$?
fuzz stateful.toml "${others[@]}" --phases stateful \
  --max-time "${SCHEMATHESIS_STATEFUL_SECONDS:-60}" || status=$?
fuzz unit.toml --include-path /api/v1/account/password --phases examples,coverage,fuzzing \
  || status=$?
fuzz unit.toml --include-path /api/v1/auth/logout --phases examples,coverage,fuzzing \
  || status=$?

if [ "$status" -ne 0 ]; then
  echo "--- gunicorn log ---"
  tail -n 100 "$log"
fi
exit "$status"
