"""Scoring rules of nlu/eval.py (pure functions; sklearn only for the intent part)."""

import pytest

from nlu.eval import entity_scores


def case(text, *entities):
    return {"text": text, "intent": "x", "entities": list(entities)}


def e(entity, value, start=0, end=1):
    return {"entity": entity, "value": value, "start": start, "end": end}


def test_value_match_ignores_span_boundaries_and_int_vs_str():
    gold = [case("me toi 65 tuoi", e("relation", "parent", 0, 2), e("age", "65", 7, 9))]
    pred = [{"entities": [e("relation", "parent", 0, 6), e("age", 65, 7, 9)]}]
    scores = entity_scores(gold, pred, "value")
    assert scores["relation"]["f1"] == 1.0
    assert scores["age"]["f1"] == 1.0
    spans = entity_scores(gold, pred, "span")
    assert spans["relation"]["f1"] == 0.0  # different boundaries count only in span mode


def test_location_compared_without_case_or_accents():
    gold = [case("o Hai Phong", e("location", "Hai Phong", 2, 11))]
    pred = [{"entities": [e("location", "hải phòng", 2, 11)]}]
    assert entity_scores(gold, pred, "value")["location"]["f1"] == 1.0


def test_posthoc_mode_normalises_raw_values():
    text = "mua 1 nam"
    gold = [case(text, e("months", "12", 4, 9))]
    pred = [{"entities": [e("months", "1 nam", 4, 9)]}]
    assert entity_scores(gold, pred, "value")["months"]["f1"] == 0.0
    assert entity_scores(gold, pred, "posthoc")["months"]["f1"] == 1.0


def test_false_positive_and_missed_entities():
    gold = [case("nha 4 nguoi", e("household_size", "4", 4, 5))]
    pred = [{"entities": [e("household_size", "5", 4, 5), e("age", "4", 4, 5)]}]
    scores = entity_scores(gold, pred, "value")
    assert scores["household_size"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert scores["age"]["precision"] == 0.0


def test_intent_macro_f1():
    pytest.importorskip("sklearn")
    from nlu.eval import intent_scores

    got = intent_scores(["a", "a", "b", "b"], ["a", "a", "b", "a"])
    assert got["accuracy"] == 0.75
    assert got["macro_f1"] == pytest.approx((0.8 + 2 / 3) / 2, abs=1e-3)
