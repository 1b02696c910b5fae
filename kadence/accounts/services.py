"""Account and contact use cases (writes), shared by API, pages and CLI."""

from __future__ import annotations

from typing import Any, TypedDict, Unpack

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kadence.accounts.duplicates import clean_credit_code, credit_code_matches
from kadence.accounts.models import Account, Contact, Industry
from kadence.accounts.tree import ancestor_ids
from kadence.core.audit import audit_changes
from kadence.core.concurrency import versioned_update
from kadence.core.errors import Conflict, PermissionDenied, ValidationFailed
from kadence.core.models import OrgUnit, User
from kadence.core.validation import MoneyInput, clean_currency, clean_money, clean_text
from kadence.core.visibility import (
    access_account,
    access_contact,
    can_write_contacts_of,
    in_scope,
    visible_accounts,
    visible_users,
)


class AccountFields(TypedDict, total=False):
    """What account_create sets and account_update changes; a field not given stays as it is."""

    name: str
    industry_id: int
    region_id: int
    address: str
    size: str
    status: str
    buying_power: MoneyInput | None  # None or "" is 0
    currency: str
    notes: str
    credit_code: str  # 统一社会信用代码; an existing one is a duplicate (account_create)
    parent_id: int | None  # the group this account belongs to (None: a top account)


class ContactFields(TypedDict, total=False):
    """What contact_create sets and contact_update changes; a field not given stays as it is."""

    name: str
    title: str
    phone: str
    email: str
    ambitions: str
    character: str
    preferences: str
    strengths: str
    buying_roles: list[str] | tuple[str, ...] | None
    attitude: str
    influence: str
    notes: str


# Callers may also pass a dict (`**form.service_kwargs()`): a key outside these is refused.
ACCOUNT_FIELDS = tuple(AccountFields.__annotations__)
ACCOUNT_AUDITED = (
    "name",
    "industry_id",
    "region_id",
    "status",
    "buying_power",
    "owner_id",
    "parent_id",
    "credit_code",
)
CONTACT_FIELDS = tuple(ContactFields.__annotations__)


def _label(model, field: str) -> str:
    """The field's translated verbose name, for messages ("industry_id" → "行业" / "industry")."""
    name = field[:-3] if field.endswith("_id") else field
    try:
        return str(model._meta.get_field(name).verbose_name)
    except Exception:  # a pseudo-field of the service, not a model field
        return name


def required_error(model, field: str) -> ValidationFailed:
    label = _label(model, field)
    return ValidationFailed(
        _("%(field)s is required.") % {"field": label[:1].upper() + label[1:]},
        {field: [_("This field is required.")]},
    )


def _required(value: Any, field: str, model=Account, max_length: int = 200) -> str:
    text = clean_text(value, field, max_length, label=_label(model, field)).strip()
    if not text:
        raise required_error(model, field)
    return text


def _clean_account(values: AccountFields) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for field, value in values.items():
        if field not in ACCOUNT_FIELDS:
            raise ValidationFailed(
                _("Field %(field)s cannot be set here.") % {"field": field}, {field: [_("Not editable.")]}
            )
        clean[field] = value
    if "name" in clean:
        clean["name"] = _required(clean["name"], "name")
    if "industry_id" in clean and not Industry.objects.filter(pk=clean["industry_id"]).exists():
        raise ValidationFailed(_("Unknown industry."), {"industry_id": [_("Choose an industry.")]})
    if (
        "region_id" in clean
        and not OrgUnit.objects.filter(pk=clean["region_id"], kind=OrgUnit.Kind.REGION).exists()
    ):
        raise ValidationFailed(_("Unknown region."), {"region_id": [_("Choose a region.")]})
    if "size" in clean and clean["size"] not in Account.Size.values:
        raise ValidationFailed(_("Unknown size."), {"size": [_("Choose a listed size.")]})
    if "status" in clean and clean["status"] not in Account.Status.values:
        raise ValidationFailed(_("Unknown business status."), {"status": [_("Choose a listed status.")]})
    if "buying_power" in clean:
        value = clean["buying_power"]
        clean["buying_power"] = clean_money(0 if value in (None, "") else value, "buying_power")
    if "currency" in clean:
        clean["currency"] = clean_currency(clean["currency"])
    if "credit_code" in clean:
        code = clean_credit_code(clean_text(clean["credit_code"], "credit_code", 40))
        if code and (len(code) != 18 or not code.isalnum()):
            raise ValidationFailed(
                _("A unified social credit code has 18 letters and digits."),
                {"credit_code": [_("Enter the 18-character code, or leave it empty.")]},
            )
        clean["credit_code"] = code
    for key in ("address", "notes"):
        if key in clean:
            clean[key] = clean_text(
                clean[key],
                key,
                300 if key == "address" else 20000,
                label=_label(Account, key),
                multiline=key == "notes",
            )
    return clean


