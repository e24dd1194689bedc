"""Products, batches with the data their catalogue class requires, code issuance with its
progress, PDF labels and the CSV of codes; deleting a product or lot nothing refers to."""

from __future__ import annotations

import math
import tempfile
from collections.abc import Iterator
from datetime import datetime
from typing import IO, Any, BinaryIO, cast

import sqlalchemy as sa
from flask import Blueprint, Response, jsonify, request

from shoptrace.sdk import labels
from shoptrace.shop_plugin.admin.forms import (
    BLANK_ROWS,
    FormErrors,
    batch_body,
    errors_of,
    product_body,
)
from shoptrace.shop_plugin.admin.support import (
    after_commit,
    base_url,
    choice_arg,
    go,
    id_value,
    lang,
    link,
    merchant_id,
    other_link,
    page_after,
    reading,
    render,
    state,
    t,
    writing,
)
from shoptrace.shop_plugin.services import (
    batches,
    codes,
    completeness,
    issuance,
    products,
    references,
)
from shoptrace.shop_plugin.services.catalogue import CATEGORIES, REQUIREMENTS
from shoptrace.shop_plugin.services.clock import utcnow
from shoptrace.shop_plugin.services.errors import Conflict, InUse, InvalidInput, NotFound
from shoptrace.shop_plugin.services.schemas import VERIFICATION_LEVELS, VISIBILITY_LEVELS
from shoptrace.shop_plugin.store.tables import units

__all__ = ["register"]

LAYOUTS = tuple(labels.LAYOUTS)
DEFAULT_LAYOUT = "a4-3x8"
PAGE = 50
BATCHES_SHOWN = 100


def _form_context(category: str | None) -> dict[str, Any]:
    """What the product and batch forms need besides the data."""
    return {
        "categories": CATEGORIES,
        "requirements": REQUIREMENTS,
        "required": {r.field for r in REQUIREMENTS.get(category or "", ())},
        "verification_levels": VERIFICATION_LEVELS,
        "visibility_levels": VISIBILITY_LEVELS,
        "blank_rows": BLANK_ROWS,
        "product_visibility": products.PRODUCT_VISIBILITY_FIELDS,
        "batch_visibility": batches.BATCH_VISIBILITY_FIELDS,
    }


# --- products ---------------------------------------------------------------------------------


def product_list() -> Response:
    owner = merchant_id()
    with reading() as conn:
        page = products.list_products(conn, owner, after=page_after(), limit=PAGE)
        scores = {
            item["id"]: completeness.product_completeness(conn, owner, item["id"])["score"]
            for item in page.items
        }
    return render("products.html", products=page.items, scores=scores, next_token=page.next_token)


def _product_form(
    data: dict[str, Any], *, product: dict[str, Any] | None, errors: FormErrors, status: int = 200
) -> Response:
    category = data.get("category") if product is None else product["category"]
    switch = None
    if request.method == "POST":
        switch = (
            other_link(".new_product")
            if product is None
            else other_link(".edit_product", product_id=product["id"])
        )
    return render(
        "product_form.html",
        status=status,
        switch=switch,
        data=data,
        product=product,
        errors=errors,
        **_form_context(category if isinstance(category, str) else None),
    )


def new_product() -> Response:
    if request.method == "GET":
        return _product_form({}, product=None, errors=FormErrors(lang=lang()))
    body = product_body(request.form, create=True)
    try:
        with writing() as conn:
            created = products.create_product(conn, merchant_id(), body)
    except (InvalidInput, Conflict) as exc:
        return _product_form(body, product=None, errors=errors_of(exc, lang()), status=exc.status)
    return go(".product", product_id=created["id"], notice="created")


def _product_page(
    product_id: int, *, refusal: list[str] | None = None, status: int = 200
) -> Response:
    owner = merchant_id()
    with reading() as conn:
        found = products.get_product(conn, owner, product_id)
        score = completeness.product_completeness(conn, owner, product_id)
        page = batches.list_batches(
            conn, owner, product_id=product_id, after=page_after(), limit=BATCHES_SHOWN
        )
        has_lots = bool(batches.list_batches(conn, owner, product_id=product_id, limit=1).items)
    return render(
        "product.html",
        status=status,
        switch=other_link(".product", product_id=product_id) if request.method == "POST" else None,
        product=found,
        completeness=score,
        batches=page.items,
        next_token=page.next_token,
        requirements=REQUIREMENTS.get(found["category"], ()),
        has_lots=has_lots,
        refusal=refusal or [],
    )


