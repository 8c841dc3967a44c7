"""Who may use the app and what they may change: the admin's auth settings and read-only sessions.

The app listens on loopback by default. Any other address needs accounts (``--auth user:password``,
``--auth-file FILE`` with one ``user:password[:role]`` per line, or ``TUNESCOPE_AUTH`` with
``user:password`` pairs separated by commas) or an explicit ``--no-auth``, which prints a warning.
Accounts with the role ``viewer``, and every session of an app started with ``--read-only``, may look
and predict but not train, stop, resume, retry or delete.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import ConfigError

ROLES = ("editor", "viewer")
READ_ONLY_MESSAGE = ("This session is read-only: training, stopping, resuming, retrying and deleting runs are "
                     "turned off. Ask the admin for an editor account.")


@dataclass(frozen=True)
class Account:
    user: str
    password: str
    role: str = "editor"


@dataclass(frozen=True)
class Caller:
    """Who sent a request: the account's user name (None without a login) and whether it may change runs."""

    user: str | None
    may_change: bool


@dataclass
class Access:
    """The app's accounts and read-only rule."""

    accounts: list[Account] = field(default_factory=list)
    read_only: bool = False

    def check_login(self, user: str, password: str) -> bool:
        """Gradio's login check (constant-time password comparison)."""
        found = [a for a in self.accounts if hmac.compare_digest(a.user.encode(), str(user).encode())]
        return bool(found) and hmac.compare_digest(found[0].password.encode(), str(password).encode())

    def caller(self, request: Any = None) -> Caller:
        """The caller of ``request``: a viewer account, or any session of a read-only app, may not change runs."""
        user = getattr(request, "username", None) if request is not None else None
        viewer = any(a.user == user and a.role == "viewer" for a in self.accounts)
        return Caller(user, not self.read_only and not viewer)

    def may_change(self, request: Any = None) -> bool:
        """True when this request's session may start, stop, resume, retry or delete runs."""
        return self.caller(request).may_change


def parse_account(text: str, where: str) -> Account:
    """``user:password[:role]``; a ConfigError naming ``where`` when it is malformed."""
    parts = text.strip().split(":")
    if len(parts) == 2:
        parts.append("editor")
    if len(parts) != 3 or not parts[0] or not parts[1] or parts[2] not in ROLES:
        raise ConfigError(f"{where}: accounts are written user:password or user:password:viewer.")
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
