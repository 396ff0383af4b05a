"""The hand-written SQL of sample registration: the retry after a unique-key failure, and
the round's people and tallies it keeps."""

import pytest

from fangkong.testing.models import RoundMember, RoundTally, Sample, Tube
from fangkong.testing.services import sample_store
from fangkong.testing.services.registration import register_samples


@pytest.fixture
def ids(resident_documents):
    """The documents of the six registered residents (the `residents` fixture)."""
    return list(resident_documents.values())


def test_a_key_committed_between_reads_and_insert_is_answered_as_a_replay(
    station, tubes, tablet, residents, ids, sample_item, monkeypatch
):
    """If the same keys are committed after this batch looked for them, its insert fails on
    the unique key: nothing of the attempt stays written
    and the batch runs again, now answered as replays."""
    first_items = [sample_item(tubes[0], number, key=f"k{i}") for i, number in enumerate(ids[:3])]
    first = register_samples(station=station, items=first_items, actor=tablet)
    assert first.accepted == 3
    real = sample_store._answer_replays
    calls = []

    def miss_replays_once(live, existing, station):
        calls.append(len(existing))
        return real(live, {} if len(calls) == 1 else existing, station)

    monkeypatch.setattr(sample_store, "_answer_replays", miss_replays_once)
    # The same keys for other people: only the unique key stops the first attempt.
    items = [sample_item(tubes[0], number, key=f"k{i}") for i, number in enumerate(ids[3:])]
    again = register_samples(station=station, items=items, actor=tablet)
    assert calls == [3, 3]  # the second attempt read the committed keys again
    assert (again.accepted, again.replayed) == (0, 3)
    assert [o.sample_id for o in again.items] == [o.sample_id for o in first.items]
    assert Sample.objects.count() == 3
    assert Tube.objects.get(pk=tubes[0].pk).sample_count == 3
    assert RoundMember.objects.count() == 3
    assert sum(RoundTally.objects.values_list("tested", flat=True)) == 3


def test_people_new_to_the_round_are_counted_once_per_grid(
    station, tubes, tablet, residents, ids, sample_item
):
    first = [sample_item(tubes[0], number) for number in ids[:4]]
    assert register_samples(station=station, items=first, actor=tablet).accepted == 4
    # Two already counted, two new; one of the new appears in two tubes of this batch.
    second = [
        sample_item(tubes[1], ids[0]),
        sample_item(tubes[1], ids[1]),
        sample_item(tubes[1], ids[4]),
        sample_item(tubes[1], ids[5]),
        sample_item(tubes[2], ids[5]),
    ]
    result = register_samples(station=station, items=second, actor=tablet)
    assert result.accepted == 5
    assert [("repeat_in_round" in o.flags) for o in result.items] == [
        True,
        True,
        False,
        False,
        False,
    ]
    assert RoundMember.objects.filter(round=station.round).count() == 6
    tallies = dict(RoundTally.objects.values_list("area_code", "tested"))
    members = RoundMember.objects.values_list("area_code", flat=True)
    assert tallies == {area: list(members).count(area) for area in set(members)}


