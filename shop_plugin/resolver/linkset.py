"""Links an item has, as an RFC 9264 linkset, and the resolver description file.

Each level of a code gets an anchor of its own, most specific first: a unit's page, its lot's,
its product's. Every link has its target, its GS1 link type and a title (in the asked
language); links to our own pages name both languages they exist in. The requested level
alone carries ``gs1:defaultLink``: its trace page, which the resolver serves in place. Links
come from public data only (the product's listing and certificates the merchant made
public).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shoptrace.sdk.digital_link import escape
from shoptrace.shop_plugin.resolver.lookup import Content, Item, epcis_href, public_path
from shoptrace.shop_plugin.resolver.negotiation import VOC
from shoptrace.shop_plugin.services.public_trace import public_certifications

__all__ = [
    "CONTEXT",
    "DEFAULT",
    "IN_PLACE",
    "KEYS",
    "Level",
    "Link",
    "description_file",
    "levels",
    "linkset",
    "pick",
]

CONTEXT = "https://ref.gs1.org/standards/resolver/linkset-context"
"""The JSON-LD context that turns the linkset into JSON-LD (GS1-Conformant Resolver)."""
KEYS = ("01", "00", "414", "8004")
"""The GS1 primary keys this resolver answers."""
DEFAULT = VOC + "defaultLink"
TRACEABILITY = VOC + "traceability"
RECALL = VOC + "recallStatus"
IN_PLACE = frozenset({DEFAULT, TRACEABILITY, RECALL})
"""Link types whose target on the requested level is the trace page itself."""
_PAGE_LANGS = ["zh-CN", "en"]

_TITLES: dict[str, tuple[str, str]] = {
    "traceability": ("Traceability information", "追溯信息"),
    "recallStatus": ("Recall status", "召回状态"),
    "pip": ("Product page", "商品详情页"),
    "epcis": (
        "EPCIS events (for trade partners, with an API key)",
        "EPCIS 事件（贸易伙伴凭密钥访问）",
    ),
}
_DESCRIPTIONS: dict[str, tuple[str, str]] = {
    "traceability": (
        "Where the item came from and where it went: origin, steps, certificates.",
        "商品的来源与流向：产地、流通环节、认证证书。",
    ),
    "recallStatus": ("Whether the item is recalled.", "商品是否已召回。"),
    "pip": ("The shop's page of the product.", "商家的商品详情页。"),
    "certificationInfo": ("A certificate of the product or lot.", "商品或批次的认证证书。"),
    "epcis": (
        "The EPCIS 2.0 events of the item (trade partners, with an API key).",
        "该商品的 EPCIS 2.0 事件（贸易伙伴凭密钥访问）。",
    ),
}


def _title(name: str, lang: str) -> str:
    en, zh = _TITLES[name]
    return zh if lang == "zh-CN" else en


@dataclass(frozen=True, slots=True)
class Link:
    """One link: its type (a full GS1 vocabulary URI), target and what RFC 9264 says of it."""

    rel: str
    href: str
    title: str
    type: str | None = None
    hreflang: tuple[str, ...] = ()

    def target(self) -> dict[str, Any]:
        """The RFC 9264 target object (the default link has no optional attributes)."""
        out: dict[str, Any] = {"href": self.href, "title": self.title}
        if self.type:
            out["type"] = self.type
        if self.hreflang:
            out["hreflang"] = list(self.hreflang)
        return out


@dataclass(frozen=True, slots=True)
class Level:
    """One anchor of the linkset: a level of the code and the links at that level."""

    anchor: str
    description: str | None
    links: tuple[Link, ...]


def _page(rel: str, href: str, lang: str) -> Link:
    name = rel.removeprefix(VOC)
    return Link(rel, href, _title(name, lang), "text/html", tuple(_PAGE_LANGS))


def _certificates(record: dict[str, Any] | None, lang: str) -> list[Link]:
    out = []
    for cert in public_certifications(record, lang):
        if "url" in cert:
            title = " ".join(str(cert[k]) for k in ("label", "number") if k in cert)
            out.append(Link(VOC + "certificationInfo", cert["url"], title))
    return out


def levels(item: Item, content: Content, base: str, lang: str) -> list[Level]:
    """The anchors of ``item`` from the requested level up to its primary key."""
    subject = content.subject
    name = content.body.get("product", {}).get("name")
    own = base + public_path(item.link)
    epcis = Link(VOC + "epcis", epcis_href(base, item), _title("epcis", lang), "application/json")
    if item.kind in ("container", "location"):
        links = [_page(TRACEABILITY, own, lang), epcis]
        return [Level(own, None, tuple(links))]
    gtin = item.link.primary_key[1]
    product_page = f"{base}/01/{gtin}"
    product_links = [_page(TRACEABILITY, product_page, lang)]
    listing = content.body.get("product", {}).get("listingUrl")
    if listing:
        product_links.append(Link(VOC + "pip", listing, _title("pip", lang), "text/html"))
    product_links += _certificates(subject.product, lang)
    product_level = Level(product_page, name, tuple(product_links))
    if item.kind == "product":
        return [product_level]
    lot_page = product_page + "/10/" + escape(item.lot or "")
    lot_links = [_page(TRACEABILITY, lot_page, lang), _page(RECALL, lot_page, lang)]
    lot_links += _certificates(subject.batch, lang)
    if item.kind == "lot":
        lot_links.append(epcis)
        return [Level(lot_page, name, tuple(lot_links)), product_level]
    unit_links = (_page(TRACEABILITY, own, lang), _page(RECALL, own, lang), epcis)
    return [
        Level(own, name, unit_links),
        Level(lot_page, name, tuple(lot_links)),
        product_level,
    ]


def linkset(found: list[Level], lang: str) -> dict[str, Any]:
    """The RFC 9264 JSON linkset of the levels; the first carries the default link."""
    out = []
    for index, level in enumerate(found):
        entry: dict[str, Any] = {"anchor": level.anchor}
        if level.description:
            entry["description"] = level.description
        if index == 0:
            own = next(link for link in level.links if link.rel == TRACEABILITY)
            entry[DEFAULT] = [{"href": own.href, "title": own.title}]
        for link in level.links:
            entry.setdefault(link.rel, []).append(link.target())
        out.append(entry)
    return {"linkset": out}


def pick(found: list[Level], rel: str, lang: str) -> tuple[int, list[Link]]:
    """The links of type ``rel`` on the most specific level that has one, narrowed to the
    page language where several differ by it; ``(-1, [])`` when no level has one."""
    for index, level in enumerate(found):
        links = [link for link in level.links if link.rel == rel]
        if rel == DEFAULT and index == 0:
            links = [link for link in level.links if link.rel == TRACEABILITY]
        if links:
            if len(links) > 1:
                spoken = [link for link in links if lang in link.hreflang]
                links = spoken or links
            return index, links
    return -1, []


def description_file(base: str, *, name: str) -> dict[str, Any]:
    """The resolver description file served at ``/.well-known/gs1resolver``."""
    active: dict[str, dict[str, Any]] = {}
    for lang in ("en", "zh-CN"):
        table = {}
        for key, (en, zh) in _DESCRIPTIONS.items():
            title = _TITLES.get(key, ("Certification information", "认证信息"))
            table[f"gs1:{key}"] = {
                "title": title[1] if lang == "zh-CN" else title[0],
                "description": zh if lang == "zh-CN" else en,
                "url": VOC + key,
            }
        active[lang] = table
    return {
        "name": name,
        "resolverRoot": base,
        "supportedPrimaryKeys": list(KEYS),
        "supportedLinkType": [{"namespace": VOC, "prefix": "gs1:"}],
        "linkTypeDefaultCanBeLinkset": False,
        "linkTypeDefaultCanBeAll": False,
        "supportsLanguageVariants": True,
        "supportsSemanticInterpretation": False,
        "validatesAIcombinations": True,
        "jsonLdContextLocation": CONTEXT,
        "activeLinkTypes": active,
    }
