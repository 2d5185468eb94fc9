"""Every log record is masked and carries the request id, in text or JSON, whatever handler writes it."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from contracts.log_setup import (
    JsonFormatter,
    RedactingRecordFactory,
    adopt_framework_handlers,
    configure_logging,
    install_redaction,
    log_format,
)
from contracts.request_ids import accepted_request_id, current_request_id, end_request_id, use_request_id


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    factory, root = logging.getLogRecordFactory(), logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    logging.setLogRecordFactory(factory)
    root.handlers[:] = handlers
    root.setLevel(level)


def capture(logger: logging.Logger, formatter: logging.Formatter) -> io.StringIO:
    """A handler of the logger's own, like Rasa's and Sanic's: not one we configured."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return stream


def test_a_foreign_handler_writes_masked_text_with_the_request_id() -> None:
    install_redaction()
    logger = logging.getLogger("test.foreign")
    stream = capture(logger, logging.Formatter("%(request_id)s %(message)s"))
    token = use_request_id("abc-123")
    try:
        logger.warning("no reply to %s, card %s", "jane@example.com", "4111 1111 1111 1111")
    finally:
        end_request_id(token)
    assert stream.getvalue() == "abc-123 no reply to [email], card [card]\n"


def test_tracebacks_are_masked_too() -> None:
    install_redaction()
    logger = logging.getLogger("test.traceback")
    stream = capture(logger, logging.Formatter("%(message)s"))
    try:
        raise ValueError("bad address 221B Baker Street")
    except ValueError:
        logger.exception("failed")
    assert "Baker" not in stream.getvalue()
    assert "ValueError: bad address [address]" in stream.getvalue()


def test_json_lines() -> None:
    install_redaction()
    logger = logging.getLogger("test.json")
    stream = capture(logger, JsonFormatter())
    token = use_request_id("r-1")
    try:
        logger.info("call me on %s", "+1 415 555 0134")
    finally:
        end_request_id(token)
    entry = json.loads(stream.getvalue())
    assert entry["request_id"] == "r-1"
    assert entry["message"] == "call me on [phone]"
    assert entry["level"] == "INFO"
    assert entry["logger"] == "test.json"
    assert entry["time"].endswith("+00:00")


def test_outside_a_request_the_id_is_a_dash() -> None:
    install_redaction()
    logger = logging.getLogger("test.no_request")
    stream = capture(logger, logging.Formatter("%(request_id)s %(message)s"))
    logger.info("started")
    assert stream.getvalue() == "- started\n"


def test_installing_twice_wraps_once() -> None:
    install_redaction()
    install_redaction()
    factory = logging.getLogRecordFactory()
    assert isinstance(factory, RedactingRecordFactory)
    assert not isinstance(factory.inner, RedactingRecordFactory)


def test_configure_logging_puts_one_handler_of_the_chosen_format_on_root() -> None:
    configure_logging({"LOG_FORMAT": "json"})
    root = logging.getLogger()
    assert len(root.handlers) == 1
    assert isinstance(root.handlers[0].formatter, JsonFormatter)
    configure_logging({})
    assert not isinstance(root.handlers[0].formatter, JsonFormatter)


def test_adopting_framework_handlers_formats_them_as_json_only_when_asked() -> None:
    logger = logging.getLogger("test.framework")
    capture(logger, logging.Formatter("%(message)s"))
    adopt_framework_handlers({})
    assert not isinstance(logger.handlers[0].formatter, JsonFormatter)
    adopt_framework_handlers({"LOG_FORMAT": "json"})
    assert isinstance(logger.handlers[0].formatter, JsonFormatter)


def test_a_wrong_log_format_stops_the_process_naming_the_variable() -> None:
    assert log_format({"LOG_FORMAT": " JSON "}) == "json"
    with pytest.raises(SystemExit, match="LOG_FORMAT must be one of text, json"):
        log_format({"LOG_FORMAT": "xml"})


def test_request_ids_from_outside_must_be_short_tokens() -> None:
    assert accepted_request_id("abc-123.x:y_z") == "abc-123.x:y_z"
    for offered in ("line\nbreak", "x" * 65, "", None, 42):
        made = accepted_request_id(offered)
        assert made != offered
        assert len(made) == 32
    assert current_request_id() == ""


def test_a_process_without_a_root_handler_gets_ours() -> None:
    """A Sanic worker rasa-sdk spawns has none: without ours its log lines would go unformatted to
    logging's last resort, without request ids."""
    logging.getLogger().handlers[:] = []
    adopt_framework_handlers({"LOG_FORMAT": "json"})
    [handler] = logging.getLogger().handlers
    assert isinstance(handler.formatter, JsonFormatter)
