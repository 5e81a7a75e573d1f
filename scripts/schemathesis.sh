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

python manage.py ensure_database
python manage.py migrate --no-input -v 0
python manage.py setup_aws
# One user, with an access token for the authenticated operations.
token=$(python manage.py shell -v 0 -c '
from django.utils import timezone
from accounts.models import Session, User
from accounts.tokens import access_token_issue
user = User.objects.filter(email="fuzz@ciel.localhost").first() or User.objects.create_user(
    email="fuzz@ciel.localhost", handle="fuzz_user", password=None)
session = Session.objects.create(user=user, last_used_at=timezone.now())
print(access_token_issue(user.pk, session.pk)[0])' | tail -n 1)

log=$(mktemp)
# No request-line limit here: the fuzzer's long query strings are for the app to answer, not for
# gunicorn to cut off with an HTML 414 (production keeps gunicorn's default limit).
gunicorn ciel.wsgi --bind "127.0.0.1:$port" --workers 2 --timeout 30 --limit-request-line 0 \
  >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -f "$log"' EXIT

# positive_data_acceptance is left out: a schema-valid body can still break a rule that no
# schema states (a wrong current password, an invite code that was used), and 400 is right then.
fuzz() {
  st run "http://127.0.0.1:$port/api/schema/" \
    --wait-for-schema 30 \
    --header "Authorization: Bearer $token" \
    --checks all \
    --exclude-checks positive_data_acceptance \
    --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-100}" \
    --phases examples,coverage,fuzzing,stateful \
    --generation-database none \
    --no-color "$@"
}

# Operations that end the caller's sessions run last, so the token serves the others first.
status=0
fuzz --exclude-path /api/v1/auth/logout --exclude-path /api/v1/account/password || status=$?
fuzz --include-path /api/v1/account/password || status=$?
fuzz --include-path /api/v1/auth/logout || status=$?

if [ "$status" -ne 0 ]; then
  echo "--- gunicorn log ---"
  tail -n 100 "$log"
fi
exit "$status"
