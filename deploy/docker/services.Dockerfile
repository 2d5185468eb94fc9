# The services image: Python 3.11, requirements/services.lock, the action server and every service of the
# assistant, with the models setup assembles from packaged parts (nothing is downloaded at run time).
# It runs any of them by command, e.g. `python -m backends.orders` (the chart and deploy/docker-compose.yml
# give each process the command bot/launcher.py gives it). Build from the repository root:
#   docker build -f deploy/docker/services.Dockerfile -t registry.example.com/shop-assistant/services:0.1.0 .

# The chat widget from npm, as the launcher installs it (channels/web/package-lock.json).
FROM node:20-bookworm-slim AS widget
WORKDIR /web
COPY channels/web/package.json channels/web/package-lock.json ./
RUN npm ci --no-audit --no-fund --omit=dev

FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    ASSISTANT_VAR=/var/lib/shop-assistant \
    SENTIMENT_MODEL_DIR=/app/models/sentiment \
    SEMANTIC_MODEL_CACHE=/app/models/product-encoder

# espeak-ng: the fallback speech engine of the voice gateway (docs/speech.md).
RUN apt-get update && apt-get install -y --no-install-recommends espeak-ng \
    && rm -rf /var/lib/apt/lists/*
COPY requirements/services.lock /tmp/services.lock
RUN pip install pip==24.0 && pip install -r /tmp/services.lock && rm /tmp/services.lock

RUN useradd --uid 10001 --user-group --no-create-home --home-dir /app assistant \
    && install -d -o assistant -g assistant -m 0700 /var/lib/shop-assistant
WORKDIR /app
COPY . .
COPY --from=widget /web/node_modules channels/web/node_modules
# The launcher's build_models() steps that bake into the image: the sentiment model and the int8 search
# encoder. Whisper base is joined into the state directory at start (`python -m speech.models prepare`).
RUN python -m sentiment.build --out /app/models/sentiment \
    && python -m knowledge_graph.product_encoder

USER 10001
EXPOSE 5055 8080 8101 8102 8103 8104 8105 8106 8107
CMD ["python", "-m", "backends.orders"]
