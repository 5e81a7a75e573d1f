# The one image for the API, the worker and beat; the command picks the process.
FROM python:3.13-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_DEBUG=False

WORKDIR /app

# Every dependency ships a manylinux wheel (psycopg-binary, pycurl with its libcurl, Pillow).
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# collectstatic needs settings, not secrets: development defaults for this one build step.
RUN DJANGO_DEBUG=True python manage.py collectstatic --no-input \
 && useradd --create-home --uid 10001 ciel \
 && mkdir -p /app/.run && chown ciel /app/.run

USER ciel
EXPOSE 8000

# The API; its tuning is /app/gunicorn.conf.py (set WEB_CONCURRENCY: a container's CPU quota is
# invisible to it). Workers: `scripts/celery_worker.sh default|media`; beat: `celery -A ciel beat`.
CMD ["gunicorn", "ciel.wsgi", "--bind", "0.0.0.0:8000"]