def _owner_for(user: User, owner_id: int | None) -> tuple[User, int]:
    """The owner to give an account to, and their team."""
    if owner_id is None or int(owner_id) == user.pk:
        owner = user
    else:
        chosen = visible_users(user).filter(pk=owner_id).first()
        if chosen is None:
            raise ValidationFailed(_("Unknown owner."), {"owner_id": [_("Choose an active user.")]})
        owner = chosen
        if not in_scope(user, owner.org_unit_id):
            raise PermissionDenied(_("You can only give accounts to people in your own scope."))
    if owner.org_unit_id is None:
        raise ValidationFailed(
            _("The owner belongs to no team; an admin must place them in one first."),
            {"owner_id": [_("Owner has no team.")]},
        )
    return owner, owner.org_unit_id


def _check_parent(user: User, account_id: int | None, parent_id: Any) -> int | None:
    """The parent to give an account: one the user sees, and never the account itself or one below it
    (an account cannot be its own ancestor). ValidationFailed (422) otherwise."""
    if parent_id in (None, "", 0):
        return None
    if isinstance(parent_id, bool) or not str(parent_id).isdigit():
        raise ValidationFailed(_("Unknown parent account."), {"parent_id": [_("Choose an account.")]})
    parent_id = int(parent_id)
    if not visible_accounts(user).filter(pk=parent_id).exists():
        raise ValidationFailed(
            _("Unknown parent account."), {"parent_id": [_("Choose an account you can see.")]}
        )
    if account_id is not None and parent_id != account_id:
        # Lock the account and the new parent's chain (by id, so two moves wait for each other) and read
        # the chain again: two concurrent moves (A under B, B under A) cannot both pass the check.
        chain = {account_id, parent_id, *ancestor_ids(parent_id)}
        list(
            Account.objects.select_for_update().filter(pk__in=sorted(chain)).order_by("pk").values_list("pk")
        )
    if account_id is not None and (parent_id == account_id or account_id in ancestor_ids(parent_id)):
        raise ValidationFailed(
            _("An account cannot belong to itself or to one of its own subsidiaries or branches."),
            {"parent_id": [_("This would make the account its own ancestor.")]},
            code="parent_cycle",
        )
    return parent_id


def duplicate_conflict(code: str) -> Conflict | None:
    """The 409 refusing a new account whose unified social credit code another account has."""
    matches = credit_code_matches(code)
    if not matches:
        return None
    return Conflict(
        _(
            "An account with this unified social credit code already exists: %(names)s. Confirm to create it anyway."
        )
        % {"names": ", ".join(a.name for a in matches)},
        code="duplicate_account",
        duplicates=[{"id": a.pk, "name": a.name, "credit_code": a.credit_code} for a in matches],
    )


@transaction.atomic
def account_create(
    user: User,
    *,
    owner_id: int | None = None,
    confirm_duplicate: bool = False,
    **values: Unpack[AccountFields],
) -> Account:
    """A new account. One with the unified social credit code of an existing account is refused
    (Conflict, code "duplicate_account", 409) unless `confirm_duplicate`; similar names are only a
    warning (kadence.accounts.duplicates.find_duplicates, shown by the pages and the API)."""
    clean = _clean_account(values)
    for field in ("name", "industry_id", "region_id"):
        if field not in clean:
            raise required_error(Account, field)
    if "parent_id" in clean:
        clean["parent_id"] = _check_parent(user, None, clean["parent_id"])
    if (
        clean.get("credit_code")
        and not confirm_duplicate
        and (conflict := duplicate_conflict(clean["credit_code"]))
    ):
        raise conflict
    owner, team_id = _owner_for(user, owner_id)
    now = timezone.now()
    account = Account.objects.create(owner=owner, team_id=team_id, created_at=now, updated_at=now, **clean)
    if account.parent_id:
        audit_changes("accounts.account", account.pk, {"parent_id": (None, account.parent_id)}, user)
    return account


