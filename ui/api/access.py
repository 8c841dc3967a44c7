"""Who may use the app, what each account sees and what it may change: the admin's accounts and their roles.

The app listens on loopback by default. Any other address needs accounts (``--auth user:password[:role]``,
``--auth-file FILE`` with one ``user:password[:role]`` per line, or ``TUNESCOPE_AUTH`` with such entries
separated by commas) or an explicit ``--no-auth``, which prints a warning. Roles:

- ``admin``: sees and changes every upload, run and sweep (also those made before owners were recorded);
- ``member`` (the default; ``editor`` is its old name and still accepted): uploads data, trains, and sees and
  uses its own work and the runs others shared with the lab; changes (stops, deletes, shares, renames) only
  its own runs;
- ``viewer``: sees and uses the runs shared with the lab; cannot upload, train or change anything.

Without accounts there is one user, who sees and changes everything (as before accounts existed); every
session of an app started with ``--read-only`` may look and predict but not train, stop, resume, retry or
delete. A :class:`Caller` is one request's account with these rules as questions (``may_see``, ...).
:class:`Limits` declares, once, what one account may hold at a time (checked by ``ui.api.quotas``) and the
``app.py`` flags that set it.
"""

from __future__ import annotations

import argparse
import hmac
import ipaddress
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from core.errors import ConfigError

ADMIN, MEMBER, VIEWER = "admin", "member", "viewer"
ALIASES = {"editor": MEMBER}  # old role names still accepted in auth files
ROLES = (ADMIN, MEMBER, VIEWER, *ALIASES)
READ_ONLY_MESSAGE = ("This session is read-only: training, stopping, resuming, retrying and deleting runs are "
                     "turned off. Ask the admin for a member account.")
NO_UPLOAD_MESSAGE = "A viewer account cannot upload files: ask the admin for a member account."


@dataclass(frozen=True)
class Account:
    user: str
    password: str
    role: str = "editor"

    @property
    def kind(self) -> str:
        """The role with old names resolved: admin, member or viewer."""
        return ALIASES.get(self.role, self.role)


@dataclass(frozen=True)
class Caller:
    """Who sent a request: the account's user name (None without a login), whether it may change runs, its
    role (``admin`` without accounts) and whether the app has accounts at all."""

    user: str | None
    may_change: bool
    role: str = ADMIN
    accounts: bool = False

    @property
    def sees_all(self) -> bool:
        """An admin, or the one user of an app without accounts."""
        return self.role == ADMIN

    @property
    def owner(self) -> str | None:
        """The owner recorded on what this caller creates (None without accounts)."""
        return self.user if self.accounts else None

    @property
    def may_upload(self) -> bool:
        return self.role != VIEWER

    def owns(self, owner: str | None) -> bool:
        """True for the caller's own work (everything, for an admin; nothing, for a viewer)."""
        return self.sees_all or (self.role != VIEWER and self.user is not None and owner == self.user)

    def may_see(self, owner: str | None, shared: bool = False) -> bool:
        """A run: its owner and admins see it, and everyone once it is shared with the lab."""
        return self.owns(owner) or bool(shared)

    def may_manage(self, owner: str | None) -> bool:
        """A run or sweep: only its owner (or an admin) stops, resumes, deletes, renames or shares it."""
        return self.may_change and self.owns(owner)


@dataclass
class Access:
    """The app's accounts and read-only rule."""

    accounts: list[Account] = field(default_factory=list)
    read_only: bool = False

    def check_login(self, user: str, password: str) -> bool:
        """Gradio's login check (constant-time password comparison)."""
        found = [a for a in self.accounts if hmac.compare_digest(a.user.encode(), str(user).encode())]
        return bool(found) and hmac.compare_digest(found[0].password.encode(), str(password).encode())

    def account(self, user: str | None) -> Account | None:
        return next((a for a in self.accounts if a.user == user), None) if user is not None else None

    def caller(self, request: Any = None) -> Caller:
        """The caller of ``request``. With accounts, a request without a known account (none outside a request)
        is treated as a viewer; viewers, and every session of a read-only app, may not change runs."""
        user = getattr(request, "username", None) if request is not None else None
        if not self.accounts:
            return Caller(None, not self.read_only)
        account = self.account(user)
        role = account.kind if account else VIEWER
        return Caller(user if account else None, not self.read_only and role != VIEWER, role, True)

    def may_change(self, request: Any = None) -> bool:
        """True when this request's session may start, stop, resume, retry or delete runs."""
        return self.caller(request).may_change