def product(product_id: int) -> Response:
    return _product_page(product_id)


def _confirmed() -> bool:
    """Whether the deletion form's confirm box was ticked."""
    return request.form.get("confirm") == "yes"


def _reasons(exc: InUse) -> list[str]:
    """Why a deletion was refused, in the page language: what refers to the row."""
    return [
        t(f"delete.use.{use.what}", count=f"{use.count}+" if use.more else use.count)
        for use in exc.uses
    ]


def delete_product(product_id: int) -> Response:
    if not _confirmed():
        return _product_page(product_id, refusal=[t("delete.confirm_needed")], status=422)
    try:
        with writing() as conn:
            products.delete_product(conn, merchant_id(), product_id)
    except InUse as exc:
        return _product_page(product_id, refusal=_reasons(exc), status=exc.status)
    return go(".products", notice="deleted")


def edit_product(product_id: int) -> Response:
    owner = merchant_id()
    with reading() as conn:
        found = products.get_product(conn, owner, product_id)
    if request.method == "GET":
        return _product_form(found, product=found, errors=FormErrors(lang=lang()))
    body = product_body(request.form, create=False)
    try:
        with writing() as conn:
            products.update_product(conn, owner, product_id, body)
    except (InvalidInput, Conflict) as exc:
        shown = {**found, **body, "gtin": found["gtin"]}
        return _product_form(shown, product=found, errors=errors_of(exc, lang()), status=exc.status)
    return go(".product", product_id=product_id, notice="saved")


# --- batches ----------------------------------------------------------------------------------


def _batch_form(
    data: dict[str, Any],
    *,
    product_data: dict[str, Any],
    batch: dict[str, Any] | None,
    errors: FormErrors,
    status: int = 200,
) -> Response:
    switch = None
    if request.method == "POST":
        switch = (
            other_link(".new_batch", product_id=product_data["id"])
            if batch is None
            else other_link(".edit_batch", batch_id=batch["id"])
        )
    return render(
        "batch_form.html",
        status=status,
        switch=switch,
        data=data,
        product=product_data,
        batch=batch,
        errors=errors,
        **_form_context(product_data["category"]),
    )


def new_batch(product_id: int) -> Response:
    owner = merchant_id()
    with reading() as conn:
        found = products.get_product(conn, owner, product_id)
    if request.method == "GET":
        return _batch_form({}, product_data=found, batch=None, errors=FormErrors(lang=lang()))
    body = batch_body(request.form, product_id, create=True)
    try:
        with writing() as conn:
            created = batches.create_batch(conn, owner, body)
    except (InvalidInput, Conflict) as exc:
        return _batch_form(
            body,
            product_data=found,
            batch=None,
            errors=errors_of(exc, lang()),
            status=exc.status,
        )
    return go(".batch", batch_id=created["id"], notice="created")


def _label_parts(total: int) -> list[tuple[int, int, int]]:
    """``(part, first, last)`` label numbers of each PDF a selection of ``total`` codes needs."""
    size = state().settings.max_pdf_labels
    return [
        (part + 1, part * size + 1, min(total, (part + 1) * size))
        for part in range(math.ceil(total / size))
    ]


def _batch_page(
    batch_id: int,
    *,
    errors: FormErrors | None = None,
    count: str = "",
    refusal: list[str] | None = None,
    status: int = 200,
) -> Response:
    owner = merchant_id()
    with reading() as conn:
        found = batches.get_batch(conn, owner, batch_id)
        row = batches.batch_row(conn, owner, batch_id)
        product_data = products.get_product(conn, owner, found["productId"])
        score = completeness.batch_completeness(conn, owner, batch_id)
        jobs = issuance.list_issuances(conn, owner, batch_id)
        deletable = not references.batch_uses(conn, owner, row)
    return render(
        "batch.html",
        status=status,
        switch=other_link(".batch", batch_id=batch_id) if request.method == "POST" else None,
        batch=found,
        recall_id=row.recall_id,
        product=product_data,
        completeness=score,
        issuances=jobs,
        parts=_label_parts(found["codesIssued"]),
        issuance_parts={job["id"]: _label_parts(job["done"]) for job in jobs},
        layouts=LAYOUTS,
        default_layout=DEFAULT_LAYOUT,
        max_count=state().settings.max_code_count,
        errors=errors or FormErrors(lang=lang()),
        count=count,
        deletable=deletable,
        refusal=refusal or [],
    )


