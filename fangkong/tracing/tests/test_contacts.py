"""Contacts in tiers: co-residents from the household, the protocol's floor option, and a
secondary contact re-classified as close when its close contact turns positive."""

from __future__ import annotations

import datetime as dt

import pytest

from fangkong.core.errors import RuleViolation
from fangkong.tracing.models_cases import Contact
from fangkong.tracing.services.cases import open_case
from fangkong.tracing.services.contacts import add_contact, propose_household_contacts
from fangkong.zones.protocols import copy_preset, get_preset

T0 = dt.datetime(2022, 6, 13, 3, 4, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def _case(user, number, **extra):
    return open_case(
        user=user,
        document_number=number,
        kind="asymptomatic",
        sampling_date=T0.date(),
        opened_at=T0,
        **extra,
    )


def test_co_residents_are_proposed_as_close_contacts_once(commander, residents, resident_documents):
    case = _case(commander, resident_documents["张伟"])
    added = propose_household_contacts(user=commander, case=case)
    assert [(c.person_name, c.tier, c.source) for c in added] == [("李娜", "close", "household")]
    assert added[0].last_exposure == T0.date()
    assert propose_household_contacts(user=commander, case=case) == []


def test_the_floor_option_adds_the_same_and_adjacent_floors(
    commander, residents, resident_documents
):
    preset = copy_preset(get_preset("cn-9th-edition-2022"), district_code="410172", user=commander)
    preset.data["tracing"]["household"]["same_and_adjacent_floors"] = "secondary"
    preset.save()
    case = _case(commander, resident_documents["张伟"], protocol=preset.name)
    added = {
        c.person_name: (c.tier, c.source)
        for c in propose_household_contacts(user=commander, case=case)
    }
    # 张伟 and 李娜 live in room 101; 王芳 next door in 102, entrance 1 of the same building.
    assert added == {"李娜": ("close", "household"), "王芳": ("secondary", "floor")}


def test_a_secondary_contact_becomes_close_when_its_close_contact_turns_positive(
    commander, residents, resident_documents
):
    case = _case(commander, resident_documents["张伟"])
    close = add_contact(
        user=commander,
        case=case,
        tier="close",
        document_number=resident_documents["刘洋"],
        last_exposure=T0.date(),
    )
    secondary = add_contact(
        user=commander,
        case=case,
        tier="secondary",
        document_number=resident_documents["陈静"],
        last_exposure=T0.date(),
        via=close,
    )
    _case(commander, resident_documents["刘洋"])
    secondary.refresh_from_db()
    close.refresh_from_db()
    assert (secondary.tier, secondary.reclassified_at is not None) == ("close", True)
    assert close.state == "converted"


def test_a_secondary_contact_must_name_its_close_contact(commander, residents, resident_documents):
    case = _case(commander, resident_documents["张伟"])
    with pytest.raises(RuleViolation) as exc:
        add_contact(
            user=commander,
            case=case,
            tier="secondary",
            document_number=resident_documents["陈静"],
            last_exposure=T0.date(),
        )
    assert exc.value.field == "via"
    assert not Contact.objects.exists()


def test_the_case_page_proposes_household_contacts(
    client, commander, residents, resident_documents
):
    case = _case(commander, resident_documents["张伟"])
    client.force_login(commander)
    answer = client.post(f"/tracing/cases/{case.pk}/household/")
    assert answer.status_code == 302, answer.content[:300]
    page = client.get(f"/tracing/cases/{case.pk}/").content.decode()
    assert page.count('data-testid="contact"') == 1 and "李娜" in page


# --- orders for contacts, converted when the person turns positive ---------------------------


def test_a_household_contact_gets_the_protocols_orders_at_a_site(
    client, commander, residents, resident_documents
):
    from fangkong.tracing.models import ControlOrder
    from fangkong.tracing.services.orders import create_site

    hotel = create_site(user=commander, name="隔离酒店", capacity=3, area_code="410172")
    case = _case(commander, resident_documents["张伟"], protocol="cn-9th-edition-2022")
    contact = propose_household_contacts(user=commander, case=case)[0]
    client.force_login(commander)
    answer = client.post(
        f"/tracing/cases/{case.pk}/contacts/{contact.pk}/orders/", {"site": hotel.pk}
    )
    first = ControlOrder.objects.get(previous=None)
    assert answer.url == f"/tracing/orders/{first.pk}/"
    assert (first.contact, first.person_name, first.start) == (contact, "李娜", T0.date())
    assert [o.kind for o in ControlOrder.objects.order_by("start")] == [
        "centralised_quarantine",
        "home_health_monitoring",
    ]


def test_orders_in_force_convert_when_the_person_turns_positive(
    commander, residents, resident_documents
):
    from fangkong.tracing.models import ControlOrder
    from fangkong.tracing.services.orders import issue_contact_orders

    case = _case(commander, resident_documents["张伟"], protocol="cn-9th-edition-2022")
    close = add_contact(
        user=commander,
        case=case,
        tier="close",
        document_number=resident_documents["刘洋"],
        last_exposure=T0.date(),
    )
    secondary = add_contact(
        user=commander,
        case=case,
        tier="secondary",
        document_number=resident_documents["陈静"],
        last_exposure=T0.date(),
        via=close,
    )
    (home,) = issue_contact_orders(user=commander, contact=secondary)
    assert (home.kind, home.end) == ("home_quarantine", T0.date() + dt.timedelta(days=7))
    _case(commander, resident_documents["陈静"])
    assert ControlOrder.objects.get(pk=home.pk).state == "converted"


def test_a_contact_from_another_district_goes_to_its_pushed_out_list(
    client, commander, residents, resident_documents, id_number
):
    case = _case(commander, resident_documents["张伟"])
    stranger = id_number("310107", "19880808", 12)
    add_contact(
        user=commander,
        case=case,
        tier="close",
        document_number=stranger,
        last_exposure=T0.date(),
        person_name="赵某",
        destination="上海市普陀区",
    )
    local = add_contact(
        user=commander,
        case=case,
        tier="close",
        document_number=resident_documents["刘洋"],
        last_exposure=T0.date(),
        destination="上海市普陀区",  # but the registry says they live here
    )
    assert local.destination == ""
    client.force_login(commander)
    page = client.get("/tracing/pushed-out/").content.decode()
    assert page.count('data-testid="destination"') == 1 and "赵某" in page and stranger not in page
    rows = client.get("/tracing/pushed-out/", {"format": "csv"}).content.decode().splitlines()
    assert len(rows) == 2 and rows[1].startswith("上海市普陀区,赵某,310")
