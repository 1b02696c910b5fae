"""Importing the organisation (issue 12 §1): each row one person with their team, region and role, and
optionally their login, e-mail and manager. Only admins import the org.

- A **region** or **team** named in the file that does not exist (matched by code, Chinese or English
  name) is created: a region under the company (created too, "公司 / Company", when there is none), a
  team under the row's region. Codes are derived from the names (ASCII, unique: `central`,
  `central-2`…, else `region-3` / `team-7` for names with no ASCII letters).
- A row without a team but with a manager goes into the manager's team, named after the manager
  ("Dustin Brinkmann 团队" / "Dustin Brinkmann's team") — a sheet of "rep, manager, office" rows
  (the usual CRM export) becomes teams that way.
- A **person** is found by login, else e-mail, else display name; one that does not exist is created
  with the login of the row (or one derived from the name: `anna.snelling`, unique) and an unusable
  password: nobody knows a password for them until an admin sets one or they reset it by e-mail.
  A person who exists is left as they are (an import does not move people: the admin does), and a
  person repeated in the file with the same team is read once.
- **Roles** are read from Chinese or English words (销售代表 / rep, 内勤 / inside, 销售经理 / manager,
  总监 / director, 管理员 / admin, and the role names Kadence shows); a value map translates others.
  Without a role a person is a rep.
- A **manager** named in the manager column (found like a person, or created as a sales manager of
  the team) becomes a manager of the row's team (`managed_units`).

Everything created is recorded (ImportedRecord), so an undo removes it: the people first (unless they
own records or have logged in since), then the teams, then the regions.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kadence.core.errors import PermissionDenied
from kadence.core.models import OrgUnit, User
from kadence.core.org import orgunit_rebuild_paths
from kadence.core.visibility import is_admin
from kadence.domain.cells import header_key
from kadence.transfer.fields import FIELDS, REF, TEXT, Field
from kadence.transfer.importer import KINDS, Kind, Row, _labels, as_text
from kadence.transfer.models import ImportedRecord

ORG_FIELDS = (
    Field(
        "name",
        gettext_lazy("Name"),
        TEXT,
        (
            "姓名",
            "员工姓名",
            "销售",
            "销售代表",
            "人员",
            "name",
            "full name",
            "display name",
            "sales agent",
            "salesperson",
            "employee",
        ),
        True,
        100,
    ),
    Field(
        "username",
        gettext_lazy("Login"),
        TEXT,
        ("登录名", "账号", "用户名", "工号", "login", "username", "user name", "user id"),
        max_length=150,
        help=gettext_lazy("Without a login column, one is derived from the name."),
    ),
    Field("email", gettext_lazy("E-mail"), TEXT, ("邮箱", "电子邮箱", "email", "e-mail"), max_length=254),
    Field(
        "team", gettext_lazy("Team"), TEXT, ("团队", "小组", "销售团队", "team", "sales team"), max_length=200
    ),
    Field(
        "region",
        gettext_lazy("Region"),
        TEXT,
        ("区域", "大区", "地区", "region", "regional office", "office"),
        max_length=200,
    ),
    Field(
        "role",
        gettext_lazy("Role"),
        REF,
        ("角色", "岗位", "role", "position"),
        ref="role",
        help=gettext_lazy(
            "Rep, inside sales, manager, director or admin (Chinese or English); a rep when empty."
        ),
    ),
    Field(
        "manager",
        gettext_lazy("Manager"),
        TEXT,
        ("经理", "上级", "主管", "直属上级", "销售经理", "manager", "team lead"),
        max_length=150,
        help=gettext_lazy("Becomes a manager of the person's team (created as a sales manager when new)."),
    ),
)

ROLE_WORDS: dict[str, str] = {
    "rep": User.Role.REP,
    "sales": User.Role.REP,
    "salesrep": User.Role.REP,
    "sales representative": User.Role.REP,
    "销售": User.Role.REP,
    "销售代表": User.Role.REP,
    "销售员": User.Role.REP,
    "inside": User.Role.INSIDE,
    "inside sales": User.Role.INSIDE,
    "内勤": User.Role.INSIDE,
    "销售内勤": User.Role.INSIDE,
    "manager": User.Role.MANAGER,
    "sales manager": User.Role.MANAGER,
    "经理": User.Role.MANAGER,
    "销售经理": User.Role.MANAGER,
    "director": User.Role.DIRECTOR,
    "总监": User.Role.DIRECTOR,
    "销售总监": User.Role.DIRECTOR,
    "区域总监": User.Role.DIRECTOR,
    "admin": User.Role.ADMIN,
    "administrator": User.Role.ADMIN,
    "管理员": User.Role.ADMIN,
    "系统管理员": User.Role.ADMIN,
}
USER, UNIT = "core.user", "core.orgunit"


def _roles() -> dict[str, str]:
    table: dict[str, str] = {header_key(k): v for k, v in ROLE_WORDS.items()}
    table.update({header_key(k): v for k, v in _labels(User.Role.choices).items()})
    return table


def derive_code(name: str, kind: str, taken: set[str]) -> str:
    """A unit's code from its name: ASCII letters and digits joined by "-", made unique against
    `taken` (which it joins); `kind-N` when the name has no ASCII letters."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:40] or kind
    number = 1
    code = base if base != kind else f"{kind}-1"
    while code in taken:
        number += 1
        code = f"{base}-{number}"
    taken.add(code)
    return code


