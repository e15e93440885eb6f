# One image for every SPS service; docker-compose.yml picks the module with `command`.
# The console is built in its own stage from the committed lockfile (npm ci), so the image
# carries the built files only: no Node, no node_modules, nothing from a CDN at run time.
FROM node:20-slim AS console
WORKDIR /console
COPY services/command_centre/console/package.json services/command_centre/console/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY services/command_centre/console/ ./
RUN npm run build

FROM python:3.11-slim
WORKDIR /app
# The command centre prints 解除社区矫正证明书 in Noto CJK (services/command_centre/adapters/certificate_pdf.py).
RUN apt-get update && apt-get install -y --no-install-recommends fonts-noto-cjk && rm -rf /var/lib/apt/lists/*
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
COPY pyproject.toml constraints.txt ./
COPY shared ./shared
COPY services ./services
COPY --from=console /console/dist ./services/command_centre/console/dist
COPY policy ./policy
# /keys: docker-compose's service-keys volume takes this folder's owner when it is first made.
RUN pip install -c constraints.txt . && useradd --system --uid 10001 sps && mkdir /keys && chown sps /keys
USER sps
ENV SPS_HTTP_HOST=0.0.0.0
CMD ["python", "-m", "services.command_centre.main"]
