# The duluan app image: every pipeline process (crawler, nlp-worker, indexer, api) runs from it,
# picked by the command in docker-compose.yml. Settings come from DULUAN_* environment variables.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DULUAN_DATA_DIR=/data \
    DULUAN_LOG_FORMAT=json \
    PYTHONPATH=/app

WORKDIR /app

# dependencies first, so code edits don't reinstall them
COPY pyproject.toml README.md ./
RUN python -c "import tomllib; d = tomllib.load(open('pyproject.toml', 'rb')); \
print('\n'.join(d['project']['dependencies']))" > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt

COPY duluan ./duluan
COPY api ./api
COPY crawlers ./crawlers
COPY streaming ./streaming
COPY nlp ./nlp
COPY scrapy.cfg ./
# the wheel holds exactly these five top-level packages (tests/test_wheel.py)
RUN pip install --no-deps . \
 && useradd --system --create-home --home-dir /home/duluan duluan \
 && mkdir -p /data && chown duluan /data

USER duluan
VOLUME ["/data"]
EXPOSE 8000
ENTRYPOINT ["duluan"]
CMD ["--help"]
