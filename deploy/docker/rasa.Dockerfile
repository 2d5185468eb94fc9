# The Rasa server image: Python 3.10, requirements/rasa.lock, the Rasa plugins and a trained model.
# The container runs any command given to it; the chart and deploy/docker-compose.yml start the server as
# bot/launcher.py does (`python -m bot.rasa_server run ...`). Build from the repository root after
# `python3 bot/launcher.py train` (the model is var/models/shop-assistant.tar.gz):
#   docker build -f deploy/docker/rasa.Dockerfile -t registry.example.com/shop-assistant/rasa:0.1.0 .
FROM python:3.10.13-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    ASSISTANT_MODEL=/app/models/shop-assistant.tar.gz \
    ASSISTANT_VAR=/var/lib/shop-assistant \
    RASA_TELEMETRY_ENABLED=false

# The pins of the Rasa venv (bot/environments.py builds it from the same file with pip 24.0).
COPY requirements/rasa.lock /tmp/rasa.lock
RUN pip install pip==24.0 && pip install -r /tmp/rasa.lock && rm /tmp/rasa.lock

RUN useradd --uid 10001 --user-group --no-create-home --home-dir /app assistant \
    && install -d -o assistant -g assistant -m 0700 /var/lib/shop-assistant
WORKDIR /app
# What the Rasa process imports and reads: its launcher module, channels, NLU components, contracts, texts.
COPY bot bot
COPY channels channels
COPY nlu nlu
COPY contracts contracts
COPY config.yml config.yml
COPY var/models/shop-assistant.tar.gz models/shop-assistant.tar.gz

USER 10001
EXPOSE 5005
CMD ["python", "-m", "bot.rasa_server", "run", "--model", "/app/models/shop-assistant.tar.gz", \
     "--endpoints", "bot/endpoints.yml", "--credentials", "bot/credentials.yml", "--enable-api", \
     "--interface", "0.0.0.0", "--port", "5005"]