def derive_username(name: str, taken: set[str]) -> str:
    """A login from a person's name: lower case, words joined by "." (`anna.snelling`; Chinese names
    stay as written), unique against `taken` (which it joins)."""
    words = re.findall(r"[\w@+-]+", unicodedata.normalize("NFKC", name).lower())
    base = ".".join(words)[:140] or "user"
    login, number = base, 1
    while login in taken:
        number += 1
        login = f"{base}{number}"
    taken.add(login)
    return login


class OrgImport(Kind):
    entity = USER

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if not is_admin(self.user):
            raise PermissionDenied(_("Only admins import the organisation."))
        self.role_table = _roles()
        self.units: dict[tuple[str, str], OrgUnit | None] = {}  # (kind, name key) → unit
        self.codes = set(OrgUnit.objects.values_list("code", flat=True))
        self.logins = set(User.objects.values_list("username", flat=True))
        self.people: dict[str, User] = {}  # name key / login / e-mail → person found or made here
        self.file_people: dict[str, tuple[int, tuple[Any, ...]]] = {}  # person key → (row, placement)
        self.made_units = False

    # --- reading -------------------------------------------------------------------------------

    def read(self, row: Row) -> None:
        role_raw = row.raw.pop("role", None)
        super().read(row)
        if role_raw is not None and as_text(role_raw):
            key = header_key(as_text(role_raw))
            mapped = self.lookups.maps.get("role", {}).get(key)
            role = self.role_table.get(header_key(mapped) if mapped is not None else key)
            if role is None:
                row.problem(
                    "role",
                    _("“%(value)s” is not a role: write rep, inside, manager, director or admin.")
                    % {"value": as_text(role_raw)},
                    role_raw,
                )
            row.values["role"] = role or User.Role.REP
        else:
            row.values["role"] = User.Role.REP
        v = row.values
        if not v.get("team") and not v.get("region") and not v.get("manager"):
            row.problem("team", _("Give the person's team or region."))
        if v.get("username") and not re.fullmatch(r"[\w.@+-]+", v["username"]):
            row.problem("username", _("A login may hold letters, digits and . @ + - _ only."))

    # --- matching ------------------------------------------------------------------------------

    def _unit(self, kind: str, name: str) -> OrgUnit | None:
        """The unit of `kind` called `name` (code, Chinese or English name), or None."""
        key = (kind, header_key(name))
        if key not in self.units:
            self.units[key] = (
                OrgUnit.objects.filter(kind=kind)
                .filter(Q(code__iexact=name) | Q(name_zh=name) | Q(name_en=name))
                .order_by("pk")
                .first()
            )
        return self.units[key]

    def _person(self, *, login: str = "", email: str = "", name: str = "") -> User | None | object:
        """The person with this login, else e-mail, else display name (or full name); AMBIGUOUS when
        several people share the name."""
        for key in (login, email.lower(), header_key(name)):
            if key and key in self.people:
                return self.people[key]
        qs = User.objects.all()
        if login:
            return qs.filter(username=login).first()
        if email:
            found = qs.filter(email__iexact=email).first()
            if found is not None:
                return found
        if name:
            named = list(qs.filter(Q(display_name=name) | Q(username=name))[:2])
            if not named:
                first, _sep, last = name.partition(" ")
                named = list(qs.filter(first_name=first, last_name=last)[:2]) if last else []
            if len(named) > 1:
                return AMBIGUOUS_PERSON
            return named[0] if named else None
        return None

    def _team_name(self, row: Row) -> str:
        return row.values.get("team") or ""

    def match(self, rows: list[Row]) -> None:
        for row in rows:
            if row.problems:
                continue
            v = row.values
            region = v.get("region") or ""
            team = self._team_name(row)
            if team and not region:
                found = self._unit(OrgUnit.Kind.TEAM, team)
                if found is None:
                    row.problem("region", _("A new team needs its region."), team)
                    continue
            person_key = v.get("username") or (v.get("email") or "").lower() or header_key(v["name"])
            placement = (header_key(team), header_key(region), v["role"], header_key(v.get("manager")))
            again = self.file_people.get(person_key)
            if again is not None:
                if again[1] != placement:
                    row.problem(
                        "name",
                        _("The same person as row %(row)s, placed differently.") % {"row": again[0]},
                        v["name"],
                    )
                else:
                    row.action = "skip"
                continue
            self.file_people[person_key] = (row.number, placement)
            existing = self._person(login=v.get("username", ""), email=v.get("email", ""), name=v["name"])
            if existing is AMBIGUOUS_PERSON:
                row.problem("name", _("Several people have this name: give the login or the e-mail."))
                continue
            row.target = existing
            row.action = "create" if existing is None else "skip"
            if existing is None and v.get("email"):
                if User.objects.filter(email__iexact=v["email"]).exists():
                    row.problem("email", _("Another person has this e-mail."))

    # --- writing -------------------------------------------------------------------------------

    def _record(
        self, obj: Any, entity: str, action: str = ImportedRecord.Action.CREATED, **before: Any
    ) -> None:
        self.records.append(
            ImportedRecord(
                job=self.job, entity=entity, object_id=obj.pk, action=action, before=before, version=1
            )
        )

    def _company(self) -> OrgUnit:
        company = OrgUnit.objects.filter(kind=OrgUnit.Kind.COMPANY).order_by("pk").first()
        if company is None:
            company = OrgUnit.objects.create(
                kind=OrgUnit.Kind.COMPANY,
                code=derive_code("company", "company", self.codes),
                name_zh="公司",
                name_en="Company",
            )
            self._record(company, UNIT)
            self.counts["units_created"] += 1
        return company

    def _make_unit(self, kind: str, name: str, parent: OrgUnit, *, zh: str = "", en: str = "") -> OrgUnit:
        unit = self._unit(kind, name)
        if unit is not None:
            return unit
        unit = OrgUnit.objects.create(
            kind=kind,
            code=derive_code(en or name, kind, self.codes),
            name_zh=(zh or name)[:200],
            name_en=(en or name)[:200],
            parent=parent,
            path=f"{parent.path}",
        )
        for key in (name, zh, en):
            if key:
                self.units[(kind, header_key(key))] = unit
        self._record(unit, UNIT)
        self.counts["units_created"] += 1
        self.made_units = True
        return unit

    def _place(self, row: Row) -> OrgUnit:
        """The unit a row's person sits in, created (with its region) when missing."""
        v = row.values
        region = None
        if v.get("region"):
            region = self._unit(OrgUnit.Kind.REGION, v["region"]) or self._make_unit(
                OrgUnit.Kind.REGION, v["region"], self._company()
            )
        team_name = self._team_name(row)
        if team_name:
            team = self._unit(OrgUnit.Kind.TEAM, team_name)
            if team is None:
                assert region is not None  # checked in match()
                team = self._make_unit(OrgUnit.Kind.TEAM, team_name, region)
            return team
        if v.get("manager") and region is not None:
            manager = v["manager"]
            zh, en = f"{manager} 团队", f"{manager}'s team"
            return self._unit(OrgUnit.Kind.TEAM, zh) or self._make_unit(
                OrgUnit.Kind.TEAM, zh, region, zh=zh, en=en
            )
        return region or self._company()

    def _new_person(self, name: str, role: str, unit: OrgUnit, *, login: str = "", email: str = "") -> User:
        login = login or derive_username(name, self.logins)
        self.logins.add(login)
        person = User(
            username=login,
            display_name=name[:100],
            email=email,
            role=role,
            org_unit=unit,
            is_staff=role == User.Role.ADMIN,
        )
        person.set_unusable_password()  # never a known password: an admin sets one, or a reset by e-mail
        person.save()
        for key in (login, email.lower(), header_key(name)):
            if key:
                self.people[key] = person
        self._record(person, USER)
        self.counts["created"] += 1
        return person

    def write(self, rows: list[Row]) -> None:
        for row in rows:
            if row.action == "skip" and row.target is None:
                self.counts["repeated"] += 1
                continue
            v = row.values
            unit = self._place(row)
            person = row.target
            if person is None:
                person = self._new_person(
                    v["name"], v["role"], unit, login=v.get("username", ""), email=v.get("email", "")
                )
            else:
                self.counts["existing"] += 1
            if v.get("manager"):
                self._manage(v["manager"], unit, person)
            if self.made_units:
                orgunit_rebuild_paths()
                self.made_units = False

    def _manage(self, name: str, unit: OrgUnit, member: User) -> None:
        manager = self._person(name=name)
        if manager is AMBIGUOUS_PERSON or manager is None:
            manager = self._new_person(name, User.Role.MANAGER, unit)
        assert isinstance(manager, User)
        if manager.pk == member.pk or manager.managed_units.filter(pk=unit.pk).exists():
            return
        if not any(
            r.entity == USER and r.object_id == manager.pk and r.action == "created" for r in self.records
        ):
            before = list(manager.managed_units.values_list("pk", flat=True))
            self._record(manager, USER, ImportedRecord.Action.UPDATED, managed_units=before)
            self.counts["updated"] += 1
        manager.managed_units.add(unit)

    def finish(self) -> None:
        if self.made_units:
            orgunit_rebuild_paths()


AMBIGUOUS_PERSON = object()

# Registered here rather than in the literal tables: this module builds on importer.Kind, so the
# engine cannot import it at load time (kadence.transfer.apps imports it when Django starts).
FIELDS["org"] = ORG_FIELDS
KINDS["org"] = OrgImport