def batch(batch_id: int) -> Response:
    return _batch_page(batch_id)


def delete_batch(batch_id: int) -> Response:
    if not _confirmed():
        return _batch_page(batch_id, refusal=[t("delete.confirm_needed")], status=422)
    owner = merchant_id()
    try:
        with writing() as conn:
            product_id = batches.batch_row(conn, owner, batch_id).product_id
            batches.delete_batch(conn, owner, batch_id)
    except InUse as exc:
        return _batch_page(batch_id, refusal=_reasons(exc), status=exc.status)
    return go(".product", product_id=product_id, notice="deleted")


def edit_batch(batch_id: int) -> Response:
    owner = merchant_id()
    with reading() as conn:
        found = batches.get_batch(conn, owner, batch_id)
        product_data = products.get_product(conn, owner, found["productId"])
    if request.method == "GET":
        return _batch_form(
            found, product_data=product_data, batch=found, errors=FormErrors(lang=lang())
        )
    body = batch_body(request.form, None, create=False)
    try:
        with writing() as conn:
            batches.update_batch(conn, owner, batch_id, body)
    except (InvalidInput, Conflict) as exc:
        shown = {**found, **body, "lot": found["lot"]}
        return _batch_form(
            shown,
            product_data=product_data,
            batch=found,
            errors=errors_of(exc, lang()),
            status=exc.status,
        )
    return go(".batch", batch_id=batch_id, notice="saved")


# --- codes ------------------------------------------------------------------------------------


def issue_codes(batch_id: int) -> Response:
    st = state()
    raw = request.form.get("count", "").strip()
    body: dict[str, Any] = {}
    if raw:
        body["count"] = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 12 else raw
    try:
        with writing() as conn:
            result = issuance.issue_codes(
                conn,
                merchant_id(),
                batch_id,
                body,
                signing_key=st.signing_key,
                sync_limit=st.settings.sync_code_limit,
                max_count=st.settings.max_code_count,
            )
            if result.serials is None and st.settings.job_runner == "thread":
                after_commit(st.start_job_runner)
    except InvalidInput as exc:
        return _batch_page(
            batch_id, errors=errors_of(exc, lang()), count=raw[:20], status=exc.status
        )
    return go(".issuance", issuance_id=result.issuance["id"])


def _stalled(job: dict[str, Any]) -> bool:
    """A pending job nobody took, or a running one whose worker stopped reporting."""
    if job["status"] not in ("pending", "running"):
        return False
    updated = datetime.fromisoformat(job["updatedAt"].replace("Z", "+00:00"))
    limit = 10 if job["status"] == "pending" else issuance.LEASE.total_seconds()
    return (utcnow() - updated).total_seconds() > limit


def _job(issuance_id: int) -> dict[str, Any]:
    st = state()
    with reading() as conn:
        job = issuance.get_issuance(conn, merchant_id(), issuance_id)
    if st.settings.job_runner == "thread" and _stalled(job):
        st.start_job_runner()
    return job


def issuance_page(issuance_id: int) -> Response:
    job = _job(issuance_id)
    with reading() as conn:
        found = batches.get_batch(conn, merchant_id(), job["batchId"])
    return render(
        "issuance.html",
        job=job,
        batch=found,
        parts=_label_parts(job["done"]) if job["status"] == "done" else [],
        layouts=LAYOUTS,
        default_layout=DEFAULT_LAYOUT,
        status_url=link(".issuance_status", issuance_id=issuance_id),
    )


def issuance_status(issuance_id: int) -> Response:
    job = _job(issuance_id)
    return jsonify({k: job[k] for k in ("id", "status", "done", "count", "progress", "error")})


def _selection() -> int | None:
    raw = request.args.get("issuance")
    return id_value(raw, "issuance") if raw else None


