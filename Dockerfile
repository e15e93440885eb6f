# One image for every SPS service; docker-compose.yml picks the module with `command`.
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
COPY pyproject.toml constraints.txt ./
COPY shared ./shared
COPY services ./services
COPY policy ./policy
RUN pip install -c constraints.txt . && useradd --system --uid 10001 sps
USER sps
ENV SPS_HTTP_HOST=0.0.0.0
CMD ["python", "-m", "services.command_centre.main"]
