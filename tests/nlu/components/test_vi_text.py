"""Pure normalisation helpers (no rasa needed: runs in both venvs)."""

import unicodedata

import pytest

from nlu.components import vi_text as vt


def test_strip_accents_handles_d_and_nfd_input():
    assert vt.strip_accents("Bảo hiểm y tế Đà Nẵng") == "Bao hiem y te Da Nang"
    decomposed = unicodedata.normalize("NFD", "cận nghèo")
    assert vt.strip_accents(decomposed) == "can ngheo"
    assert vt.has_diacritics("bảo hiểm") and not vt.has_diacritics("bao hiem")
    assert vt.has_diacritics("đi")


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("ko", "khong"),
        ("Không", "khong"),
        ("k", "khong"),
        ("dc", "duoc"),
        ("đc", "duoc"),
        ("bn", "bao nhieu"),
        ("ntn", "nhu the nao"),
        ("mk", "minh"),
        ("BHYT", "bao hiem y te"),
        ("hgđ", "ho gia dinh"),
        ("sv", "sinh vien"),
        ("hs", "hoc sinh"),
        ("ko?", "khong"),
        ("Hải", "hai"),
    ],
)
def test_normalize_token_expands_teencode(token, expected):
    assert vt.normalize_token(token) == expected


def test_accented_and_plain_text_share_the_normalised_view():
    assert vt.normalize_text("bảo hiểm y tế bao nhiêu") == vt.normalize_text("bhyt bn")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("4", 4), ("bốn", 4), ("bon", 4), ("năm", 5), ("mười hai", 12), ("hai mươi lăm", 25)],
)
def test_parse_int_digits_and_words(text, expected):
    assert vt.parse_int(text) == expected


def test_parse_int_rejects_non_numbers():
    assert vt.parse_int("người") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 năm", 12),
        ("1 nam", 12),
        ("một năm", 12),
        ("12 tháng", 12),
        ("nửa năm", 6),
        ("6 thang", 6),
        ("3 thang", 3),
        ("quý", 3),
        ("12", 12),
        ("5 tháng", None),
        ("ba", None),
    ],
)
def test_normalize_months(text, expected):
    assert vt.normalize_months(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0912345678", "0912345678"),
        ("0912 345 678", "0912345678"),
        ("0912.345.678", "0912345678"),
        ("+84912345678", "0912345678"),
        ("84 912 345 678", "0912345678"),
        ("+84 (0)912345678", None),
        ("12345", None),
        ("0212345678", None),
    ],
)
def test_normalize_phone(text, expected):
    assert vt.normalize_phone(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hộ cận nghèo", "near_poor"),
        ("ho can ngheo", "near_poor"),
        ("hộ CN", "near_poor"),
        ("near_poor", "near_poor"),
        ("hộ nghèo", "poor"),
        ("hs", "student"),
        ("sv", "student"),
        ("sinh viên", "student"),
        ("người khuyết tật", "disabled"),
        ("cựu chiến binh", "meritorious"),
        ("trẻ dưới 6 tuổi", "child_under_6"),
        ("người cao tuổi không có lương hưu", "elderly_no_pension"),
        ("hưởng lương hưu", "pensioner"),
        ("hưởng trợ cấp xã hội hàng tháng", "social_pension"),
        ("hộ gia đình", "household"),
        ("hgđ", "household"),
        ("dân tộc thiểu số", "ethnic_minority_hardship"),
        ("hội viên hội người mù", "blind_association"),
        ("thu gom rác", "waste_collector"),
        ("đảng viên 40 năm tuổi đảng", "party_member_40y"),
        ("có hợp đồng lao động", "employee"),
        ("nhiễm HIV", "hiv"),
        ("hộ làm nông có mức sống trung bình", "farm_avg_income"),
        ("xe máy", None),
    ],
)
def test_normalize_group(text, expected):
    assert vt.normalize_group(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # severity: specific before generic; plain "khuyết tật" = severity not said
        ("khuyết tật nặng", "disabled_severe"),
        ("nguoi khuyet tat dac biet nang", "disabled_severe"),
        ("khuyết tật mức độ nặng", "disabled_severe"),
        ("khuyet tat tri tue nang", "disabled_severe"),
        ("tàn tật nặng", "disabled_severe"),
        ("nkt nặng", "disabled_severe"),
        ("liệt giường", "disabled_severe"),
        ("đặc biệt nặng", "disabled_severe"),
        ("nặng", "disabled_severe"),
        ("khuyết tật", "disabled"),
        ("khuyet tat muc nhe", "disabled"),
        ("thương binh nặng", "meritorious"),
        # where people live
        ("xã đảo", "island_commune"),
        ("huyen dao", "island_commune"),
        ("đặc khu", "island_commune"),
        ("Dac khu", "island_commune"),
        ("đặc khu Phú Quốc", "island_commune"),
        ("trên đảo", "island_commune"),
        ("vùng hải đảo", "island_commune"),
        ("xã đặc biệt khó khăn", "hardship_area"),
        ("thon dbkk", "hardship_area"),
        ("bản ĐBKK", "hardship_area"),
        ("vùng đặc biệt khó khăn", "hardship_area"),
        ("xã khu vực III", "hardship_area"),
        ("xa khu vuc 3", "hardship_area"),
        ("vùng sâu vùng xa", "hardship_area"),
        ("xã vùng cao", "hardship_area"),
        ("người dân tộc thiểu số", "ethnic_minority_hardship"),
        ("dân tộc thiểu số vùng đặc biệt khó khăn", "ethnic_minority_hardship"),
        ("dtts", "ethnic_minority_hardship"),
        # relatives of soldiers / police vs the soldier or officer themself
        ("thân nhân quân đội", "armed_forces_relative"),
        ("than nhan cong an", "armed_forces_relative"),
        ("con bộ đội", "armed_forces_relative"),
        ("vợ công an", "armed_forces_relative"),
        ("vo si quan", "armed_forces_relative"),
        ("bố mẹ của sĩ quan", "armed_forces_relative"),
        ("gia đình quân nhân", "armed_forces_relative"),
        ("bộ đội", "employee"),
        ("công an", "employee"),
        ("đang đi nghĩa vụ", "employee"),
        ("di nghia vu quan su", "employee"),
        ("bộ đội xuất ngũ", "meritorious"),
        ("con liệt sĩ", "meritorious"),
        # in school
        ("đi học", "student"),
        ("dang hoc lop 7", "student"),
        ("học cấp 2", "student"),
        ("lớp 12", "student"),
        ("học đại học", "student"),
        ("hoc cao dang", "student"),
        ("hs", "student"),
        ("sv", "student"),
    ],
)
def test_normalize_group_new_ids_and_phrasing(text, expected):
    assert vt.normalize_group(text) == expected


