"""Shop connections: the merchant API and CLI that say which shop's webhooks belong to whom,
with secrets stored sealed and never shown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shoptrace.shop_plugin.cli_connections import connections as connections_cli
from shoptrace.shop_plugin.services.connections import find_connection, normalise_shop
from shoptrace.shop_plugin.services.sealing import unseal
from shoptrace.shop_plugin.store.tables import shop_connections
from tests.shop_plugin.helpers import API, SIGNING_KEY, Api, count_rows, make_app
from tests.shop_plugin.hooks_helpers import connect, jwks

SECRET = "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"


def _problem(response: Any, status: int) -> list[tuple[str, str]]:
    assert response.status_code == status, response.get_json()
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status
    return [(e["field"], e["rule"]) for e in body.get("errors", [])]


def _rows(app: Flask) -> list[Any]:
    with app.extensions["shoptrace"].store.read() as conn:
        return list(conn.execute(sa.select(shop_connections).order_by(shop_connections.c.id)))


def _credentials(app: Flask, platform: str, shop: str) -> Any:
    with app.extensions["shoptrace"].store.read() as conn:
        return find_connection(conn, platform, [shop], signing_key=SIGNING_KEY)


def _delete(api: Api, path: str) -> Any:
    return api.client.delete(API + path, headers=api.headers())


# --- shops ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("platform", "given", "stored"),
    [
        ("shopify", "acme.myshopify.com", "acme.myshopify.com"),
        ("shopify", "https://Acme.MyShopify.com/", "acme.myshopify.com"),
        ("shopify", "ACME.myshopify.com.", "acme.myshopify.com"),
        ("woocommerce", "https://www.Example.com/", "www.example.com"),
        ("woocommerce", "http://example.com/shop/", "example.com/shop"),
        ("woocommerce", "https://example.com:443/", "example.com"),
        ("woocommerce", "http://localhost:8080/wp/", "localhost:8080/wp"),
        ("woocommerce", "https://bücher.example/", "xn--bcher-kva.example"),
        ("saleor", "https://acme.saleor.cloud/graphql/", "acme.saleor.cloud/graphql"),
        ("saleor", "acme.saleor.cloud", "acme.saleor.cloud"),
    ],
)
def test_shops_are_normalised(platform: str, given: str, stored: str) -> None:
    assert normalise_shop(platform, given) == stored


@pytest.mark.parametrize(
    ("platform", "given"),
    [
        ("shopify", "https://acme.myshopify.com/admin"),
        ("shopify", ""),
        ("woocommerce", "ftp://example.com"),
        ("woocommerce", "https://user:pw@example.com/"),
        ("woocommerce", "https://example.com/?a=1"),
        ("woocommerce", "https://example.com/#x"),
        ("woocommerce", "https://exa mple.com/"),
        ("woocommerce", "https://-bad-.com/"),
        ("woocommerce", "https://example.com:99999/"),
        ("woocommerce", "https://[::1/"),
        ("woocommerce", "https://" + "a" * 300 + ".com/"),
        ("saleor", "https://acme.saleor.cloud/graph ql/"),
    ],
)
def test_what_is_not_a_shop(platform: str, given: str) -> None:
    assert normalise_shop(platform, given) is None


# --- create ---------------------------------------------------------------------------------


def test_connecting_a_shop_stores_the_secret_sealed_and_never_shows_it(
    app: Flask, api: Api
) -> None:
    response = api.post(
        "/connections",
        {"platform": "shopify", "shop": "https://Acme.MyShopify.com/", "secret": SECRET},
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert response.headers["Location"].endswith(f"/connections/{body['id']}")
    assert body == {
        "id": body["id"],
        "platform": "shopify",
        "shop": "acme.myshopify.com",
        "status": "active",
        "verification": ["hmac-sha256"],
        "previousSecretUntil": None,
        "webhookUrl": "https://shop.example.com/trace/hooks/shopify",
        "createdAt": body["createdAt"],
        "updatedAt": body["createdAt"],
    }
    assert SECRET not in response.get_data(as_text=True)
    [row] = _rows(app)
    assert SECRET not in row.sealed_secret and row.sealed_secret.startswith("v1.")
    assert row.merchant_id == api.merchant_id
    associated = f"shop-connection\x00{api.merchant_id}\x00shopify\x00acme.myshopify.com"
    assert SECRET in unseal(SIGNING_KEY, row.sealed_secret, associated=associated.encode()).decode()
    found = _credentials(app, "shopify", "acme.myshopify.com")
    assert found.merchant_id == api.merchant_id and found.secrets == (SECRET,)
    assert found.keys == ()
    listed = api.get("/connections").get_json()
    assert SECRET not in str(listed) and listed["connections"] == [body]
    assert api.get(f"/connections/{body['id']}").get_json() == body


def test_idempotent_create_replays_without_the_secret(app: Flask, api: Api) -> None:
    body = {"platform": "woocommerce", "shop": "https://shop.example.org/", "secret": SECRET}
    headers = {"Idempotency-Key": "connect-1"}
    first = api.post("/connections", body, headers=headers)
    again = api.post("/connections", body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert SECRET not in again.get_data(as_text=True)
    assert count_rows(app, shop_connections) == 1


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"platform": "shopify", "shop": "acme.myshopify.com"}, [("secret", "required")]),
        (
            {"platform": "shopify", "shop": "acme.myshopify.com/x", "secret": SECRET},
            [("shop", "shop")],
        ),
        ({"platform": "magento", "shop": "a.example", "secret": SECRET}, [("platform", "enum")]),
        (
            {"platform": "shopify", "shop": "a.myshopify.com", "secret": "short"},
            [("secret", "min-length")],
        ),
        (
            {"platform": "shopify", "shop": "a.myshopify.com", "secret": "x\x00yyyyyyyy"},
            [("secret", "characters")],
        ),
        ({"platform": "shopify", "secret": SECRET}, [("shop", "required")]),
        ({"platform": "shopify", "shop": 5, "secret": SECRET}, [("shop", "type")]),
        (
            {"platform": "shopify", "shop": "a.myshopify.com", "secret": SECRET, "key": 1},
            [("key", "unknown-field")],
        ),
        (
            {"platform": "shopify", "shop": "a.myshopify.com", "secret": SECRET, "publicKey": {}},
            [("publicKey.kty", "enum"), ("publicKey.n", "jwk"), ("publicKey.e", "jwk")],
        ),
        (
            {"platform": "woocommerce", "shop": "a.example", "secret": SECRET, "publicKey": jwks()},
            [("publicKey", "platform")],
        ),
        ({"platform": "saleor", "shop": "a.saleor.cloud/graphql"}, [("secret", "required")]),
        (
            {"platform": "saleor", "shop": "a.saleor.cloud", "publicKey": {"keys": []}},
            [("publicKey.keys", "type")],
        ),
        (
            {
                "platform": "saleor",
                "shop": "a.saleor.cloud",
                "publicKey": {"kty": "RSA", "n": "AQAB", "e": "AQAB"},
            },
            [("publicKey.n", "key-size")],
        ),
        (
            {
                "platform": "saleor",
                "shop": "a.saleor.cloud",
                "publicKey": {**jwks()["keys"][0], "alg": "HS256", "e": "AAE="},
            },
            [("publicKey.alg", "enum"), ("publicKey.e", "jwk")],
        ),
        ([], [("(body)", "type")]),
    ],
)
def test_bad_connections_are_refused_naming_field_and_rule(
    app: Flask, api: Api, body: Any, errors: list[tuple[str, str]]
) -> None:
    assert _problem(api.post("/connections", body), 422) == errors
    assert count_rows(app, shop_connections) == 0


def test_a_shop_belongs_to_one_merchant(app: Flask, api: Api, other_api: Api) -> None:
    mine = connect(api, "shopify", "acme.myshopify.com", secret=SECRET)
    again = api.post(
        "/connections", {"platform": "shopify", "shop": "ACME.myshopify.com", "secret": SECRET}
    )
    assert _problem(again, 409) == [("shop", "unique")]
    assert f"connection {mine['id']}" in again.get_json()["errors"][0]["detail"]
    theirs = other_api.post(
        "/connections",
        {"platform": "shopify", "shop": "https://acme.myshopify.com", "secret": "their-secret"},
    )
    assert _problem(theirs, 409) == [("shop", "unique")]
    assert "another merchant" in theirs.get_json()["errors"][0]["detail"]
    assert f"connection {mine['id']}" not in theirs.get_data(as_text=True)
    # the same shop name on another platform is another shop
    connect(other_api, "woocommerce", "acme.myshopify.com", secret="their-secret")
    assert count_rows(app, shop_connections) == 2


def test_saleor_with_public_keys_only(app: Flask, api: Api) -> None:
    body = connect(api, "saleor", "https://acme.saleor.cloud/graphql/", publicKey=jwks())
    assert body["verification"] == ["jws-rs256"]
    assert body["shop"] == "acme.saleor.cloud/graphql"
    found = _credentials(app, "saleor", "acme.saleor.cloud/graphql")
    assert found.secrets == () and [k.kid for k in found.keys] == ["saleor-test-key"]
    both = connect(api, "saleor", "b.saleor.cloud", secret=SECRET, publicKey=jwks()["keys"][0])
    assert both["verification"] == ["hmac-sha256", "jws-rs256"]


# --- list, get --------------------------------------------------------------------------------


def test_list_pages_and_filters(api: Api, other_api: Api) -> None:
    made = [
        connect(api, "woocommerce", f"https://shop{i}.example/", secret=SECRET) for i in range(3)
    ]
    made.append(connect(api, "shopify", "acme.myshopify.com", secret=SECRET))
    connect(other_api, "shopify", "rival.myshopify.com", secret=SECRET)
    first = api.get("/connections?pageSize=2")
    assert [c["id"] for c in first.get_json()["connections"]] == [m["id"] for m in made[:2]]
    assert 'rel="next"' in first.headers["Link"]
    rest = api.get(f"/connections?pageSize=2&pageToken={first.get_json()['nextPageToken']}")
    assert [c["id"] for c in rest.get_json()["connections"]] == [m["id"] for m in made[2:]]
    assert rest.get_json()["nextPageToken"] is None
    shopify = api.get("/connections?platform=shopify").get_json()["connections"]
    assert [c["shop"] for c in shopify] == ["acme.myshopify.com"]
    assert _problem(api.get("/connections?platform=magento"), 400) == [("platform", "enum")]
    assert _problem(api.get("/connections/999"), 404) == [("connection_id", "not-found")]
    assert _problem(other_api.get(f"/connections/{made[0]['id']}"), 404)


# --- rotate ---------------------------------------------------------------------------------


def test_rotating_the_secret(app: Flask, api: Api) -> None:
    made = connect(api, "shopify", "acme.myshopify.com", secret=SECRET)
    before = _rows(app)[0].sealed_secret
    rotated = api.patch(f"/connections/{made['id']}", {"secret": "new-secret-0001"})
    assert rotated.status_code == 200, rotated.get_json()
    assert rotated.get_json()["previousSecretUntil"] is None
    assert "new-secret-0001" not in rotated.get_data(as_text=True)
    assert _rows(app)[0].sealed_secret != before
    assert _credentials(app, "shopify", "acme.myshopify.com").secrets == ("new-secret-0001",)
    graced = api.patch(
        f"/connections/{made['id']}", {"secret": "new-secret-0002", "graceSeconds": 3600}
    )
    assert graced.get_json()["previousSecretUntil"] is not None
    assert _credentials(app, "shopify", "acme.myshopify.com").secrets == (
        "new-secret-0002",
        "new-secret-0001",
    )
    again = api.patch(f"/connections/{made['id']}", {"secret": "new-secret-0003"})
    assert again.get_json()["previousSecretUntil"] is None
    assert _credentials(app, "shopify", "acme.myshopify.com").secrets == ("new-secret-0003",)


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"graceSeconds": 60}, [("graceSeconds", "requires")]),
        ({"secret": "new-secret-1", "graceSeconds": -1}, [("graceSeconds", "minimum")]),
        ({"secret": "new-secret-1", "graceSeconds": 10**9}, [("graceSeconds", "maximum")]),
        ({"shop": "other.myshopify.com"}, [("shop", "unknown-field")]),
        ({"platform": "saleor"}, [("platform", "unknown-field")]),
        ({"publicKey": jwks()}, [("publicKey", "platform")]),
        ({"secret": None}, [("secret", "type")]),
    ],
)
def test_bad_updates_change_nothing(
    app: Flask, api: Api, body: Any, errors: list[tuple[str, str]]
) -> None:
    made = connect(api, "shopify", "acme.myshopify.com", secret=SECRET)
    before = _rows(app)
    assert _problem(api.patch(f"/connections/{made['id']}", body), 422) == errors
    assert _rows(app) == before


def test_saleor_keys_can_be_replaced_but_not_all_credentials_removed(app: Flask, api: Api) -> None:
    made = connect(api, "saleor", "acme.saleor.cloud/graphql", publicKey=jwks())
    removed = api.patch(f"/connections/{made['id']}", {"publicKey": None})
    assert _problem(removed, 422) == [("secret", "required")]
    changed = api.patch(f"/connections/{made['id']}", {"publicKey": jwks(seed=11, kid="k2")})
    assert changed.status_code == 200
    found = _credentials(app, "saleor", "acme.saleor.cloud/graphql")
    assert [k.kid for k in found.keys] == ["k2"]
    to_hmac = api.patch(f"/connections/{made['id']}", {"publicKey": None, "secret": SECRET})
    assert to_hmac.get_json()["verification"] == ["hmac-sha256"]


# --- delete ---------------------------------------------------------------------------------


def test_deleting_a_connection(app: Flask, api: Api, other_api: Api) -> None:
    made = connect(api, "shopify", "acme.myshopify.com", secret=SECRET)
    assert _problem(_delete(other_api, f"/connections/{made['id']}"), 404)
    gone = _delete(api, f"/connections/{made['id']}")
    assert gone.status_code == 200
    assert gone.get_json() == {
        "id": made["id"],
        "platform": "shopify",
        "shop": "acme.myshopify.com",
        "deleted": True,
    }
    assert _problem(api.get(f"/connections/{made['id']}"), 404)
    assert _problem(_delete(api, f"/connections/{made['id']}"), 404)
    assert _credentials(app, "shopify", "acme.myshopify.com") is None
    # the shop can be connected again, by anyone
    connect(other_api, "shopify", "acme.myshopify.com", secret=SECRET)


# --- sealing in place ---------------------------------------------------------------------


def test_a_sealed_secret_moved_to_another_row_does_not_open(app: Flask, api: Api) -> None:
    connect(api, "shopify", "acme.myshopify.com", secret=SECRET)
    connect(api, "shopify", "other.myshopify.com", secret="another-secret")
    store = app.extensions["shoptrace"].store
    with store.begin() as conn:
        sealed = conn.execute(
            sa.select(shop_connections.c.sealed_secret).where(
                shop_connections.c.shop == "acme.myshopify.com"
            )
        ).scalar_one()
        conn.execute(
            shop_connections.update()
            .where(shop_connections.c.shop == "other.myshopify.com")
            .values(sealed_secret=sealed)
        )
    assert _credentials(app, "shopify", "other.myshopify.com") is None
    assert _credentials(app, "shopify", "acme.myshopify.com").secrets == (SECRET,)
    statuses = {c["shop"]: c["status"] for c in api.get("/connections").get_json()["connections"]}
    assert statuses == {"acme.myshopify.com": "active", "other.myshopify.com": "unreadable"}


def test_another_signing_key_shows_connections_unreadable(
    app: Flask, api: Api, db_url: str, tmp_path: Path
) -> None:
    made = connect(api, "shopify", "acme.myshopify.com", secret=SECRET)
    other = make_app(
        db_url, tmp_path / "other", SHOPTRACE_SIGNING_KEY="a-different-signing-key-0123456789-xyz"
    )
    try:
        client = other.test_client()
        shown = client.get(f"{API}/connections/{made['id']}", headers=api.headers()).get_json()
        assert shown["status"] == "unreadable" and shown["verification"] == []
        with other.extensions["shoptrace"].store.read() as conn:
            assert (
                find_connection(
                    conn,
                    "shopify",
                    ["acme.myshopify.com"],
                    signing_key="a-different-key-0123456789",
                )
                is None
            )
        fixed = client.patch(
            f"{API}/connections/{made['id']}", json={"secret": SECRET}, headers=api.headers()
        )
        assert fixed.get_json()["status"] == "active"
    finally:
        other.extensions["shoptrace"].store.dispose()


def test_a_disabled_merchant_receives_no_webhooks(app: Flask, api: Api) -> None:
    from shoptrace.shop_plugin.store.tables import merchants

    connect(api, "shopify", "acme.myshopify.com", secret=SECRET)
    with app.extensions["shoptrace"].store.begin() as conn:
        conn.execute(
            merchants.update().where(merchants.c.id == api.merchant_id).values(status="disabled")
        )
    assert _credentials(app, "shopify", "acme.myshopify.com") is None


# --- CLI ------------------------------------------------------------------------------------


def _cli(db_url: str, *args: str, stdin: str | None = None) -> Any:
    return CliRunner().invoke(
        connections_cli,
        [*args, "--db", db_url],
        input=stdin,
        env={"SHOPTRACE_SIGNING_KEY": SIGNING_KEY},
    )


def test_cli_add_list_rotate_remove(app: Flask, api: Api, db_url: str, tmp_path: Path) -> None:
    mid = str(api.merchant_id)
    added = _cli(db_url, "add", mid, "shopify", "https://Acme.myshopify.com/", stdin=SECRET + "\n")
    assert added.exit_code == 0, added.output
    assert "created: shopify shop acme.myshopify.com" in added.output
    assert "webhook URL: https://<your host>/trace/hooks/shopify" in added.output
    assert SECRET not in added.output
    found = _credentials(app, "shopify", "acme.myshopify.com")
    assert found.secrets == (SECRET,) and found.merchant_id == api.merchant_id
    piped = _cli(
        db_url, "add", mid, "woocommerce", "shop.example", "--secret-stdin", stdin="wc-secret-123\n"
    )
    assert piped.exit_code == 0, piped.output
    keys = tmp_path / "jwks.json"
    keys.write_text(__import__("json").dumps(jwks()), encoding="utf-8")
    saleor = _cli(
        db_url, "add", mid, "saleor", "a.saleor.cloud", "--no-secret", "--public-key", str(keys)
    )
    assert saleor.exit_code == 0, saleor.output
    listed = _cli(db_url, "list", mid)
    assert listed.exit_code == 0
    lines = listed.output.strip().splitlines()
    assert len(lines) == 3
    assert lines[0].endswith("\tshopify\tactive\thmac-sha256\tacme.myshopify.com")
    assert lines[2].endswith("\tsaleor\tactive\tjws-rs256\ta.saleor.cloud")
    first = lines[0].split("\t")[0]
    rotated = _cli(
        db_url, "rotate", mid, first, "--grace", "60", "--secret-stdin", stdin="rotated-secret-1\n"
    )
    assert rotated.exit_code == 0, rotated.output
    assert "previous one until" in rotated.output
    assert _credentials(app, "shopify", "acme.myshopify.com").secrets == (
        "rotated-secret-1",
        SECRET,
    )
    removed = _cli(db_url, "remove", mid, first)
    assert removed.exit_code == 0 and "removed: shopify shop acme.myshopify.com" in removed.output
    assert len(_cli(db_url, "list", mid).output.strip().splitlines()) == 2


def test_cli_refusals_exit_2(api: Api, db_url: str) -> None:
    mid = str(api.merchant_id)
    short = _cli(db_url, "add", mid, "shopify", "acme.myshopify.com", stdin="short\n")
    assert short.exit_code == 2 and "secret" in short.stderr
    bad_shop = _cli(db_url, "add", mid, "shopify", "acme.myshopify.com/x", stdin=SECRET + "\n")
    assert bad_shop.exit_code == 2 and "shop" in bad_shop.stderr
    nobody = _cli(db_url, "add", "9999", "shopify", "acme.myshopify.com", stdin=SECRET + "\n")
    assert nobody.exit_code == 2 and "merchant 9999" in nobody.stderr
    missing = _cli(db_url, "remove", mid, "77")
    assert missing.exit_code == 2 and "connection 77 does not exist" in missing.stderr


def test_cli_commands_are_registered() -> None:
    import tomllib

    from shoptrace.shop_plugin.cli import shoptrace_group

    assert "connections" in shoptrace_group.commands
    project = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text("utf-8"))
    commands = project["project"]["entry-points"]["shoptrace.commands"]
    assert commands["connections"] == "shoptrace.shop_plugin.cli_connections:connections"


# --- schemas and fuzz -----------------------------------------------------------------------


def test_answers_fit_the_openapi_schemas(api: Api) -> None:
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    doc = api.get("/openapi.json").get_json()
    registry = Registry().with_resource("urn:doc", Resource(doc, DRAFT202012))

    def check(name: str, instance: Any) -> None:
        schema = {"$ref": f"urn:doc#/components/schemas/{name}"}
        Draft202012Validator(schema, registry=registry).validate(instance)

    body = {"platform": "saleor", "shop": "a.saleor.cloud", "secret": SECRET, "publicKey": jwks()}
    check("ConnectionInput", body)
    made = connect(api, **body)
    check("Connection", made)
    rotated = api.patch(f"/connections/{made['id']}", {"secret": "n" * 9, "graceSeconds": 5})
    check("Connection", rotated.get_json())
    check("ConnectionList", api.get("/connections").get_json())
    check("ConnectionDeleted", _delete(api, f"/connections/{made['id']}").get_json())
    check("Problem", api.post("/connections", {}).get_json())
    with pytest.raises(Exception, match="colour"):
        check("ConnectionInput", {**body, "colour": "red"})


_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.text(max_size=20)
    | st.sampled_from(["shopify", "saleor", "woocommerce", "RSA", "RS256", "AQAB", "a.example"]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["keys", "kty", "n", "e", "kid", "alg", "use"]), inner)
    ),
    max_leaves=10,
)
_bodies = _values | st.dictionaries(
    st.sampled_from(["platform", "shop", "secret", "publicKey", "graceSeconds", "x"]),
    _values | st.just(jwks()) | st.just(jwks()["keys"][0]),
    max_size=5,
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=_bodies)
def test_any_body_is_answered_without_500(api: Api, body: Any) -> None:
    listed = api.get("/connections?platform=saleor").get_json()["connections"]
    target = (
        listed[0]["id"]
        if listed
        else connect(api, "saleor", "fuzz.saleor.cloud", secret=SECRET)["id"]
    )
    for method, path in (("POST", "/connections"), ("PATCH", f"/connections/{target}")):
        response = api.client.open(API + path, method=method, json=body, headers=api.headers())
        assert response.status_code < 500, response.get_data(as_text=True)
        if response.status_code >= 400:
            assert response.mimetype == "application/problem+json"
        else:
            assert SECRET not in response.get_data(as_text=True)
