"""service_clients.http `from_env`: a client reads <PREFIX>_URL/_API_TOKEN/_TIMEOUT_S, with its own defaults,
and a wrong value stops the caller with a line naming the variable."""

from __future__ import annotations

import re

import pytest

from service_clients.catalogue import CatalogueClient
from service_clients.orders import OrdersClient
from service_clients.retention import RetentionClient
from settings_kit.settings import InvalidSetting


async def test_a_client_reads_its_prefixed_variables() -> None:
    env = {"ORDERS_URL": "http://orders.test:9/", "ORDERS_API_TOKEN": "secret", "ORDERS_TIMEOUT_S": "4.5"}
    async with OrdersClient.from_env(env) as client:
        assert client._base_url == "http://orders.test:9"
        assert client._headers["Authorization"] == "Bearer secret"
        assert client._timeout.total == 4.5


async def test_unset_or_empty_variables_give_the_clients_own_defaults() -> None:
    async with CatalogueClient.from_env({"KG_URL": "", "KG_API_TOKEN": "t"}) as client:
        assert client._base_url == CatalogueClient.default_url.rstrip("/")
        # The base's 2 s: a frozen graph service must cost the shopper under 3 s (docs/reliability.md).
        assert client._timeout.total == CatalogueClient.default_timeout_s == 2.0
    async with RetentionClient.from_env({"RETENTION_API_TOKEN": "t"}) as client:
        assert client._timeout.total == RetentionClient.default_timeout_s == 1.0


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("soon", "ORDERS_TIMEOUT_S must be a number (got 'soon')"),
        ("0", "ORDERS_TIMEOUT_S must be more than 0 and at most 300 (got '0')"),
    ],
)
def test_a_wrong_timeout_names_its_variable(value: str, message: str) -> None:
    with pytest.raises(InvalidSetting, match=re.escape(message)):
        OrdersClient.from_env({"ORDERS_TIMEOUT_S": value, "ORDERS_API_TOKEN": "t"})