@pytest.mark.parametrize(
    "gid", ["disabled_severe", "island_commune", "hardship_area", "armed_forces_relative"]
)
def test_new_canonical_ids_are_groups(gid):
    assert gid in vt.BENEFICIARY_GROUPS
    assert vt.normalize_group(gid) == gid
    assert vt.normalize_entity_value("beneficiary_group", gid, "whatever") == gid


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mẹ", "parent"),
        ("bố", "parent"),
        ("ba", "parent"),
        ("bà", "grandparent"),
        ("bà nội", "grandparent"),
        ("ông ngoại", "grandparent"),
        ("con", "child"),
        ("vợ", "spouse"),
        ("ông xã", "spouse"),
        ("cả nhà", "household"),
        ("bản thân", "self"),
        ("hàng xóm", None),
    ],
)
def test_normalize_relation(text, expected):
    assert vt.normalize_relation(text) == expected


def test_normalize_entity_value_prefers_synonym_value_then_text():
    assert vt.normalize_entity_value("beneficiary_group", "near_poor", "hộ CN") == "near_poor"
    assert vt.normalize_entity_value("months", "1 nam", "1 nam") == 12
    assert vt.normalize_entity_value("age", "sáu mươi", "65") == 60
    assert vt.normalize_entity_value("age", "tuổi", "65") == 65
    assert vt.normalize_entity_value("birth_year", "58", "58") == 1958
    assert vt.normalize_entity_value("age", "abc", "abc") is None
    assert vt.normalize_entity_value("location", "phường Ái Quốc, ", None) == "phường Ái Quốc"
    assert vt.normalize_entity_value("location", "ha noi", "Hà Nội") == "Hà Nội"


def test_regex_entities_offsets_point_into_original_text():
    text = "Nhà tôi có 4 người, mẹ 65 tuổi, mua 1 năm, gọi 0912 345 678"
    found = {e["entity"]: e for e in vt.regex_entities(text)}
    assert found["household_size"]["value"] == 4
    assert text[found["household_size"]["start"] : found["household_size"]["end"]] == "4"
    assert found["age"]["value"] == 65
    assert "months" not in found  # periods are left to the model (lapses look the same)
    assert found["phone"]["value"] == "0912345678"
    assert found["phone"]["text"] == "0912 345 678"


def test_regex_entities_without_diacritics_and_word_numbers():
    found = {e["entity"]: e["value"] for e in vt.regex_entities("nha minh co bon nguoi")}
    assert found == {"household_size": 4}
