# stepstack in a container: `docker compose up -d --wait`, or
#   docker build -t stepstack . && docker run --rm -p 127.0.0.1:4566:4566 stepstack --time-scale 0.01
# Arguments after the image name are stepstack's flags (ENTRYPOINT); settings can also come as
# STEPSTACK_* variables. Change the port with STEPSTACK_PORT, not --port: the health check reads it.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STEPSTACK_HOST=0.0.0.0 STEPSTACK_PORT=4566 \
    STEPSTACK_INIT_DIR=/etc/stepstack/init.d

# Only the runtime dependencies: the test, bench and docker extras stay out of the image.
COPY pyproject.toml README.md /tmp/stepstack/
COPY server /tmp/stepstack/server
COPY protocols /tmp/stepstack/protocols
COPY services /tmp/stepstack/services
RUN pip install --no-cache-dir /tmp/stepstack \
    && rm -rf /tmp/stepstack \
    && useradd --create-home --uid 1000 stepstack \
    && install -d -o stepstack -g stepstack /etc/stepstack/init.d

# Mount point for init hooks (docs/init.md): resource files and scripts applied at start, in name
# order, before `Ready.`; e.g. -v "$PWD/init.d:/etc/stepstack/init.d:ro". Empty by default.
WORKDIR /home/stepstack
USER stepstack
EXPOSE 4566
# Healthy once the server answers and the init hooks have run (/_localstack/init/ready completed).
HEALTHCHECK --interval=5s --timeout=3s --start-period=30s --retries=3 \
    CMD python -c "import json, urllib.request; r = urllib.request.urlopen('http://127.0.0.1:${STEPSTACK_PORT:-4566}/_localstack/init/ready', timeout=2); raise SystemExit(0 if json.load(r)['completed'] else 1)"
ENTRYPOINT ["stepstack"]
