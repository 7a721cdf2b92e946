# Colloquy in a container: gunicorn on port 8000, the database and secret key in /app/instance.
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

# Dependencies first, so a code change does not reinstall them.
COPY pyproject.toml README.md* ./
RUN touch README.md && mkdir -p blog/importers \
    && touch blog/__init__.py blog/importers/__init__.py \
    && pip install -e '.[postgres]'

COPY app.py ./
COPY blog ./blog
COPY migrations ./migrations
COPY templates ./templates
COPY static ./static
COPY deploy/gunicorn.conf.py ./deploy/gunicorn.conf.py

RUN mkdir -p instance && chown colloquy:colloquy instance
VOLUME ["/app/instance"]

USER colloquy
EXPOSE 8000

# Bring the schema up to date, then hand the process over to gunicorn.
CMD ["sh", "-c", "flask --app app db upgrade && exec gunicorn -c deploy/gunicorn.conf.py"]
