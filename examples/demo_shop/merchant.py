"""The merchant's sign-in: who may use shoptrace's merchant admin under ``/trace/admin``.

shoptrace leaves the question to the host shop. The shop keeps its staff accounts
(``merchant_users``, passwords hashed with ``werkzeug.security``) and tells shoptrace two
things (``app.py``)::

    app.config["SHOPTRACE_ADMIN_LOGIN_URL"] = "/merchant/login"  # where to send strangers


    @shoptrace.admin_auth
    def admin_merchant(request):
        return session.get("merchant_id")  # the merchant the signed-in user manages

The demo has one account, made on the first start: ``merchant@example.com`` with a password
generated then and kept in the instance folder (``demo-merchant-password.txt``), so every
start can print it. Delete that file to get a new password on the next start.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    Request,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.security import check_password_hash, generate_password_hash
from werkzeug.wrappers import Response

from examples.demo_shop import i18n, tracing
from examples.demo_shop.db import Shop, merchant_users, now, shop

__all__ = [
    "EMAIL",
    "LOGIN_PATH",
    "PASSWORD_FILE",
    "MerchantLogin",
    "admin_merchant",
    "admin_url",
    "blueprint",
    "prepare_login",
]

blueprint = Blueprint("merchant", __name__)

EMAIL = "merchant@example.com"
LOGIN_PATH = "/merchant/login"
PASSWORD_FILE = "demo-merchant-password.txt"
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # nothing to mistake for another when typed
# A stored hash to check unknown e-mail addresses against, so both answers take as long.
_DUMMY_HASH = generate_password_hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class MerchantLogin:
    """The demo's merchant account, as the start-up printout shows it."""

    email: str
    password: str


def _new_password() -> str:
    """Three groups of four easy-to-type characters: ``k7mx-2hqp-9tcv`` (about 59 bits)."""
    return "-".join("".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(3))


def prepare_login(shop: Shop, instance: Path, merchant_id: int) -> MerchantLogin:
    """Find or make the demo merchant's account (and its password file)."""
    path = instance / PASSWORD_FILE
    password = path.read_text(encoding="utf-8").strip() if path.exists() else ""
    fresh = not password
    if fresh:
        password = _new_password()
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(password + "\n", encoding="utf-8")
        path.chmod(0o600)
    with shop.begin() as conn:
        row = conn.execute(
            sa.select(merchant_users.c.id).where(merchant_users.c.email == EMAIL)
        ).one_or_none()
        if row is None:
            conn.execute(
                merchant_users.insert().values(
                    email=EMAIL,
                    password_hash=generate_password_hash(password),
                    merchant_id=merchant_id,
                    created_at=now(),
                )
            )
        elif fresh:
            conn.execute(
                merchant_users.update()
                .where(merchant_users.c.id == row.id)
                .values(password_hash=generate_password_hash(password), merchant_id=merchant_id)
            )
    return MerchantLogin(EMAIL, password)


@tracing.shoptrace.admin_auth
def admin_merchant(req: Request) -> int | None:
    """shoptrace's admin auth callback: the merchant of the signed-in staff user, or None."""
    value = session.get("merchant_id")
    return value if isinstance(value, int) and session.get("merchant_user") else None


def admin_url(lang: str | None = None) -> str:
    """The merchant admin's dashboard (``/trace/admin/``), in ``lang`` when given."""
    prefix = current_app.config.get("SHOPTRACE_URL_PREFIX") or "/trace"
    return f"{prefix}/admin/" + (f"?lang={lang}" if lang else "")


def _safe_next(target: str | None) -> str:
    """Where to go after signing in: a page of the admin, never another site."""
    home = admin_url(i18n.current_lang())
    if not target:
        return home
    prefix = (current_app.config.get("SHOPTRACE_URL_PREFIX") or "/trace") + "/admin"
    if (target == prefix or target.startswith(prefix + "/")) and "\\" not in target:
        return target
    return home


@blueprint.route(LOGIN_PATH, methods=["GET", "POST"])
def login() -> Any:
    target = request.values.get("next")
    email = ""
    failed = False
    if request.method == "POST":
        email = request.form.get("email", "").strip().lower()[:200]
        password = request.form.get("password", "")[:200]
        with shop().read() as conn:
            row = conn.execute(
                sa.select(merchant_users).where(merchant_users.c.email == email)
            ).one_or_none()
        stored = row.password_hash if row is not None else _DUMMY_HASH
        if check_password_hash(stored, password) and row is not None:
            session["merchant_user"] = row.id
            session["merchant_id"] = row.merchant_id
            session["merchant_email"] = row.email
            return redirect(_safe_next(target))
        failed = True
    signed_in = admin_merchant(request) is not None
    return render_template(
        "demo_shop/merchant_login.html",
        email=email,
        failed=failed,
        next=target if target and _safe_next(target) == target else "",
        signed_in=signed_in,
        merchant_email=session.get("merchant_email"),
        admin_url=admin_url(i18n.current_lang()),
    )


@blueprint.post("/merchant/logout")
def logout() -> Response:
    for key in ("merchant_user", "merchant_id", "merchant_email"):
        session.pop(key, None)
    flash(i18n.t("merchant.signed_out"), "ok")
    return redirect(url_for("merchant.login"))