def test_a_person_without_document_seen_before_is_checked_like_anyone(
    station, tubes, tablet, residents, sample_item
):
    """Found again by name and phone (not by the batch's first read of people), such a
    person is still refused twice in one tube and flagged twice in the round."""

    def grandma(tube):
        return sample_item(tube, None, name="王奶奶", phone="13700000000")

    first = register_samples(station=station, items=[grandma(tubes[0])], actor=tablet)
    assert first.accepted == 1
    again = register_samples(station=station, items=[grandma(tubes[0])], actor=tablet)
    assert again.items[0].code == "twice_in_tube"
    other = register_samples(station=station, items=[grandma(tubes[1])], actor=tablet)
    assert other.accepted == 1 and "repeat_in_round" in other.items[0].flags
    assert RoundMember.objects.filter(round=station.round).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_retry_waiting_for_its_tube_reads_what_the_first_attempt_committed(
    station, tubes, tablet, residents, ids, sample_item, monkeypatch
):
    """A tablet resends a batch while the first attempt is still being written. The resend
    waits for the tube; once it has it, its read of the keys already sees the first
    attempt's samples (one attempt, answered as replays), not the state before it waited."""
    import threading
    import time

    from django.db import connection, transaction

    items = [sample_item(tubes[0], number, key=f"r{i}") for i, number in enumerate(ids[:3])]
    real = sample_store._answer_replays
    seen: list[int] = []

    def count_replays(live, existing, station):
        seen.append(len(existing))
        return real(live, existing, station)

    monkeypatch.setattr(sample_store, "_answer_replays", count_replays)
    written, release, answers = threading.Event(), threading.Event(), {}

    def first_attempt():
        try:
            with transaction.atomic():
                answers["first"] = register_samples(station=station, items=items, actor=tablet)
                written.set()
                release.wait(10)
        finally:
            connection.close()

    def resend():
        try:
            answers["resend"] = register_samples(station=station, items=items, actor=tablet)
        finally:
            connection.close()

    first = threading.Thread(target=first_attempt)
    first.start()
    assert written.wait(10)
    second = threading.Thread(target=resend)
    second.start()
    time.sleep(0.3)  # the resend is now waiting for the tube (or the write lock)
    assert second.is_alive()
    release.set()
    first.join(10)
    second.join(10)
    assert seen == [0, 3]
    assert answers["first"].accepted == 3
    assert (answers["resend"].accepted, answers["resend"].replayed) == (0, 3)
    assert [o.sample_id for o in answers["resend"].items] == [
        o.sample_id for o in answers["first"].items
    ]
    assert Sample.objects.count() == 3
    assert Tube.objects.get(pk=tubes[0].pk).sample_count == 3


def _server_in_transaction() -> bool:
    from django.db import connection

    if connection.vendor == "postgresql":
        from psycopg import pq

        return connection.connection.info.transaction_status != pq.TransactionStatus.IDLE
    return connection.connection.in_transaction


@pytest.fixture
def after_write(monkeypatch) -> list[bool]:
    """Whether the server was still in a transaction right after each batch's write."""
    real = sample_store._store
    seen: list[bool] = []

    def store(*args, **kwargs):
        answer = real(*args, **kwargs)
        seen.append(_server_in_transaction())
        return answer

    monkeypatch.setattr(sample_store, "_store", store)
    return seen


@pytest.mark.django_db(transaction=True)
def test_the_write_carries_the_commit_of_its_own_transaction(
    station, tubes, tablet, residents, ids, sample_item, after_write
):
    """On PostgreSQL the batch's one write statement also commits (one round trip fewer);
    Django's commit after it finds nothing left to do, and the samples are stored."""
    from django.db import connection

    items = [sample_item(tubes[0], number) for number in ids[:2]]
    assert register_samples(station=station, items=items, actor=tablet).accepted == 2
    assert after_write == [connection.vendor != "postgresql"]
    assert not _server_in_transaction()
    assert Sample.objects.count() == 2


def test_inside_a_callers_transaction_the_write_does_not_commit(
    station, tubes, tablet, residents, ids, sample_item, after_write
):
    """Inside a caller's atomic block (here the test's own) the batch is part of the
    caller's transaction: nothing is committed behind its back."""
    items = [sample_item(tubes[0], number) for number in ids[:2]]
    assert register_samples(station=station, items=items, actor=tablet).accepted == 2
    assert after_write == [True]
    assert _server_in_transaction()


def test_a_round_or_station_with_samples_cannot_be_deleted(
    station, tubes, tablet, residents, ids, sample_item
):
    """The database no longer checks a sample's round and station (registration takes them
    from the locked tube and the authorised station); deleting either is still refused."""
    from django.db.models import ProtectedError

    items = [sample_item(tubes[0], ids[0])]
    assert register_samples(station=station, items=items, actor=tablet).accepted == 1
    with pytest.raises(ProtectedError):
        station.delete()
    with pytest.raises(ProtectedError):
        station.round.delete()
    sample = Sample.objects.get()
    assert (sample.round_id, sample.station_id) == (station.round_id, station.pk)
    assert sample.tube.round_id == sample.round_id
