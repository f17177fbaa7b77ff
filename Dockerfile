# The production image: gunicorn for web, the same image for Celery worker and beat.
FROM node:20-bookworm-slim AS frontend
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_ENV=production
RUN apt-get update && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 app
WORKDIR /app
COPY pyproject.toml README.md ./
COPY kundeservice kundeservice
COPY surveys surveys
COPY awards awards
RUN pip install --no-cache-dir .
COPY . .
COPY --from=frontend /app/node_modules node_modules
# Build-time only: a throwaway key and address so collectstatic and compilemessages can load
# settings.
RUN SECRET_KEY=build-only-not-secret SITE_URL=https://build.invalid \
    python manage.py compilemessages -v0 --ignore=node_modules \
    && SECRET_KEY=build-only-not-secret SITE_URL=https://build.invalid \
    python manage.py collectstatic --no-input -v0 \
    && chown -R app:app /app
USER app
EXPOSE 8000
CMD ["gunicorn", "kundeservice.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
