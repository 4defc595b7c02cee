"""Vietnamese tokenizer: whitespace tokens with original offsets, normalised lemmas.

Token.text stays the original substring (entity spans and LexicalSyntacticFeaturizer see what
the user typed); Token.lemma is the accent-free, lower-case, teencode-expanded view
(`Bảo` -> `bao`, `ko` -> `khong`, `bhyt` -> `bao hiem y te`). A CountVectorsFeaturizer with
`use_lemma: true` therefore gives `bảo hiểm`, `bao hiem` and `bh` the same features, while one
with `use_lemma: false` keeps the accented words that disambiguate (`bà`/`ba`, `năm`/`nam`).
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message

from nlu.components.vi_text import nfc, normalize_token, source_fingerprint, strip_accents


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class VietnameseTokenizer(WhitespaceTokenizer):
    """WhitespaceTokenizer + normalised lemmas (+ optional pyvi compound-word features)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **WhitespaceTokenizer.get_default_config(),
            # add pyvi word-segmentation compounds (`bao_hiem`) to each syllable's lemma
            "pyvi_compounds": False,
        }

    @staticmethod
    def required_packages() -> list[str]:
        return []

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self.pyvi_compounds = bool(config.get("pyvi_compounds", False))
        self._vi_tokenize = None
        if self.pyvi_compounds:
            from pyvi import ViTokenizer  # imported lazily: slow and only used when enabled

            self._vi_tokenize = ViTokenizer.tokenize

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> VietnameseTokenizer:
        return cls(config)

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        return source_fingerprint()  # retrain when vi_text.py changes

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        tokens = super().tokenize(message, attribute)
        for token in tokens:
            token.lemma = normalize_token(token.text)
        if self._vi_tokenize is not None and tokens:
            self._add_compounds(message.get(attribute), tokens)
        return tokens

    def _add_compounds(self, text: str, tokens: list[Token]) -> None:
        """Append the accent-free compound word (`bao_hiem`) a token belongs to, if any."""
        assert self._vi_tokenize is not None
        syllables: list[tuple[str, str]] = []  # (syllable, compound it belongs to)
        for word in self._vi_tokenize(nfc(text)).split():
            parts = word.split("_")
            compound = strip_accents(word).lower() if len(parts) > 1 else ""
            syllables.extend((strip_accents(p).lower(), compound) for p in parts)
        i = 0
        for token in tokens:
            key = strip_accents(nfc(token.text)).lower()
            for j in range(i, min(i + 4, len(syllables))):
                if syllables[j][0] == key:
                    if syllables[j][1]:
                        token.lemma = f"{token.lemma} {syllables[j][1]}"
                    i = j + 1
                    break
