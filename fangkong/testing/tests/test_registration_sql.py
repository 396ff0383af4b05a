"""The hand-written SQL of sample registration: the retry after a unique-key failure, and
the round's people and tallies it keeps."""

import pytest

from fangkong.testing.models import RoundMember, RoundTally, Sample, Tube
from fangkong.testing.services import sample_store
from fangkong.testing.services.registration import register_samples
from fangkong.testing.services.sample_items import Clock, precheck


@pytest.fixture
def ids(resident_documents):
    """The documents of the six registered residents (the `residents` fixture)."""
    return list(resident_documents.values())


def test_a_key_committed_between_reads_and_insert_is_read_again(
    station, tubes, tablet, residents, ids, sample_item, monkeypatch
):
    """If the same keys are committed after this batch looked for them, its insert fails on
    the unique key: nothing of the attempt stays written and the batch runs again, reading
    the committed keys (here used for other people, so refused as reused)."""
    first_items = [sample_item(tubes[0], number, key=f"k{i}") for i, number in enumerate(ids[:3])]
    first = register_samples(station=station, items=first_items, actor=tablet)
    assert first.accepted == 3
    real = sample_store.answer_replays
    calls = []

    def miss_replays_once(live, existing, station):
        calls.append(len(existing))
        return real(live, {} if len(calls) == 1 else existing, station)

    monkeypatch.setattr(sample_store, "answer_replays", miss_replays_once)
    # The same keys for other people: only the unique key stops the first attempt.
    items = [sample_item(tubes[0], number, key=f"k{i}") for i, number in enumerate(ids[3:])]
    again = register_samples(station=station, items=items, actor=tablet)
    assert calls == [3, 3]  # the second attempt read the committed keys again
    assert (again.accepted, again.rejected) == (0, 3)
    assert {o.code for o in again.items} == {"reused"}
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
    real = sample_store.answer_replays
    seen: list[int] = []

    def count_replays(live, existing, station):
        seen.append(len(existing))
        return real(live, existing, station)

    monkeypatch.setattr(sample_store, "answer_replays", count_replays)
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
def statements():
    """Every statement the connection sends, with whether the server was still in a
    transaction right after it (a recorder on the connection, not a stand-in for our code)."""
    from django.db import connection

    seen: list[tuple[str, bool]] = []

    def record(execute, sql, params, many, context):
        answer = execute(sql, params, many, context)
        seen.append((sql, _server_in_transaction()))
        return answer

    with connection.execute_wrapper(record):
        yield seen


def _writes(seen: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    return [(sql, open_) for sql, open_ in seen if "INSERT INTO testing_sample" in sql]


@pytest.mark.django_db(transaction=True)
def test_the_store_commits_its_own_transaction_with_the_write_and_nothing_after(
    station, tubes, tablet, residents, ids, sample_item, statements
):
    """Outside any atomic block the store owns the batch's transaction and returns after it
    committed. On PostgreSQL the one write statement carries the COMMIT (one round trip
    fewer) and is the last statement of the batch; on SQLite the block commits after it."""
    from django.db import connection

    items = [sample_item(tubes[0], number) for number in ids[:2]]
    assert register_samples(station=station, items=items, actor=tablet).accepted == 2
    [(sql, open_after)] = _writes(statements)
    if connection.vendor == "postgresql":
        assert sql.endswith("; COMMIT") and not open_after
        assert statements[-1][0] == sql  # nothing was sent after the COMMIT
    else:
        assert "COMMIT" not in sql and open_after
    assert not _server_in_transaction()
    assert Sample.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_retest_round_also_commits_with_the_write(
    station, tubes, tablet, residents, ids, sample_item, statements
):
    """A retest round's orders become sampled inside the write itself, not after it."""
    from django.db import connection

    from fangkong.testing.models import RetestOrder, RetestState, RoundKind

    round_ = station.round
    round_.kind = RoundKind.RETEST
    round_.save(update_fields=["kind"])
    resident = residents[0]  # 张伟, ids[0]
    order = RetestOrder.objects.create(
        source_tube=tubes[1],
        retest_round=round_,
        resident=resident,
        area_code=resident.area_code,
        state=RetestState.PENDING,
    )
    items = [sample_item(tubes[0], ids[0])]
    assert register_samples(station=station, items=items, actor=tablet).accepted == 1
    [(sql, _open)] = _writes(statements)
    if connection.vendor == "postgresql":
        assert "testing_retestorder" in sql and sql.endswith("; COMMIT")
    order.refresh_from_db()
    assert order.state == RetestState.SAMPLED


def test_inside_a_callers_transaction_the_batch_joins_it(
    station, tubes, tablet, residents, ids, sample_item, statements
):
    """Inside a caller's atomic block (here the test's own) the batch is part of the
    caller's transaction: nothing is committed behind its back."""
    items = [sample_item(tubes[0], number) for number in ids[:2]]
    assert register_samples(station=station, items=items, actor=tablet).accepted == 2
    [(sql, open_after)] = _writes(statements)
    assert "COMMIT" not in sql and open_after
    assert _server_in_transaction()


@pytest.mark.django_db(transaction=True)
def test_a_callers_rollback_takes_the_batch_with_it(
    station, tubes, tablet, residents, ids, sample_item
):
    from django.db import transaction

    class Undo(Exception):
        pass

    items = [sample_item(tubes[0], number) for number in ids[:2]]
    with pytest.raises(Undo), transaction.atomic():
        assert register_samples(station=station, items=items, actor=tablet).accepted == 2
        raise Undo
    assert Sample.objects.count() == 0
    assert Tube.objects.get(pk=tubes[0].pk).sample_count == 0


@pytest.mark.django_db(transaction=True)
def test_a_statement_after_the_commit_is_refused(
    station, tubes, tablet, residents, ids, sample_item
):
    """An adapter that sends anything after its committing write is stopped: that statement
    would run outside the batch's transaction."""
    from django.db import connection

    base = type(sample_store.store())

    class Careless(base):
        def write(self, cursor, batch, rows, members, updates, *, guard):
            answer = super().write(cursor, batch, rows, members, updates, guard=guard)
            guard.committed = True  # as the PostgreSQL write does when it carries the COMMIT
            cursor.execute("UPDATE testing_tube SET sample_count = 0")
            return answer

    items = [sample_item(tubes[0], ids[0])]
    with pytest.raises(sample_store.StatementAfterCommitError):
        Careless().write_batch(
            station=station,
            round_=station.round,
            prepared=[precheck(0, items[0], Clock.of(items[0].taken_at, station.round))],
            now=items[0].taken_at,
            recorded_by="t",
        )
    assert not connection.in_atomic_block
    expected = 1 if connection.vendor == "postgresql" else 0  # committed, or rolled back
    assert Tube.objects.get(pk=tubes[0].pk).sample_count == expected


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
