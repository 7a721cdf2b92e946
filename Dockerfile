# Colloquy in a container: gunicorn on port 8000 and the import worker, started and stopped
# together by scripts/run.py; the database, the import queue and secret key in /app/instance.
#   docker build -t colloquy .
#   docker run -d -p 127.0.0.1:8000:8000 -v colloquy-data:/app/instance colloquy
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    GUNICORN_BIND=0.0.0.0:8000

RUN groupadd --system colloquy \
    && useradd --system --gid colloquy --home-dir /app --no-create-home colloquy

WORKDIR /app

# Dependencies first (only they are installed: the app runs from /app), so a code change
# does not reinstall them.
COPY pyproject.toml ./
COPY scripts/dependencies.py ./scripts/dependencies.py
RUN python scripts/dependencies.py postgres redis > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt && rm /tmp/requirements.txt

COPY app.py ./
COPY blog ./blog
COPY migrations ./migrations
COPY templates ./templates
COPY static ./static
COPY deploy/gunicorn.conf.py ./deploy/gunicorn.conf.py
COPY scripts/run.py ./scripts/run.py

RUN mkdir -p instance && chown colloquy:colloquy instance
VOLUME ["/app/instance"]

USER colloquy
EXPOSE 8000

# Bring the schema up to date, then run gunicorn and the import worker; `docker stop`
# (SIGTERM) stops both gracefully, and if either exits the container does.
CMD ["sh", "-c", "flask --app app db upgrade && exec python scripts/run.py serve"]
