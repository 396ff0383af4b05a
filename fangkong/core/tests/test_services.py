import pytest
from cryptography.exceptions import InvalidTag
from django.db import connection

from devtools.fixtures import postgresql_only
from fangkong.core import crypto
from fangkong.core.errors import RuleViolation
from fangkong.core.masking import mask_document, mask_name, mask_phone
from fangkong.core.models import AuditAction, AuditEntry, IdempotencyKey
from fangkong.core.services import record_audit, run_idempotent


def test_encryption_round_trip_and_context_binding():
    token = crypto.encrypt("410172199001011234", context="resident.document")
    assert "410172" not in token
    assert crypto.decrypt(token, context="resident.document") == "410172199001011234"
    with pytest.raises(InvalidTag):
        crypto.decrypt(token, context="resident.phone")
    # Random nonces: the same value never encrypts the same way twice.
    assert token != crypto.encrypt("410172199001011234", context="resident.document")


def test_blind_index_is_stable_keyed_and_context_bound(settings):
    a = crypto.blind_index("13812345678", context="resident.phone")
    assert a == crypto.blind_index("13812345678", context="resident.phone")
    assert a != crypto.blind_index("13812345678", context="resident.document")
    settings.BLIND_INDEX_KEY = "b3RoZXItYmxpbmQtaW5kZXgta2V5LTMyLWJ5dGVzISE="
    assert a != crypto.blind_index("13812345678", context="resident.phone")


def test_masks():
    assert mask_document("410172199001011234") == "410***********1234"
    assert mask_document("41017219900101123X") == "410***********123X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_name("张三丰") == "张*丰"
    assert mask_name("李四") == "李*"


@pytest.mark.django_db
def test_replayed_key_returns_first_answer_and_writes_once():
    calls = []

    def write():
        calls.append(1)
        record_audit(user=None, username="x", action=AuditAction.IMPORT)
        return 201, {"n": len(calls)}

    first = run_idempotent(key="k1", scope="test", payload={"a": 1}, write=write)
    again = run_idempotent(key="k1", scope="test", payload={"a": 1}, write=write)
    assert first == (201, {"n": 1}, False)
    assert again == (201, {"n": 1}, True)
    assert len(calls) == 1
    assert AuditEntry.objects.count() == 1


@pytest.mark.django_db
def test_reused_key_with_other_payload_is_refused():
    run_idempotent(key="k1", scope="test", payload={"a": 1}, write=lambda: (200, {}))
    with pytest.raises(RuleViolation) as exc:
        run_idempotent(key="k1", scope="test", payload={"a": 2}, write=lambda: (200, {}))
    assert exc.value.status_code == 409
    assert exc.value.field == "idempotency_key"


@pytest.mark.django_db
def test_failed_write_stores_no_key():
    def write():
        record_audit(user=None, username="x", action=AuditAction.IMPORT)
        raise RuleViolation(field="x", code="bad", message="bad")

    with pytest.raises(RuleViolation):
        run_idempotent(key="k2", scope="test", payload={}, write=write)
    assert not IdempotencyKey.objects.exists()
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_a_write_not_read_first_replays_its_answer_when_its_rules_refuse_the_retry():
    """The key is not looked up first: the retry runs the write, whose own rule refuses it
    (the work is done), and gets the first answer; another body under the key is refused
    and what its write did is undone; a refusal with no stored key stays a refusal."""
    done: list[str] = []

    def write(door: str):
        def run():
            if door in done:
                raise RuleViolation(field="door", code="done", message="done")
            done.append(door)
            record_audit(user=None, username="x", action=AuditAction.IMPORT, object_id=door)
            return 200, {"door": door}

        return run

    first = run_idempotent(
        key="k1", scope="t", payload={"d": 1}, write=write("1"), read_first=False
    )
    again = run_idempotent(
        key="k1", scope="t", payload={"d": 1}, write=write("1"), read_first=False
    )
    assert first == (200, {"door": "1"}, False)
    assert again == (200, {"door": "1"}, True)
    with pytest.raises(RuleViolation) as reused:
        run_idempotent(key="k1", scope="t", payload={"d": 2}, write=write("2"), read_first=False)
    assert (reused.value.status_code, reused.value.code) == (409, "reused")
    assert list(AuditEntry.objects.values_list("object_id", flat=True)) == ["1"]
    with pytest.raises(RuleViolation) as refused:
        run_idempotent(key="k2", scope="t", payload={"d": 1}, write=write("1"), read_first=False)
    assert refused.value.code == "done"
    assert IdempotencyKey.objects.count() == 1


@pytest.mark.django_db
def test_audit_log_is_append_only():
    entry = record_audit(user=None, username="someone", action=AuditAction.UNMASK, object_id=7)
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()
    with pytest.raises(TypeError):
        AuditEntry.objects.all().update(reason="changed")
    with pytest.raises(TypeError):
        AuditEntry.objects.all().delete()


@postgresql_only("a trigger of the PostgreSQL migration")
@pytest.mark.django_db(transaction=True)
def test_postgresql_itself_refuses_audit_changes():
    record_audit(user=None, username="someone", action=AuditAction.UNMASK, object_id=7)
    from django.db import DatabaseError

    with pytest.raises(DatabaseError), connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET reason = 'x'")