def _after(batch_id: int, selected: int | None, part: int, size: int) -> int:
    """The unit id labels of ``part`` (1, 2, ...) start after."""
    if part == 1:
        return 0
    query = sa.select(units.c.id).where(
        units.c.batch_id == batch_id, units.c.merchant_id == merchant_id()
    )
    if selected is not None:
        query = query.where(units.c.issuance_id == selected)
    with reading() as conn:
        found = conn.execute(
            query.order_by(units.c.id).offset((part - 1) * size - 1).limit(1)
        ).scalar_one_or_none()
    if found is None:
        raise NotFound.of("part", f"there is no part {part} of these labels")
    return int(found)


def labels_pdf(batch_id: int) -> Response:
    st = state()
    selected = _selection()
    layout = choice_arg("layout", LAYOUTS) or DEFAULT_LAYOUT
    raw_part = request.args.get("part") or "1"
    part = id_value(raw_part, "part")
    size = st.settings.max_pdf_labels
    if part > 1_000_000:
        raise NotFound.of("part", f"there is no part {part} of these labels")
    with reading() as conn:
        codes.check_selection(conn, merchant_id(), batch_id, selected)
    after = _after(batch_id, selected, part, size)
    out = tempfile.SpooledTemporaryFile(max_size=16 << 20)
    try:
        count, _token = codes.write_pdf(
            st.store,
            merchant_id(),
            batch_id,
            cast(BinaryIO, out),
            base_url=base_url(),
            layout=layout,
            after=after,
            limit=size,
            issuance_id=selected,
        )
    except BaseException:
        out.close()
        raise
    out.seek(0)
    response = Response(_drain(out), mimetype="application/pdf")
    suffix = f"-part{part}" if part > 1 else ""
    response.headers["Content-Disposition"] = (
        f'attachment; filename="shoptrace-batch-{batch_id}-labels{suffix}.pdf"'
    )
    response.headers["X-Label-Count"] = str(count)
    return response


def _drain(handle: IO[bytes]) -> Iterator[bytes]:
    try:
        while chunk := handle.read(1 << 16):
            yield chunk
    finally:
        handle.close()


def codes_csv(batch_id: int) -> Response:
    st = state()
    owner = merchant_id()
    selected = _selection()
    with reading() as conn:
        codes.check_selection(conn, owner, batch_id, selected)
    chunks = codes.csv_chunks(
        st.store, owner, batch_id, base_url=base_url(), language=lang(), issuance_id=selected
    )
    response = Response(chunks, mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="shoptrace-batch-{batch_id}-codes.csv"'
    )
    return response


def register(bp: Blueprint) -> None:
    """Add the product, batch and code pages."""
    one_product = "/products/<shoptrace_id:product_id>"
    one_batch = "/batches/<shoptrace_id:batch_id>"
    bp.add_url_rule("/products", "products", product_list, methods=["GET"])
    bp.add_url_rule("/products/new", "new_product", new_product, methods=["GET", "POST"])
    bp.add_url_rule(one_product, "product", product, methods=["GET"])
    bp.add_url_rule(one_product + "/edit", "edit_product", edit_product, methods=["GET", "POST"])
    bp.add_url_rule(one_product + "/delete", "delete_product", delete_product, methods=["POST"])
    bp.add_url_rule(one_product + "/batches/new", "new_batch", new_batch, methods=["GET", "POST"])
    bp.add_url_rule(one_batch, "batch", batch, methods=["GET"])
    bp.add_url_rule(one_batch + "/edit", "edit_batch", edit_batch, methods=["GET", "POST"])
    bp.add_url_rule(one_batch + "/delete", "delete_batch", delete_batch, methods=["POST"])
    bp.add_url_rule(one_batch + "/codes", "issue_codes", issue_codes, methods=["POST"])
    bp.add_url_rule(one_batch + "/labels.pdf", "labels", labels_pdf, methods=["GET"])
    bp.add_url_rule(one_batch + "/codes.csv", "codes_csv", codes_csv, methods=["GET"])
    bp.add_url_rule(
        "/issuances/<shoptrace_id:issuance_id>", "issuance", issuance_page, methods=["GET"]
    )
    bp.add_url_rule(
        "/issuances/<shoptrace_id:issuance_id>/status",
        "issuance_status",
        issuance_status,
        methods=["GET"],
    )
