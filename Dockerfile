FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    STEPSTACK_HOST=0.0.0.0 STEPSTACK_PORT=4566

WORKDIR /opt/stepstack
COPY pyproject.toml README.md ./
COPY server ./server
COPY protocols ./protocols
COPY services ./services
RUN pip install --no-cache-dir . \
    && useradd --create-home --uid 1000 stepstack

USER stepstack
EXPOSE 4566
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=10 \
    CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:4566/_stepstack/health', timeout=2); sys.exit(0)"
CMD ["stepstack"]
