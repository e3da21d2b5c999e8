# The service image: slim Python, the package installed, run as a non-root user.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY aggregator ./aggregator
COPY templates ./templates
RUN pip install --no-cache-dir '.[postgres]' && useradd --create-home --uid 1000 aggregator
COPY config ./config
RUN mkdir -p /app/public && chown -R aggregator /app/public /app/config

USER aggregator
EXPOSE 8080
ENV AGGREGATOR_CONFIG=/app/config/aggregator.toml
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]
STOPSIGNAL SIGTERM
CMD ["aggregator", "run"]
