#!/usr/bin/env bash
# The body of `make run`, started by scripts/with_moto.py with AWS_ENDPOINT_URL set.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
mkdir -p .run

python manage.py ensure_database
python manage.py migrate --no-input
python manage.py setup_aws
python manage.py demo_admin
echo "API: http://127.0.0.1:${CIEL_PORT:-8000}/api/docs/  admin: http://127.0.0.1:${CIEL_PORT:-8000}/admin/"
echo "Ctrl-C stops the API, the worker and beat."
exec honcho start -f Procfile
