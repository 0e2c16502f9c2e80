# newsdigest as a container image. The same image runs every role:
#   docker run ... newsdigest                      one process (SQLite in the /data volume)
#   docker run ... newsdigest run --role gateway   the platform connections (PostgreSQL)
#   docker run ... newsdigest run --role worker    polling and composing (PostgreSQL)
# compose.yaml wires a gateway, two workers and PostgreSQL together.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# Dependencies first: the layer is rebuilt only when the pins change.
COPY requirements.txt constraints.txt ./
RUN pip install -r requirements.txt -c constraints.txt

COPY main.py ./
COPY bot ./bot
COPY handlers ./handlers
COPY config ./config

RUN useradd --system --uid 10001 --home-dir /app newsdigest \
    && mkdir -p /data \
    && chown newsdigest /data
USER newsdigest

# The embedded default keeps its database in the volume; health and metrics listen on
# every interface inside the container (publish the port only where it is wanted).
ENV DATABASE_URL=sqlite+aiosqlite:////data/newsdigest.db \
    NEWSDIGEST_HEALTH_PORT=9108 \
    NEWSDIGEST_HEALTH_HOST=0.0.0.0
VOLUME ["/data"]
EXPOSE 9108

HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9108/healthz', timeout=8)"]

ENTRYPOINT ["python", "main.py"]
CMD ["run"]
