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
CMD ["aggregator", "run"]
