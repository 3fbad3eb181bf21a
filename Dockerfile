# specdouble as an image: docker build -t specdouble . && docker run -p 8080:8080 \
#   -e SPECDOUBLE_ADMIN_TOKEN=change-me specdouble     (README "Docker")
#
# Stage 1 builds the wheel (specs and fixtures bundled inside); stage 2 installs
# only that wheel on a slim Python, runs as a non-root user and binds 0.0.0.0,
# so the admin token is required (the server refuses to start without one).
FROM python:3.13-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src/ src/
COPY specs/ specs/
COPY fixtures/ fixtures/
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /dist .

FROM python:3.13-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    SPECDOUBLE_HOST=0.0.0.0 \
    SPECDOUBLE_PORT=8080
COPY --from=build /dist/ /tmp/dist/
RUN pip install --no-cache-dir /tmp/dist/*.whl && rm -rf /tmp/dist \
    && useradd --create-home --uid 10001 specdouble
USER specdouble
WORKDIR /home/specdouble
EXPOSE 8080
# The admin API answers the health check with the token when one is set.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 CMD \
    ["python", "-c", "import os, urllib.request as r; t = os.environ.get('SPECDOUBLE_ADMIN_TOKEN'); r.urlopen(r.Request('http://127.0.0.1:' + os.environ.get('SPECDOUBLE_PORT', '8080') + '/__admin/health', headers={'Authorization': 'Bearer ' + t} if t else {}), timeout=3)"]
ENTRYPOINT ["specdouble", "serve"]
