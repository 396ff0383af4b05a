"""One demo login per role, scoped to the places of the seed pages, with one shared password."""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from fangkong.accounts.models import Role, User
from fangkong.accounts.services import create_user
from fangkong.core.errors import RuleViolation
from fangkong.geo.selectors import area_labels, get_node
from fangkong.lab.services.labs import ensure_lab_member

from .district import DISTRICT_CODE
from .rounds import ensure_sampler_station
from .units import ensure_case_units

# Public on purpose: printed on screen by `fangkong demo`; refused in production.
DEMO_PASSWORD = "fangkong-demo"  # noqa: S105

WUTONG = f"{DISTRICT_CODE}-001"  # 梧桐街办事处
WAWULI = f"{WUTONG}-001"  # 瓦屋李社区
CHUNTENG = f"{WUTONG}-002"  # 春藤社区, where the 电厂路漳河路 checkpoint stands
# The district's lab in the seed pages; the 13 June replay sends its boxes to the same one.
DEMO_LAB = "高新区核酸检测实验室"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    scope_code: str
    display_name: str


DEMO_ACCOUNTS = (
    DemoAccount("commander", Role.DISTRICT_COMMANDER, DISTRICT_CODE, "高新区疫情防控指挥部"),
    DemoAccount("wutong", Role.SUBDISTRICT_STAFF, WUTONG, "梧桐街办事处"),
    DemoAccount("wawuli", Role.COMMUNITY_STAFF, WAWULI, "瓦屋李社区"),
    DemoAccount("grid1", Role.GRID_WORKER, f"{WAWULI}-001", "瓦屋李社区第一网格网格员"),
    DemoAccount("sampler", Role.SAMPLER, WAWULI, "瓦屋李采样小屋采样员"),
    DemoAccount("lab", Role.LAB_TECHNICIAN, DISTRICT_CODE, "检测实验室"),
    DemoAccount("guard", Role.CHECKPOINT_GUARD, CHUNTENG, "电厂路漳河路卡点值守"),
    DemoAccount("volunteer", Role.VOLUNTEER_COORDINATOR, WAWULI, "瓦屋李社区志愿者队伍"),
    DemoAccount("auditor", Role.AUDITOR, DISTRICT_CODE, "高新区审计"),
    DemoAccount("cdc", Role.CDC, DISTRICT_CODE, "高新区疾控中心"),
    # The role of Open311 clients' keys; as a login it may only report a matter.
    DemoAccount("reporter", Role.REPORTER, DISTRICT_CODE, "市民上报"),
)


@dataclass(frozen=True)
class AccountRow:
    """A line of the table `fangkong demo` prints."""

    username: str
    role: str
    role_label: str
    scope_code: str
    scope_name: str
    password: str  # the demo password, or "" when the account's password was changed
    created: bool


def ensure_demo_accounts(*, password: str = DEMO_PASSWORD) -> list[AccountRow]:
    """Create the demo accounts that are missing; existing accounts are left as they are.

    An account someone changed keeps its password (the row then shows none), so running the
    demo again never resets a password. Refused in production. Accounts whose scope is not
    in the database (the demo district was not generated) are skipped.
    """
    if settings.PRODUCTION:
        raise RuleViolation(
            field="accounts",
            code="production",
            message=_("Demo accounts with a public password are never created in production."),
        )
    ensure_case_units()  # the grid worker's and the reporter's reports need a receiving unit
    rows = []
    for spec in DEMO_ACCOUNTS:
        node = get_node(spec.scope_code)
        if node is None:
            continue
        user = User.objects.filter(username=spec.username).first()
        created = user is None
        if created:
            extra = {"is_staff": True, "is_superuser": True} if spec.username == "commander" else {}
            user = create_user(
                username=spec.username,
                password=password,
                role=spec.role,
                scope_code=spec.scope_code,
                display_name=spec.display_name,
                **extra,
            )
        if user.role == Role.LAB_TECHNICIAN:
            # Without a laboratory the lab account could open none of its pages.
            ensure_lab_member(lab_name=DEMO_LAB, user=user)
        if user.role == Role.SAMPLER:
            # Without a station of a sampling round the sampler page offers nothing to do.
            ensure_sampler_station(user=user)
        rows.append(
            AccountRow(
                username=user.username,
                role=user.role,
                role_label=str(Role(user.role).label) if user.role in Role.values else user.role,
                scope_code=user.scope_code,
                scope_name=scope_name(user.scope_code),
                password=password if created or user.check_password(password) else "",
                created=created,
            )
        )
    return rows


def scope_name(code: str) -> str:
    """The node's name as every page shows it: a grid's with its community's in front
    (every community has a 第一网格)."""
    return area_labels([code]).get(code, "")


def format_accounts(rows: list[AccountRow], *, color: bool = False, width: int = 110) -> str:
    """The accounts as a table for the terminal."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=_("Demo accounts"), title_justify="left")
    table.add_column(_("User name"), style="bold")
    table.add_column(_("Role"))
    table.add_column(_("Scope"))
    table.add_column(_("Password"))
    for r in rows:
        table.add_row(
            r.username,
            r.role_label,
            f"{r.scope_name} ({r.scope_code})",
            r.password or _("(changed)"),
        )
    out = io.StringIO()
    Console(file=out, force_terminal=color, no_color=not color, width=width).print(table)
    return out.getvalue()
