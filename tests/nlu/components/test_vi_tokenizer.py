"""VietnameseTokenizer as a Rasa graph component (needs rasa: skipped in the app venv)."""

import pytest

pytest.importorskip("rasa", reason="rasa is only installed in .venv-nlu")

from rasa.engine.recipes.default_recipe import DefaultV1Recipe  # noqa: E402
from rasa.nlu.constants import TOKENS_NAMES  # noqa: E402
from rasa.shared.nlu.constants import TEXT  # noqa: E402
from rasa.shared.nlu.training_data.message import Message  # noqa: E402

from nlu.components.vi_tokenizer import VietnameseTokenizer  # noqa: E402


def make(**config):
    return VietnameseTokenizer({**VietnameseTokenizer.get_default_config(), **config})


def tokens_of(text, **config):
    message = Message({TEXT: text})
    make(**config).process([message])
    return message.get(TOKENS_NAMES[TEXT])


def test_registered_as_tokenizer():
    registered = DefaultV1Recipe._registered_components  # noqa: SLF001
    info = registered["VietnameseTokenizer"]
    assert DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER in info.types


def test_tokens_keep_original_text_and_offsets():
    text = "Nhà tôi 4 người ở Hải Phòng, mua BHYT 1 năm hết bn?"
    tokens = tokens_of(text)
    for t in tokens:
        assert text[t.start : t.end] == t.text
    assert [t.text for t in tokens][:3] == ["Nhà", "tôi", "4"]


def test_lemmas_are_accent_free_and_expanded():
    lemmas = {t.text: t.lemma for t in tokens_of("Nhà tôi ko biết BHYT hết bn")}
    assert lemmas["Nhà"] == "nha"
    assert lemmas["ko"] == "khong"
    assert lemmas["BHYT"] == "bao hiem y te"
    assert lemmas["bn"] == "bao nhieu"


def test_accented_and_unaccented_messages_get_same_lemmas():
    a = [t.lemma for t in tokens_of("bảo hiểm y tế hộ gia đình bao nhiêu")]
    b = [t.lemma for t in tokens_of("bao hiem y te ho gia dinh bao nhieu")]
    assert a == b


def test_decomposed_unicode_keeps_valid_offsets():
    import unicodedata

    text = unicodedata.normalize("NFD", "mẹ tôi 65 tuổi")
    tokens = tokens_of(text)
    assert [t.lemma for t in tokens] == ["me", "toi", "65", "tuoi"]
    for t in tokens:
        assert text[t.start : t.end] == t.text


def test_pyvi_compounds_are_added_to_lemmas():
    pytest.importorskip("pyvi")
    tokens = tokens_of("bảo hiểm y tế", pyvi_compounds=True)
    assert tokens[0].lemma == "bao bao_hiem"
    assert tokens[2].lemma == "y y_te"
