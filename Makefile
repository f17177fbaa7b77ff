# The README's commands. `make run` and `make test` are all a newcomer needs.
PY      := .venv/bin/python
STAMP   := .venv/.install-stamp
HOST    ?= 127.0.0.1
PORT    ?= 8000

.PHONY: install run serve test lint format migrate messages translations demo worker beat bench bench-mail bench-export bench-aggregate bench-pages check-deploy clean

$(STAMP): pyproject.toml package.json package-lock.json
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	npm ci --no-audit --no-fund --loglevel=error
	touch $(STAMP)

install: $(STAMP)

messages: install
	$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules -v0

migrate: install
	$(PY) manage.py migrate --no-input

demo: migrate
	$(PY) manage.py seed_demo

run: messages demo
	@echo "Serving on http://$(HOST):$(PORT)/ (Ctrl-C stops)"
	RUNSERVER_ADDRESS=$(HOST):$(PORT) $(PY) manage.py runserver $(HOST):$(PORT)

serve: messages migrate
	$(PY) manage.py collectstatic --no-input -v0
	.venv/bin/gunicorn kundeservice.wsgi --bind $(HOST):$(PORT) --workers 3

# A worker that dies (a lost broker it cannot recover from, an out-of-memory kill) is started
# again after 5 s, as docker-compose's `restart: unless-stopped` does; Ctrl-C stops both.
worker: install
	@trap 'exit 130' INT TERM; while :; do \
	  .venv/bin/celery -A kundeservice worker -Q default,mail,aggregation,webhooks --loglevel=info; \
	  echo "celery worker exited ($$?); starting it again in 5 s (Ctrl-C stops)" >&2; sleep 5; \
	done

beat: install
	.venv/bin/celery -A kundeservice beat --loglevel=info

test: messages
	bash scripts/test $(ARGS)

lint: install
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy .
	$(PY) manage.py makemigrations --check --dry-run

format: install
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

translations: install
	$(PY) manage.py makemessages -l nb -l en --ignore=.venv --ignore=node_modules --ignore=staticfiles --no-obsolete
	$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules -v0

check-deploy: install
	DJANGO_ENV=production SECRET_KEY=check-deploy-$$(date +%s)-not-a-real-secret-value-0123456789 \
	  SITE_URL=https://kundeservice.example \
	  ALLOWED_HOSTS=kundeservice.example $(PY) manage.py check --deploy --fail-level WARNING

bench: messages
	bash scripts/with-services $(PY) bench/run.py $(ARGS)

bench-mail: messages
	bash scripts/with-services $(PY) bench/invitations.py $(ARGS)

bench-export: messages
	bash scripts/with-services $(PY) bench/export.py $(ARGS)

bench-aggregate: messages
	bash scripts/with-services $(PY) bench/aggregate.py $(ARGS)

bench-pages: messages
	bash scripts/with-services $(PY) bench/pages.py $(ARGS)

clean:
	rm -rf .venv node_modules staticfiles .pytest_cache .mypy_cache .ruff_cache
