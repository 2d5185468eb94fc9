"""Dialogue policy that de-escalates and hands frustrated shoppers to a person.

Rules answer the shopper; this policy watches the conversation-level frustration score
(contracts/frustration.py) and steps in at two points:

- after the bot has answered a message (its last action is one that ends a turn in the training
  data), when frustration is over `deescalate_threshold` or the message itself is upset (the tone
  model's `frustrated`), and the bot has not de-escalated yet in this episode: `action_deescalate`
  (apology, a goodwill offer where the operator configured one, and the offer of a person). The
  shopper's question is answered first, so the apology never replaces the answer. An order
  question opens with an apology instead (contracts/frustration.py, ACKNOWLEDGING_ACTIONS), which
  counts as the de-escalation.
- right after a shopper message, when frustration is still over `handoff_threshold` on a later
  message after the de-escalation and that message is itself upset (its own score at least
  `continuing_message_score`: a shopper who calmed down is not handed off), or after
  `max_not_understood` messages in a row the bot did not understand: `action_handoff`. This
  beats the rules and forms (it is a "no user" prediction with a higher priority), because a
  frustrated shopper should not be asked for an order number again.

An explicit request for a person is a rule (bot/data/rules.yml), not this policy. The policy
predicts `action_listen` after its own actions. Which actions end a turn is learned from the
stories and rules at training time (an action always followed by listening).
"""

from __future__ import annotations

import itertools
import json
import logging
from pathlib import Path
from typing import Any

from rasa.core.policies.policy import Policy, PolicyPrediction, SupportedData
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from contracts.frustration import Weights, current_episode

logger = logging.getLogger(__name__)

DEESCALATE_ACTION = "action_deescalate"
HANDOFF_ACTION = "action_handoff"
TURN_ENDING_FILE = "turn_ending_actions.json"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class HandoffPolicy(Policy):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        defaults = Weights()
        return {
            "priority": 7,  # above RulePolicy (6): a frustrated shopper outranks the script
            "deescalate_threshold": 0.6,
            "handoff_threshold": 0.6,
            "continuing_message_score": 0.35,
            "max_not_understood": 3,
            "weights": {name: getattr(defaults, name) for name in defaults.__dataclass_fields__},
        }

    @staticmethod
    def supported_data() -> SupportedData:
        return SupportedData.ML_AND_RULE_DATA

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        featurizer: Any = None,
        turn_ending_actions: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__(config, model_storage, resource, execution_context, featurizer)
        self.weights = Weights(**{**Weights().__dict__, **(config.get("weights") or {})})
        self.turn_ending_actions = turn_ending_actions

    def train(self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        self.turn_ending_actions = frozenset(turn_ending_actions(training_trackers, set(domain.form_names)))
        with self._model_storage.write_to(self._resource) as path:
            (Path(path) / TURN_ENDING_FILE).write_text(json.dumps(sorted(self.turn_ending_actions)))
        logger.debug("actions that end a turn: %s", sorted(self.turn_ending_actions))
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> HandoffPolicy:
        names: list[str] = []
        try:
            with model_storage.read_from(resource) as path:
                names = json.loads((Path(path) / TURN_ENDING_FILE).read_text())
        except (ValueError, FileNotFoundError) as error:
            logger.warning("HandoffPolicy has no trained data (%s): it will only hand off, not de-escalate", error)
        return cls(config, model_storage, resource, execution_context, turn_ending_actions=frozenset(names))

    def predict_action_probabilities(
        self, tracker: DialogueStateTracker, domain: Domain, rule_only_data: dict[str, Any] | None = None, **kwargs: Any
    ) -> PolicyPrediction:
        decision = self.decide(tracker)
        probabilities = self._default_predictions(domain)
        if decision is None:
            return self._prediction(probabilities)
        probabilities[domain.index_for_action(decision)] = 1.0
        # Only the hand-off must outrank a form's happy path (a "no user" prediction).
        return self._prediction(probabilities, is_no_user_prediction=decision == HANDOFF_ACTION)

    def decide(self, tracker: DialogueStateTracker) -> str | None:
        latest = tracker.latest_action_name
        after_shopper = latest == ACTION_LISTEN_NAME or shopper_spoke_last(tracker)
        if latest in (DEESCALATE_ACTION, HANDOFF_ACTION) and not after_shopper:
            return ACTION_LISTEN_NAME
        episode = current_episode((event.as_dict() for event in tracker.events), self.weights)
        if not episode.messages or episode.handed_off:
            return None
        if after_shopper:
            still_frustrated = (
                episode.deescalated_at is not None
                and len(episode.messages) > episode.deescalated_at
                and episode.frustration >= self.config["handoff_threshold"]
                and episode.latest_message_score >= self.config["continuing_message_score"]
            )
            if still_frustrated or episode.consecutive_not_understood >= self.config["max_not_understood"]:
                logger.info("handing %s to a person (frustration %.2f)", tracker.sender_id, episode.frustration)
                return HANDOFF_ACTION
            return None
        if (
            latest in self.turn_ending_actions
            and tracker.active_loop_name is None
            and episode.deescalated_at is None
            and (episode.frustration >= self.config["deescalate_threshold"] or episode.messages[-1].frustrated)
        ):
            logger.info("de-escalating with %s (frustration %.2f)", tracker.sender_id, episode.frustration)
            return DEESCALATE_ACTION
        return None


def shopper_spoke_last(tracker: DialogueStateTracker) -> bool:
    """A message after the last action: e.g. the first one after an agent handed back."""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return True
        if isinstance(event, ActionExecuted):
            return False
    return False


def turn_ending_actions(trackers: list[TrackerWithCachedStates], forms: set[str]) -> set[str]:
    """Actions that, outside a form, are always followed by listening in the training data.

    An answer followed by a form only happens while that form is active (a digression), and the
    policy does not de-escalate while a form is active, so such a follower does not count."""
    ending: set[str] = set()
    continuing: set[str] = set()
    for tracker in trackers:
        actions = [event.action_name for event in tracker.events if isinstance(event, ActionExecuted)]
        for action, following in itertools.pairwise(actions):
            if not action or action == ACTION_LISTEN_NAME or following in forms:
                continue
            (ending if following == ACTION_LISTEN_NAME else continuing).add(action)
    return ending - continuing
