"""Outbound webhook endpoints and their deliveries, shop connections, upstream sync status.

An endpoint's signing secret is shown once, on the page that answers its creation (or a new
secret); it is derived from the signing key and never stored, listed or shown again.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from shoptrace.shop_plugin.admin import queries
from shoptrace.shop_plugin.admin.forms import FormErrors, errors_of, webhook_body
from shoptrace.shop_plugin.admin.support import (
    base_url,
    choice_arg,
    go,
    lang,
    merchant_id,
    other_link,
    page_after,
    reading,
    render,
    state,
    writing,
)
from shoptrace.shop_plugin.services import connections, upstream, webhooks
from shoptrace.shop_plugin.services.errors import Conflict, InvalidInput
from shoptrace.shop_plugin.services.outbox import WEBHOOK_TOPICS

__all__ = ["register"]

PAGE = 50
HOOKS_PATH = "/hooks"


def _webhooks_page(
    *, data: dict[str, object] | None = None, errors: FormErrors | None = None, status: int = 200
) -> Response:
    owner = merchant_id()
    with reading() as conn:
        page = webhooks.list_endpoints(conn, owner, limit=webhooks.MAX_ENDPOINTS)
        counts = queries.delivery_counts(conn, owner)
    return render(
        "webhooks.html",
        status=status,
        switch=other_link(".webhooks") if request.method == "POST" else None,
        endpoints=page.items,
        counts=counts,
        topics=WEBHOOK_TOPICS,
        data=data or {"topics": list(WEBHOOK_TOPICS)},
        errors=errors or FormErrors(lang=lang()),
    )


def _secret_page(endpoint: dict[str, object], secret: str, *, status: int) -> Response:
    return render(
        "webhook_secret.html",
        status=status,
        switch=other_link(".webhook", webhook_id=endpoint["id"]),
        endpoint=endpoint,
        secret=secret,
    )


def webhook_list() -> Response:
    if request.method == "GET":
        return _webhooks_page()
    owner = merchant_id()
    st = state()
    body = webhook_body(request.form)
    try:
        with writing() as conn:
            endpoint = webhooks.create_endpoint(
                conn, owner, body, allow_local=st.settings.webhook_local_urls
            )
            secret = webhooks.endpoint_secret_of(conn, owner, endpoint["id"], st.signing_key)
    except (InvalidInput, Conflict) as exc:
        return _webhooks_page(data=body, errors=errors_of(exc, lang()), status=exc.status)
    return _secret_page(endpoint, secret, status=201)


def webhook(webhook_id: int) -> Response:
    owner = merchant_id()
    status = choice_arg("status", webhooks.STATUSES)
    with reading() as conn:
        endpoint = webhooks.get_endpoint(conn, owner, webhook_id)
        page = webhooks.list_deliveries(
            conn, owner, webhook_id, after=page_after(), limit=PAGE, status=status
        )
    return render(
        "webhook.html",
        endpoint=endpoint,
        deliveries=page.items,
        chosen=status,
        statuses=webhooks.STATUSES,
        next_token=page.next_token,
    )


def webhook_action(webhook_id: int, action: str) -> Response:
    owner = merchant_id()
    st = state()
    with writing() as conn:
        if action == "test":
            webhooks.send_test(conn, owner, webhook_id)
        elif action in ("enable", "disable"):
            webhooks.update_endpoint(
                conn,
                owner,
                webhook_id,
                {"enabled": action == "enable"},
                allow_local=st.settings.webhook_local_urls,
            )
        elif action == "rotate":
            endpoint = webhooks.rotate_secret(conn, owner, webhook_id)
            secret = webhooks.endpoint_secret_of(conn, owner, webhook_id, st.signing_key)
        else:
            webhooks.delete_endpoint(conn, owner, webhook_id)
    if action == "rotate":
        return _secret_page(endpoint, secret, status=200)
    if action == "delete":
        return go(".webhooks", notice="deleted")
    return go(".webhook", webhook_id=webhook_id, notice="queued" if action == "test" else "saved")


def redeliver(webhook_id: int, delivery_id: int) -> Response:
    with writing() as conn:
        webhooks.redeliver(conn, merchant_id(), webhook_id, delivery_id)
    return go(".webhook", webhook_id=webhook_id, notice="queued")


def connection_list() -> Response:
    with reading() as conn:
        page = connections.list_connections(
            conn, merchant_id(), signing_key=state().signing_key, after=page_after(), limit=PAGE
        )
    base = base_url()
    listed = [{**c, "webhookUrl": f"{base}{HOOKS_PATH}/{c['platform']}"} for c in page.items]
    return render("connections.html", connections=listed, next_token=page.next_token)


def upstream_list() -> Response:
    with reading() as conn:
        page = upstream.list_endpoints(
            conn, merchant_id(), state().signing_key, after=page_after(), limit=PAGE
        )
    return render("upstreams.html", upstreams=page.items, next_token=page.next_token)


def resume_upstream(upstream_id: int) -> Response:
    with writing() as conn:
        upstream.resume_endpoint(conn, merchant_id(), upstream_id, state().signing_key)
    return go(".upstreams", notice="resumed")


def register(bp: Blueprint) -> None:
    """Add the webhook, connection and upstream pages."""
    one = "/webhooks/<shoptrace_id:webhook_id>"
    bp.add_url_rule("/webhooks", "webhooks", webhook_list, methods=["GET", "POST"])
    bp.add_url_rule(one, "webhook", webhook, methods=["GET"])
    bp.add_url_rule(
        one + '/<any("test", "enable", "disable", "rotate", "delete"):action>',
        "webhook_action",
        webhook_action,
        methods=["POST"],
    )
    bp.add_url_rule(
        one + "/deliveries/<shoptrace_id:delivery_id>/redeliver",
        "redeliver",
        redeliver,
        methods=["POST"],
    )
    bp.add_url_rule("/connections", "connections", connection_list, methods=["GET"])
    bp.add_url_rule("/upstreams", "upstreams", upstream_list, methods=["GET"])
    bp.add_url_rule(
        "/upstreams/<shoptrace_id:upstream_id>/resume",
        "resume_upstream",
        resume_upstream,
        methods=["POST"],
    )
