import threading

import pytest
from dbtest_helpers import commune

from db.errors import DataError
from db.people import get_or_create_person, grant_role, has_role, revoke_role, roles_of


def test_pre_registered_agent_gets_filled_on_first_contact(db) -> None:  # type: ignore[no-untyped-def]
    with db.tx() as s:
        aq = commune(s, "Phường Ái Quốc, Hải Phòng").id
        p, created = get_or_create_person(s, 555)
        assert created and p.first_name is None
        grant_role(s, p.id, "agent", aq)
        assert grant_role(s, p.id, "agent", aq).id == roles_of(s, p.id)[0].id  # idempotent
    with db.tx() as s:
        p2, created = get_or_create_person(s, 555, "Minh", "vi", campaign_source="poster_aq")
        assert not created and p2.id == p.id and p2.first_name == "Minh"
        assert p2.campaign_source == "poster_aq"
        assert has_role(s, p2.id, "agent", aq)
        assert revoke_role(s, p2.id, "agent") == 1 and not has_role(s, p2.id, "agent")
        with pytest.raises(DataError):
            grant_role(s, p2.id, "agent")  # agents need a commune
        with pytest.raises(DataError):
            grant_role(s, p2.id, "king")


def test_first_contact_race_creates_one_person(db) -> None:  # type: ignore[no-untyped-def]
    barrier = threading.Barrier(4)
    ids: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with db.tx() as s:
                barrier.wait()
                ids.append(get_or_create_person(s, 999, "An")[0].id)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(set(ids)) == 1
