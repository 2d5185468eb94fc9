"""The dialogue model's utter_ responses, rendered from the message catalogue instead of the domain.

Every sentence the shopper sees lives in bot/texts/<language>.yml (contracts/texts.py), so the domain
lists the utter_ names under ``actions:`` only and their texts are the catalogue's ``responses``
section. Rasa loads this class from ``nlg: type: channels.catalogue_responses.CatalogueResponses`` in
bot/endpoints*.yml. It is Rasa's own TemplatedNaturalLanguageGenerator fed from the catalogue, so
variations, slot conditions, channel-specific variations, buttons and {slot} filling behave exactly as
with domain responses; SHOP_LANGUAGE picks the language (English fills the gaps, response by response),
and an edited file takes effect on the next turn without retraining.

A catalogue that breaks Rasa's response schema fails the server at start; broken later by an edit, the
last good responses keep answering and the error is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import yaml
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.utils.endpoints import EndpointConfig

from contracts.texts import Catalogue, Response, texts

logger = logging.getLogger(__name__)

# What bot/endpoints*.yml names under `nlg: type:` (checked by bot/rasa_server.py before Rasa starts).
NLG_TYPE = f"{__name__}.CatalogueResponses"


def checked_responses(responses: dict[str, Response]) -> dict[str, Response]:
    """The responses, after Rasa's own domain schema accepted them (raises what Rasa raises otherwise)."""
    Domain.from_yaml(yaml.safe_dump({"version": "3.1", "responses": responses}, allow_unicode=True))
    return responses


class CatalogueResponses(TemplatedNaturalLanguageGenerator):
    """Rasa's response renderer reading the catalogue of the shop's language on every turn."""

    def __init__(
        self,
        endpoint_config: EndpointConfig | None = None,
        domain: Domain | None = None,
        catalogue: Callable[[], Catalogue] = texts,
    ) -> None:
        self._catalogue = catalogue
        self._read_from: Catalogue | None = None
        self._responses: dict[str, Response] = {}
        super().__init__({})
        self._refresh(fail=True)

    def _refresh(self, fail: bool = False) -> None:
        try:
            catalogue = self._catalogue()
            if catalogue is self._read_from:
                return
            self._read_from = catalogue
            self._responses = checked_responses(catalogue.all_responses())
        except Exception:
            if fail:
                raise
            logger.exception("the catalogue's responses are broken: the last good ones stay in use")

    @property  # Rasa's base keeps a plain attribute
    def responses(self) -> dict[str, Response]:
        """The utter_ responses of the catalogue as it is now (re-read when its files change)."""
        self._refresh()
        return self._responses

    @responses.setter
    def responses(self, domain_responses: dict[str, Any]) -> None:
        """Rasa hands over the model's domain responses when it loads a model (rasa/core/agent.py):
        the catalogue is the one source of texts, so they are not used."""
        ignored = sorted(set(domain_responses or {}) - set(self._responses))
        if ignored:
            logger.warning("responses %s are in the domain, not in the message catalogue: not used", ignored)
