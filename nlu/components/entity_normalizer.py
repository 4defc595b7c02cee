"""Post-extraction entity normaliser: sets every entity value to the NLU contract.

Runs after DIETClassifier / EntitySynonymMapper. Integers for age, birth_year, household_size
and months (3/6/12), phones as 10 digits starting with 0, canonical beneficiary_group and
relation ids. Entities whose value cannot be made valid are dropped (a bad value is worse than
none: the bot would ask again anyway). Optionally adds regex matches for phone / age /
household_size that the statistical extractor missed.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.components.vi_text import (
    normalize_entity_value,
    normalize_phone,
    regex_entities,
    source_fingerprint,
)

EXTRACTOR_NAME = "RegexFallback"


def _merge_phone_fragments(text: str, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """DIET sometimes tags `0987 654 321` as three phones: join neighbours split by spaces/dots."""
    phones = sorted((e for e in entities if e.get("entity") == "phone"), key=lambda e: e["start"])
    if len(phones) < 2:
        return entities
    merged: list[dict[str, Any]] = []
    for ent in phones:
        if merged and text[merged[-1]["end"] : ent["start"]].strip(" .-") == "":
            prev = merged[-1]
            prev["end"] = ent["end"]
            prev["value"] = text[prev["start"] : prev["end"]]
        else:
            merged.append(dict(ent))
    others = [e for e in entities if e.get("entity") != "phone"]
    return sorted(others + merged, key=lambda e: e.get("start", 0))


def normalize_entities(
    text: str, entities: list[dict[str, Any]], regex_fallback: bool = True
) -> list[dict[str, Any]]:
    """Return the normalised entity list for one message (pure: usable without a pipeline)."""
    entities = _merge_phone_fragments(text, [dict(e) for e in entities])
    result: list[dict[str, Any]] = []
    for ent in entities:
        start, end = ent.get("start"), ent.get("end")
        span = text[start:end] if isinstance(start, int) and isinstance(end, int) else None
        value = normalize_entity_value(ent["entity"], ent.get("value"), span)
        if value is None:
            continue
        ent["value"] = value
        result.append(ent)
    # one payment period per message: "đóng theo quý thì mỗi quý" is one period, not two
    months = [e for e in result if e["entity"] == "months"]
    if len(months) > 1 and len({e["value"] for e in months}) == 1:
        result = [e for e in result if e["entity"] != "months" or e is months[0]]
    if regex_fallback:
        for found in regex_entities(text):
            overlaps = any(
                e.get("start", -1) < found["end"] and found["start"] < e.get("end", -1)
                for e in result
            )
            same_kind = any(e["entity"] == found["entity"] for e in result)
            if overlaps or same_kind:
                continue
            result.append(
                {
                    "entity": found["entity"],
                    "start": found["start"],
                    "end": found["end"],
                    "value": found["value"],
                    "confidence_entity": 1.0,
                    "extractor": EXTRACTOR_NAME,
                }
            )
    result.sort(key=lambda e: e.get("start", 0))
    return result


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class EntityNormalizer(GraphComponent):
    """Rewrites entity values to the contract after extraction (see module docstring)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"regex_fallback": True}

    def __init__(self, config: dict[str, Any]) -> None:
        self.regex_fallback = bool(config.get("regex_fallback", True))

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> EntityNormalizer:
        return cls(config)

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        return source_fingerprint()  # retrain when vi_text.py changes

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data  # gold annotations are already normalised by the data writer

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str):
                continue
            message.set(
                ENTITIES,
                normalize_entities(text, message.get(ENTITIES, []), self.regex_fallback),
                add_to_output=True,
            )
        return messages


__all__ = ["EntityNormalizer", "normalize_entities", "normalize_phone"]
