"""The household facts a conversation builds up from NLU entities."""

from datetime import date

from bot.citizen.facts import Household

TODAY = date(2026, 11, 25)


def test_size_months_and_place_from_one_message():
    hh = Household()
    rejected = hh.merge(
        {"household_size": ["4"], "months": ["12"], "location": ["Hai Phong"]}, TODAY
    )
    assert rejected == []
    assert (hh.size, hh.months, hh.location_text) == (4, 12, "Hai Phong")
    req = hh.quote_request(TODAY)
    assert req["months"] == 12
    assert len(req["members"]) == 4
    assert all(m["groups"] == [] for m in req["members"])


def test_one_age_takes_every_personal_group_and_household_groups_apply_to_all():
    hh = Household(size=3)
    hh.merge({"age": [67], "beneficiary_group": ["elderly_no_pension", "near_poor"]}, TODAY)
    req = hh.quote_request(TODAY)
    assert req["members"][0] == {"age": 67, "groups": ["elderly_no_pension", "near_poor"]}
    # the near-poor household status covers the two members we know nothing else about
    assert [m["groups"] for m in req["members"][1:]] == [["near_poor"], ["near_poor"]]


def test_birth_year_becomes_age_and_absurd_values_are_rejected():
    hh = Household()
    rejected = hh.merge({"birth_year": ["1958"], "age": ["250"], "months": ["7"]}, TODAY)
    assert sorted(rejected) == ["age", "months"]
    assert [m.age for m in hh.members] == [68]
    assert hh.months is None


def test_household_size_grows_to_the_people_named():
    hh = Household(size=1)
    hh.merge({"age": ["40", "12"]}, TODAY)
    assert hh.head_count == 2
    assert hh.unknown_members() == 0


def test_assumptions_are_stated_until_facts_arrive():
    hh = Household(size=2)
    assert set(hh.assumptions()) == {"adults_household_line", "months_12", "national_only"}
    hh.merge({"months": ["6"]}, TODAY)
    hh.province_slug = "hai_phong"
    assert hh.assumptions() == ["adults_household_line"]


def test_group_without_age_is_a_person_of_unknown_age():
    hh = Household()
    hh.merge({"beneficiary_group": ["student"], "relation": ["child"]}, TODAY)
    assert len(hh.members) == 1
    assert hh.members[0].groups == ["student"] and hh.members[0].relation == "child"
    assert hh.can_quote()


def test_no_pension_said_of_an_older_person_places_them_in_the_elderly_group():
    said = [
        ({"age": ["66"], "relation": ["parent"]}, "mẹ 66 tuổi không có lương hưu"),
        ({"age": ["35"]}, "tôi 35 tuổi ko luong huu"),
        # the NLU sometimes tags the negated phrase as the pensioner group: the words win
        ({"age": ["70"], "beneficiary_group": ["pensioner"]}, "bố 70t ko co luong huu"),
    ]
    groups = []
    for entities, text in said:
        hh = Household()
        hh.merge(entities, TODAY, text)
        groups.append([m.groups for m in hh.members])
    assert groups == [[["elderly_no_pension"]], [[]], [["elderly_no_pension"]]]


def test_a_household_described_in_words_is_read_whole():
    hh = Household()
    # an earlier question left a member aged 2: a new description replaces it
    hh.merge({"age": ["2"]}, TODAY, "con 2 tuổi thì sao")
    text = "nha toi co ong ba 68 tuoi khong co luong huu, bo me va 2 chau di hoc"
    hh.merge({"age": ["68"], "household_size": ["2"]}, TODAY, text)
    assert hh.head_count == 6
    ages = sorted((m.age or 0, tuple(m.groups)) for m in hh.members)
    assert ages == [
        (0, ()), (0, ()), (0, ("student",)), (0, ("student",)),
        (68, ("elderly_no_pension",)), (68, ("elderly_no_pension",)),
    ]  # fmt: skip


def test_a_correction_amends_the_count():
    hh = Household()
    hh.merge({}, TODAY, "nhà 4 người, bố mẹ và 2 con")
    hh.merge({"household_size": ["5"]}, TODAY, "à không, 5 người thôi")
    assert hh.head_count == 5 and len(hh.members) == 4


def test_near_poor_household_is_never_read_as_poor():
    hh = Household()
    hh.merge({"beneficiary_group": ["near_poor"]}, TODAY, "ho can ngheo nha 3 nguoi")
    assert hh.household_groups == ["near_poor"] and hh.head_count == 3


def test_an_impossible_age_in_the_text_is_reported_even_if_the_nlu_dropped_it():
    hh = Household()
    assert hh.merge({}, TODAY, "tôi 250 tuổi thì đóng bao nhiêu") == ["age"]
    assert hh.members == []
    assert hh.merge({"age": [70]}, TODAY, "bà 70 tuổi") == []


def test_one_more_person_is_added_to_the_household_not_a_new_one():
    hh = Household()
    hh.merge({"household_size": ["5"]}, TODAY, "nhà 5 người")
    hh.merge({"age": ["70"], "relation": ["parent"]}, TODAY, "mẹ tôi 70 tuổi")
    assert hh.head_count == 5 and [m.age for m in hh.members] == [70]


def test_an_age_given_later_fills_the_member_of_that_kin():
    hh = Household()
    hh.merge({}, TODAY, "nhà tôi có bố mẹ và 2 con")
    hh.merge({"age": ["72"]}, TODAY, "bố tôi 72 tuổi")
    assert hh.head_count == 4 and sorted(m.age or 0 for m in hh.members) == [0, 0, 0, 72]


def test_more_people_named_than_the_total_keeps_everyone():
    hh = Household()
    hh.merge({}, TODAY, "nhà 2 người: bố 70 tuổi, mẹ 68 tuổi, con 10 tuổi")
    assert hh.head_count == 3


def test_an_impossible_household_size_is_refused_and_quotes_still_work():
    hh = Household()
    hh.merge({}, TODAY, "nhà 3 người")
    assert "household_size" in hh.merge({}, TODAY, "nhà tôi 25 người")
    assert hh.head_count == 3  # the earlier size stands, so the next quote is still valid


def test_a_question_about_papers_adds_no_one():
    hh = Household()
    hh.merge({}, TODAY, "nhà 3 người")
    hh.merge({}, TODAY, "thu tuc lam the cho tre so sinh", describes=False)
    assert hh.head_count == 3 and hh.members == []


def test_a_correction_in_its_own_message_amends_that_person():
    hh = Household()
    hh.merge({}, TODAY, "vợ chồng tôi 35 và 33 tuổi, 2 bé 5 tuổi và 8 tuổi")
    hh.merge({}, TODAY, "à nhầm, bé lớn 9 tuổi rồi")
    assert hh.head_count == 4 and sorted(m.age for m in hh.members) == [5, 9, 33, 35]