@transaction.atomic
def account_update(
    user: User,
    account_id: int,
    *,
    version: int,
    owner_id: int | None = None,
    reason: str = "",
    **values: Unpack[AccountFields],
) -> Account:
    account = access_account(user, account_id, for_write=True)
    clean = _clean_account(values)
    if "parent_id" in clean:
        clean["parent_id"] = _check_parent(user, account.pk, clean["parent_id"])
    if "name" in clean:
        probe = Account(name=clean["name"])
        probe.set_name_key()
        clean["name_key"], clean["name_prefix"] = probe.name_key, probe.name_prefix
    if owner_id is not None and int(owner_id) != account.owner_id:
        if not in_scope(user, account.team_id):
            raise PermissionDenied(
                _("Only a manager, director or admin responsible for this account can reassign it.")
            )
        owner, team_id = _owner_for(user, owner_id)
        clean["owner_id"] = owner.pk
        clean["team_id"] = team_id
    changes = {f: (getattr(account, f), v) for f, v in clean.items() if f in ACCOUNT_AUDITED}
    versioned_update(account, version, clean)
    audit_changes("accounts.account", account.pk, changes, user, reason)
    return account


CONTACT_LONG_TEXT = frozenset({"ambitions", "character", "preferences", "strengths", "notes"})


def _clean_contact(values: ContactFields) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for field, value in values.items():
        if field not in CONTACT_FIELDS:
            raise ValidationFailed(
                _("Field %(field)s cannot be set here.") % {"field": field}, {field: [_("Not editable.")]}
            )
        clean[field] = value
    if "name" in clean:
        clean["name"] = _required(clean["name"], "name", Contact, 100)
    for key, limit in (
        ("email", 254),
        ("ambitions", 5000),
        ("character", 5000),
        ("preferences", 5000),
        ("strengths", 5000),
        ("notes", 20000),
        ("title", 100),
        ("phone", 40),
    ):
        if key in clean:
            clean[key] = clean_text(
                clean[key], key, limit, label=_label(Contact, key), multiline=key in CONTACT_LONG_TEXT
            ).strip()
    if clean.get("email"):
        try:
            validate_email(clean["email"])
        except DjangoValidationError:
            raise ValidationFailed(
                _("Enter a valid e-mail address."), {"email": [_("Invalid e-mail.")]}
            ) from None
    if "buying_roles" in clean:
        if not isinstance(clean["buying_roles"], list | tuple | type(None)):
            raise ValidationFailed(
                _("Buying roles must be a list."), {"buying_roles": [_("Choose listed roles.")]}
            )
        roles = list(dict.fromkeys(str(r) for r in clean["buying_roles"] or []))
        bad = [r for r in roles if r not in Contact.BuyingRole.values]
        if bad:
            raise ValidationFailed(
                _("Unknown buying role(s): %(roles)s") % {"roles": ", ".join(map(str, bad))},
                {"buying_roles": [_("Choose listed roles.")]},
            )
        clean["buying_roles"] = roles
    if "attitude" in clean and clean["attitude"] not in Contact.Attitude.values:
        raise ValidationFailed(
            _("Unknown attitude."), {"attitude": [_("Choose support, neutral or oppose.")]}
        )
    if "influence" in clean and clean["influence"] not in Contact.Influence.values:
        raise ValidationFailed(_("Unknown influence."), {"influence": [_("Choose high, medium or low.")]})
    return clean


@transaction.atomic
def contact_create(user: User, *, account_id: int, **values: Unpack[ContactFields]) -> Contact:
    account = access_account(user, account_id)
    if not can_write_contacts_of(user, account):
        raise PermissionDenied(_("You may view this account but not add contacts to it."))
    clean = _clean_contact(values)
    if "name" not in clean:
        raise required_error(Contact, "name")
    now = timezone.now()
    return Contact.objects.create(account=account, created_at=now, updated_at=now, **clean)


@transaction.atomic
def contact_update(user: User, contact_id: int, *, version: int, **values: Unpack[ContactFields]) -> Contact:
    contact = access_contact(user, contact_id, for_write=True)
    clean = _clean_contact(values)
    changes = {
        f: (getattr(contact, f), v)
        for f, v in clean.items()
        if f in ("attitude", "influence", "buying_roles")
    }
    versioned_update(contact, version, clean)
    audit_changes("accounts.contact", contact.pk, changes, user)
    return contact
