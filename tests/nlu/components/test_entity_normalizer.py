"""EntityNormalizer graph component (needs rasa: skipped in the app venv)."""

import pytest

pytest.importorskip("rasa", reason="rasa is only installed in .venv-nlu")

from rasa.engine.recipes.default_recipe import DefaultV1Recipe  # noqa: E402
from rasa.shared.nlu.constants import ENTITIES, TEXT  # noqa: E402
from rasa.shared.nlu.training_data.message import Message  # noqa: E402

from nlu.components.entity_normalizer import EntityNormalizer, normalize_entities  # noqa: E402


def ent(text, piece, entity, value=None):
    start = text.index(piece)
    return {
        "entity": entity,
        "start": start,
        "end": start + len(piece),
        "value": piece if value is None else value,
        "extractor": "DIETClassifier",
    }


def run(text, entities, **config):
    message = Message({TEXT: text, ENTITIES: entities})
    EntityNormalizer({**EntityNormalizer.get_default_config(), **config}).process([message])
    return {e["entity"]: e["value"] for e in message.get(ENTITIES)}


def test_registered_as_entity_extractor():
    info = DefaultV1Recipe._registered_components["EntityNormalizer"]  # noqa: SLF001
    assert DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR in info.types


def test_values_follow_the_contract():
    text = "nha toi bon nguoi, me 65 tuoi, ho can ngheo, mua 1 nam, sdt +84 912 345 678"
    got = run(
        text,
        [
            ent(text, "bon", "household_size"),
            ent(text, "me", "relation"),
            ent(text, "65", "age"),
            ent(text, "ho can ngheo", "beneficiary_group"),
            ent(text, "1 nam", "months"),
            ent(text, "+84 912 345 678", "phone"),
        ],
        regex_fallback=False,
    )
    assert got == {
        "household_size": 4,
        "relation": "parent",
        "age": 65,
        "beneficiary_group": "near_poor",
        "months": 12,
        "phone": "0912345678",
    }


def test_invalid_values_are_dropped():
    text = "mua 5 thang, so 12345"
    got = run(
        text, [ent(text, "5 thang", "months"), ent(text, "12345", "phone")], regex_fallback=False
    )
    assert got == {}


def test_split_phone_fragments_are_merged():
    text = "goi 0987 654 321 nhe"
    got = normalize_entities(
        text,
        [ent(text, "0987", "phone"), ent(text, "654", "phone"), ent(text, "321", "phone")],
        regex_fallback=False,
    )
    assert [(e["entity"], e["value"], text[e["start"] : e["end"]]) for e in got] == [
        ("phone", "0987654321", "0987 654 321")
    ]


def test_regex_fallback_adds_missed_entities_only():
    text = "tôi 67 tuổi, nhà có 3 người, số 0912345678"
    got = normalize_entities(text, [ent(text, "67", "age", "67")], regex_fallback=True)
    by_kind = {e["entity"]: e for e in got}
    assert by_kind["age"]["extractor"] == "DIETClassifier"  # kept, not duplicated
    assert by_kind["household_size"]["value"] == 3
    assert by_kind["phone"]["value"] == "0912345678"
    assert by_kind["phone"]["extractor"] == "RegexFallback"
    assert sum(e["entity"] == "age" for e in got) == 1


def test_regex_fallback_can_be_disabled():
    assert run("số 0912345678", [], regex_fallback=False) == {}
    assert run("số 0912345678", []) == {"phone": "0912345678"}


def test_repeated_period_is_reported_once():
    text = "đóng theo quý thì mỗi quý bao nhiêu"
    first = ent(text, "quý", "months")
    second = dict(first, start=text.rindex("quý"), end=text.rindex("quý") + 3)
    got = normalize_entities(text, [first, second], regex_fallback=False)
    assert [(e["entity"], e["value"], e["start"]) for e in got] == [("months", 3, first["start"])]


def test_word_number_tagged_as_period_is_dropped_and_size_recovered():
    text = "nha em co ba nguoi mua 6 thang"
    got = normalize_entities(text, [ent(text, "ba", "months"), ent(text, "6 thang", "months")])
    assert {(e["entity"], e["value"]) for e in got} == {("months", 6), ("household_size", 3)}


def test_new_groups_follow_the_contract():
    text = "me toi khuyet tat dac biet nang, nha o xa dao, toi la vo bo doi"
    got = normalize_entities(
        text,
        [
            ent(text, "me toi", "relation"),
            ent(text, "khuyet tat dac biet nang", "beneficiary_group"),
            ent(text, "xa dao", "beneficiary_group"),
            ent(text, "vo bo doi", "beneficiary_group"),
        ],
        regex_fallback=False,
    )
    assert [(e["entity"], e["value"]) for e in got] == [
        ("relation", "parent"),
        ("beneficiary_group", "disabled_severe"),
        ("beneficiary_group", "island_commune"),
        ("beneficiary_group", "armed_forces_relative"),
    ]


def test_synonym_mapped_new_ids_are_kept():
    text = "nhà ở thôn ĐBKK, con đang học lớp 7, chồng là công an"
    message = Message(
        {
            TEXT: text,
            ENTITIES: [
                ent(text, "thôn ĐBKK", "beneficiary_group", "hardship_area"),
                ent(text, "đang học lớp 7", "beneficiary_group", "student"),
                ent(text, "công an", "beneficiary_group", "employee"),
            ],
        }
    )
    EntityNormalizer({"regex_fallback": False}).process([message])
    assert [e["value"] for e in message.get(ENTITIES)] == ["hardship_area", "student", "employee"]


def test_group_values_from_span_text_when_extractor_value_is_raw():
    text = "nha e o thon dac biet kho khan, bo liet giuong, con di hoc"
    got = normalize_entities(
        text,
        [
            ent(text, "thon dac biet kho khan", "beneficiary_group"),
            ent(text, "liet giuong", "beneficiary_group"),
            ent(text, "di hoc", "beneficiary_group"),
        ],
        regex_fallback=False,
    )
    assert [e["value"] for e in got] == ["hardship_area", "disabled_severe", "student"]