def parse_account(text: str, where: str) -> Account:
    """``user:password[:role]``; a ConfigError naming ``where`` when it is malformed."""
    parts = text.strip().split(":")
    if len(parts) == 2:
        parts.append("editor")
    if len(parts) != 3 or not parts[0] or not parts[1] or parts[2] not in ROLES:
        raise ConfigError(f"{where}: accounts are written user:password or user:password:role, the role being "
                          "admin, member or viewer.")
    return Account(*parts)


def load_accounts(auth: list[str] | None, auth_file: str | None) -> list[Account]:
    """Accounts from ``--auth`` values, ``--auth-file`` and ``$TUNESCOPE_AUTH`` together."""
    accounts = [parse_account(a, "--auth") for a in auth or []]
    if auth_file:
        try:
            lines = Path(auth_file).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ConfigError(f"--auth-file {auth_file} cannot be read ({exc.strerror}).") from None
        accounts += [parse_account(line, f"{auth_file} line {n}") for n, line in enumerate(lines, 1)
                     if line.strip() and not line.lstrip().startswith("#")]
    env = os.environ.get("TUNESCOPE_AUTH", "")
    accounts += [parse_account(a, "TUNESCOPE_AUTH") for a in env.split(",") if a.strip()]
    return accounts


def is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, accounts: list[Account], no_auth: bool) -> str | None:
    """Refuse an open bind without accounts (ConfigError); returns a warning for ``--no-auth``, else None."""
    if is_loopback(host) or accounts:
        return None
    if not no_auth:
        raise ConfigError(f"--host {host} would serve TuneScope to the network without a login: add --auth "
                          "user:password (or --auth-file, or TUNESCOPE_AUTH), or pass --no-auth if that is "
                          "really what you want.")
    return (f"warning: serving on {host} with no login (--no-auth): anyone who can reach this machine can "
            "train, stop and delete runs and read the uploaded data.")


def _limit(default: int | float, flag: str, help: str) -> Any:
    return field(default=default, metadata={"flag": flag, "help": help})


@dataclass(frozen=True)
class Limits:
    """Every limit, declared once: its default, its ``app.py`` flag and what it bounds."""

    runs_per_account: int = _limit(4, "--max-runs-per-account", "runs one account may have waiting or training "
                                                               "at once")
    runs_total: int = _limit(16, "--max-runs", "runs the app takes waiting or training at once, all accounts "
                                               "together")
    devices_per_account: int = _limit(4, "--max-devices-per-account", "devices (GPUs, or CPU slots) one account's "
                                      "runs may ask for at once, counting each device of a data-parallel run "
                                      "(with accounts)")
    heavy_per_account: int = _limit(1, "--max-heavy-per-account", "reports, exports and attributions one account "
                                                                 "may run at once (with accounts)")
    disk_mb_per_account: int = _limit(5000, "--disk-per-account-mb", "MB that one account's uploads and waiting "
                                                                    "downloads may use")
    upload_days: float = _limit(7.0, "--upload-days", "days an upload is kept when no run uses it")
    download_minutes: float = _limit(30.0, "--download-minutes", "minutes a report, export or predicted file "
                                                                "waits to be downloaded before it is deleted")


LIMITS = fields(Limits)


def add_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per declared limit, with its default in the help."""
    for limit in LIMITS:
        parser.add_argument(limit.metadata["flag"], type=type(limit.default), default=limit.default, dest=limit.name, metavar="N",
                            help=f"{limit.metadata['help']} (default {limit.default})")


def from_args(args: argparse.Namespace) -> Limits:
    """The limits the admin gave; a ConfigError for a value that is not above zero."""
    values = {limit.name: getattr(args, limit.name, limit.default) for limit in LIMITS}
    for limit in LIMITS:
        if not values[limit.name] > 0:
            raise ConfigError(f"{limit.metadata['flag']} must be above 0 (got {values[limit.name]}).")
    return Limits(**values)
