# kilowatch services image: `kilowatch ingest | detect | serve | simulate`.
FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY core ./core
COPY ingest ./ingest
COPY models ./models
COPY api ./api
COPY simulators ./simulators
COPY kilowatch ./kilowatch
RUN pip install . && useradd --create-home --uid 10001 kilowatch && mkdir -p /data && chown kilowatch /data
USER kilowatch
ENV KILOWATCH_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8000 9108
CMD ["kilowatch", "--help"]
