"""What the demo shop sells and where it comes from: products, lots, places, parties.

Everything here is data. GTINs and GLNs sit under GS1's test company prefix 950 6000 (GS1
numbers starting 950 are reserved for examples, so no real product is named), their check
digits computed with :func:`shoptrace.sdk.gs1.check_digit`. Dates are counted back from the
day the shop is first started, so lots are never out of date; :func:`lot_code` names a lot
after its month, the way packers print them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from shoptrace.sdk.gs1 import check_digit

__all__ = [
    "COMPANY_PREFIX",
    "PAST_ORDERS",
    "PLACES",
    "PRODUCTS",
    "Lot",
    "Place",
    "Product",
    "gln",
    "gtin",
    "lot_code",
    "product",
]

COMPANY_PREFIX = "9506000"
"""GS1 company prefix of the demo: 950 is GS1's prefix for examples and demos."""


def gtin(item_reference: str) -> str:
    """The GTIN-14 of an item under the demo prefix (a GTIN-13 padded with a leading 0)."""
    body = COMPANY_PREFIX + item_reference
    return "0" + body + check_digit(body)


def gln(location_reference: str) -> str:
    """The GLN (13 digits) of a place under the demo prefix."""
    body = COMPANY_PREFIX + location_reference
    return body + check_digit(body)


def lot_code(prefix: str, day: date) -> str:
    """A lot number as printed on the pack: prefix, year and month (``LJ2604``)."""
    return f"{prefix}{day:%y%m}"


@dataclass(frozen=True)
class Place:
    """A trace node: a farm, a plant, a lab, a warehouse; its GLN and names."""

    key: str
    gln: str
    zh: str
    en: str

    @property
    def uri(self) -> str:
        """The place as EPCIS events name it (a GLN in Digital Link form)."""
        return f"https://id.gs1.org/414/{self.gln}"

    def party(self) -> dict[str, Any]:
        return {"name": {"zh-CN": self.zh, "en": self.en}, "gln": self.gln}


def _place(key: str, ref: str, zh: str, en: str) -> Place:
    return Place(key, gln(ref), zh, en)


PLACES: dict[str, Place] = {
    p.key: p
    for p in (
        _place(
            "tea-garden",
            "10001",
            "梅家坞茶园（杭州西湖区）",
            "Meijiawu tea garden, West Lake, Hangzhou",
        ),
        _place(
            "tea-workshop",
            "10002",
            "西湖龙井茶炒制厂",
            "West Lake Longjing tea roasting workshop",
        ),
        _place(
            "zj-lab",
            "10003",
            "浙江省食品检验中心（示例）",
            "Zhejiang food inspection centre (demo)",
        ),
        _place(
            "warehouse",
            "10004",
            "可追溯好物杭州仓",
            "Traceable Goods warehouse, Hangzhou",
        ),
        _place(
            "apiary",
            "10011",
            "秦岭洋槐蜂场（陕西延安）",
            "Qinling acacia apiary, Yan'an, Shaanxi",
        ),
        _place(
            "honey-plant",
            "10012",
            "延安蜂产品加工厂",
            "Yan'an honey processing plant",
        ),
        _place(
            "sx-lab",
            "10013",
            "陕西省食品检验中心（示例）",
            "Shaanxi food inspection centre (demo)",
        ),
        _place(
            "paddy",
            "10021",
            "五常市民乐乡稻田",
            "Paddy fields, Minle township, Wuchang",
        ),
        _place(
            "rice-mill",
            "10022",
            "五常稻香米业加工厂",
            "Wuchang Daoxiang rice mill",
        ),
        _place(
            "hlj-lab",
            "10023",
            "黑龙江省食品检验中心（示例）",
            "Heilongjiang food inspection centre (demo)",
        ),
        _place(
            "dairy",
            "10031",
            "北疆牧场（黑龙江齐齐哈尔）",
            "Beijiang dairy farm, Qiqihar, Heilongjiang",
        ),
        _place(
            "formula-plant",
            "10032",
            "北疆乳业婴幼儿配方乳粉工厂",
            "Beijiang Dairy infant formula plant",
        ),
        _place(
            "nat-lab",
            "10033",
            "国家乳制品质量检验检测中心（示例）",
            "National dairy products testing centre (demo)",
        ),
    )
}


@dataclass(frozen=True)
class Lot:
    """One lot of a product and the story of its making.

    ``days_ago`` is when its raw material was harvested (or, without one, when it was made),
    counted back from the first start; the later steps follow at fixed offsets.
    """

    prefix: str
    days_ago: int
    shelf_life_days: int
    amount_kg: float
    units: int
    """Unit codes issued (0: the lot is traced as a whole, no serials)."""
    recalled: bool = False

    def harvested(self, today: date) -> date:
        return today - timedelta(days=self.days_ago)

    def code(self, today: date) -> str:
        return lot_code(self.prefix, self.harvested(today))

    def expiry(self, today: date) -> date:
        return self.harvested(today) + timedelta(days=self.shelf_life_days)


@dataclass(frozen=True)
class Product:
    """A listing of the shop with what shoptrace records about it."""

    slug: str
    sku: str
    item_reference: str
    category: str
    name: dict[str, str]
    pack: dict[str, str]
    summary: dict[str, str]
    description: dict[str, str]
    price_cents: int
    image: str
    lots: tuple[Lot, ...]
    raw: dict[str, Any]
    """The raw material: item reference, names, where it was harvested or came from."""
    origin: dict[str, Any]
    producer_place: str
    license_number: str
    lab: str
    lab_issuer: str
    certifications: tuple[dict[str, Any], ...]
    batch_certifications: tuple[dict[str, Any], ...] = ()
    batch_visibility: dict[str, str] = field(default_factory=dict)
    lot_stock: int = 0
    """Stock of a product traced by lot (serialised products count their unit codes)."""
    yield_ratio: float = 1.0
    """Kilograms of product per kilogram of raw material."""

    @property
    def gtin(self) -> str:
        return gtin(self.item_reference)

    @property
    def raw_gtin(self) -> str:
        return gtin(self.raw["item_reference"])

    @property
    def serialised(self) -> bool:
        return any(lot.units for lot in self.lots)

    def selling(self) -> Lot:
        """The lot now on sale: the newest one not under recall."""
        return min((lot for lot in self.lots if not lot.recalled), key=lambda lot: lot.days_ago)


_ORGANIC_ISSUER = "China Organic Food Certification Center (demo)"

PRODUCTS: tuple[Product, ...] = (
    Product(
        slug="longjing-tea",
        sku="TEA-LJ-250",
        item_reference="21001",
        category="local-specialties",
        name={"zh-CN": "西湖龙井 明前特级", "en": "West Lake Longjing green tea, pre-Qingming"},
        pack={"zh-CN": "250 克 铁罐", "en": "250 g tin"},
        summary={
            "zh-CN": "清明前采摘的一芽一叶，铁锅手工炒制，豆香清幽。",
            "en": "One bud and one leaf picked before Qingming, hand-roasted in iron woks.",
        },
        description={
            "zh-CN": (
                "产自杭州西湖区梅家坞核心产区。鲜叶清明前采摘，当天摊放、杀青、辉锅，"
                "经第三方检验合格后装罐。冲泡水温 80 ℃ 左右，汤色嫩绿明亮。"
            ),
            "en": (
                "Grown in the Meijiawu heartland of the West Lake district, Hangzhou. Leaves "
                "are picked before Qingming, withered, pan-fired and finished the same day, "
                "and tinned after a third-party inspection. Brew at about 80 °C."
            ),
        },
        price_cents=36800,
        image="tea.svg",
        lots=(Lot("LJ", days_ago=236, shelf_life_days=730, amount_kg=120, units=36),),
        raw={
            "item_reference": "21901",
            "name": {"zh-CN": "龙井茶鲜叶", "en": "Fresh Longjing tea leaf"},
            "place": "tea-garden",
        },
        origin={
            "place": {
                "zh-CN": "浙江省杭州市西湖区梅家坞",
                "en": "Meijiawu, West Lake District, Hangzhou, Zhejiang",
            },
            "countryCode": "CN",
            "region": "Zhejiang",
        },
        producer_place="tea-workshop",
        license_number="SC11433010600235",
        lab="zj-lab",
        lab_issuer="Zhejiang food inspection centre (demo)",
        certifications=(
            {
                "scheme": "Organic product (GB/T 19630)",
                "issuer": _ORGANIC_ISSUER,
                "number": "OFDC-DEMO-2026-0419",
                "verification": "third-party-verified",
            },
            {
                "scheme": "Hand-roasted in iron woks",
                "issuer": "Traceable Goods (the shop)",
                "number": "SELF-2026-01",
                "verification": "self-declared",
            },
        ),
        # The roasting workshop is a trade secret: shown to trade partners, not to shoppers.
        batch_visibility={"producer": "partner"},
        yield_ratio=0.25,
    ),
    Product(
        slug="acacia-honey",
        sku="HONEY-AC-500",
        item_reference="22001",
        category="food",
        name={"zh-CN": "秦岭洋槐蜂蜜", "en": "Qinling acacia honey"},
        pack={"zh-CN": "500 克 玻璃瓶", "en": "500 g glass jar"},
        summary={
            "zh-CN": "五月洋槐花期采收的成熟蜜，清透如水，不易结晶。",
            "en": "Ripe honey from the May acacia bloom: water-clear and slow to crystallise.",
        },
        description={
            "zh-CN": (
                "蜂场位于陕西延安秦岭北麓，只在洋槐花期取成熟封盖蜜。过滤、灌装在延安蜂产品"
                "加工厂完成，每批经检验合格后出厂。一岁以下婴儿不宜食用蜂蜜。"
            ),
            "en": (
                "Our apiary sits on the northern slopes of the Qinling near Yan'an and takes "
                "only capped, ripe honey during the acacia bloom. Filtered and jarred in "
                "Yan'an; every lot is inspected before it leaves. Not for infants under one."
            ),
        },
        price_cents=8800,
        image="honey.svg",
        lots=(
            Lot("HN", days_ago=182, shelf_life_days=1095, amount_kg=600, units=36),
            # Last year's lot: a spot check found it too moist, so it is recalled.
            Lot("HN", days_ago=547, shelf_life_days=1095, amount_kg=400, units=12, recalled=True),
        ),
        raw={
            "item_reference": "22901",
            "name": {"zh-CN": "洋槐原蜜", "en": "Raw acacia honey"},
            "place": "apiary",
        },
        origin={
            "place": {"zh-CN": "陕西省延安市秦岭北麓", "en": "Northern Qinling, Yan'an, Shaanxi"},
            "countryCode": "CN",
            "region": "Shaanxi",
        },
        producer_place="honey-plant",
        license_number="SC12661060200318",
        lab="sx-lab",
        lab_issuer="Shaanxi food inspection centre (demo)",
        certifications=(
            {
                "scheme": "Organic product (GB/T 19630)",
                "issuer": _ORGANIC_ISSUER,
                "number": "OFDC-DEMO-2026-0522",
                "verification": "third-party-verified",
            },
        ),
        yield_ratio=0.98,
    ),
    Product(
        slug="wuchang-rice",
        sku="RICE-WC-5KG",
        item_reference="23001",
        category="edible-agricultural-products",
        name={"zh-CN": "五常大米 稻花香 2 号", "en": "Wuchang rice, Daohuaxiang No. 2"},
        pack={"zh-CN": "5 千克 袋装", "en": "5 kg bag"},
        summary={
            "zh-CN": "黑土地一年一季的新米，米粒饱满，蒸煮后清香软糯。",
            "en": "This season's rice from the black soil of Wuchang: plump, fragrant, tender.",
        },
        description={
            "zh-CN": (
                "产自黑龙江五常市民乐乡，一年一季，十月收割。稻谷在五常稻香米业碾磨、"
                "色选、真空包装，按批次追溯到田块。"
            ),
            "en": (
                "Grown in Minle township, Wuchang, Heilongjiang: one crop a year, cut in "
                "October, milled, sorted and vacuum-packed at the Daoxiang mill. Traced by lot "
                "back to its fields."
            ),
        },
        price_cents=13900,
        image="rice.svg",
        lots=(Lot("WC", days_ago=52, shelf_life_days=365, amount_kg=8000, units=0),),
        raw={
            "item_reference": "23901",
            "name": {"zh-CN": "稻花香 2 号稻谷", "en": "Daohuaxiang No. 2 paddy"},
            "place": "paddy",
        },
        origin={
            "place": {
                "zh-CN": "黑龙江省五常市民乐乡",
                "en": "Minle township, Wuchang, Heilongjiang",
            },
            "countryCode": "CN",
            "region": "Heilongjiang",
        },
        producer_place="rice-mill",
        license_number="SC10123018400477",
        lab="hlj-lab",
        lab_issuer="Heilongjiang food inspection centre (demo)",
        certifications=(
            {
                "scheme": "Geographical indication (GI)",
                "issuer": "China National Intellectual Property Administration (demo)",
                "number": "GI-DEMO-0197",
                "verification": "third-party-verified",
            },
            {
                "scheme": "Green Food (绿色食品)",
                "issuer": "China Green Food Development Center (demo)",
                "number": "LB-DEMO-18-2611",
                "verification": "third-party-verified",
            },
        ),
        # The mill's lab results go to trade partners only.
        batch_visibility={"inspectionReports": "partner"},
        lot_stock=40,
        yield_ratio=0.7,
    ),
    Product(
        slug="infant-formula",
        sku="FORMULA-S1-800",
        item_reference="24001",
        category="maternal-infant-products",
        name={
            "zh-CN": "婴儿配方乳粉 1 段（0–6 月龄）",
            "en": "Infant formula stage 1 (0–6 months)",
        },
        pack={"zh-CN": "800 克 罐装", "en": "800 g can"},
        summary={
            "zh-CN": "生牛乳与乳清蛋白配制，每罐一码，扫码验真、查批次检验。",
            "en": "Made from fresh milk and whey protein. One code per can: check it is genuine.",
        },
        description={
            "zh-CN": (
                "配方注册产品，在北疆乳业婴幼儿配方乳粉工厂一次成型生产。每批出厂前经国家乳制品"
                "质量检验检测中心全项检验。每罐印有独立追溯码，扫码可验真并查看流通记录。"
            ),
            "en": (
                "A registered recipe, made in one run at the Beijiang Dairy infant formula "
                "plant. Every lot is fully tested by the national dairy testing centre before "
                "release. Each can carries its own trace code: scan it to check it is genuine."
            ),
        },
        price_cents=29800,
        image="formula.svg",
        lots=(Lot("IF", days_ago=95, shelf_life_days=730, amount_kg=2000, units=30),),
        raw={
            "item_reference": "24901",
            "name": {"zh-CN": "生牛乳", "en": "Fresh cow's milk"},
            "place": "dairy",
        },
        origin={
            "place": {"zh-CN": "黑龙江省齐齐哈尔市", "en": "Qiqihar, Heilongjiang"},
            "countryCode": "CN",
            "region": "Heilongjiang",
        },
        producer_place="formula-plant",
        license_number="SC10623020500016",
        lab="nat-lab",
        lab_issuer="National dairy products testing centre (demo)",
        certifications=(
            {
                "scheme": "Infant formula recipe registration",
                "issuer": "State Administration for Market Regulation (demo)",
                "number": "YP-DEMO-2024-0086",
                "verification": "third-party-verified",
            },
            {
                "scheme": "HACCP",
                "issuer": "China Quality Certification Centre (demo)",
                "number": "CQC-HACCP-DEMO-2211",
                "verification": "third-party-verified",
            },
        ),
        # Which farms supply the milk is kept private (supplier contracts).
        batch_visibility={"origin": "private"},
        yield_ratio=0.13,
    ),
)


def product(slug: str) -> Product:
    """The product listed as ``slug``."""
    for item in PRODUCTS:
        if item.slug == slug:
            return item
    raise KeyError(slug)


PAST_ORDERS: tuple[dict[str, Any], ...] = (
    {
        "email": "demo@example.com",
        "days_ago": 21,
        "address": {
            "name": "王小明",
            "phone": "13800000001",
            "country": "CN",
            "region": "浙江省",
            "city": "杭州市",
            "postcode": "310012",
            "street": "西湖区文三路 90 号",
        },
        # (slug, quantity, lot: "recalled" for the recalled lot, None for the one selling)
        "lines": (("acacia-honey", 2, "recalled"), ("longjing-tea", 1, None)),
        "to": "delivered",
    },
    {
        "email": "li.na@example.com",
        "days_ago": 12,
        "address": {
            "name": "李娜",
            "phone": "13900000002",
            "country": "CN",
            "region": "上海市",
            "city": "上海市",
            "postcode": "200030",
            "street": "徐汇区漕溪北路 88 号",
        },
        "lines": (("acacia-honey", 1, "recalled"), ("wuchang-rice", 1, None)),
        "to": "delivered",
    },
    {
        "email": "demo@example.com",
        "days_ago": 1,
        "address": {
            "name": "王小明",
            "phone": "13800000001",
            "country": "CN",
            "region": "浙江省",
            "city": "杭州市",
            "postcode": "310012",
            "street": "西湖区文三路 90 号",
        },
        "lines": (("infant-formula", 2, None),),
        "to": "placed",
    },
)
"""Orders placed before the demo starts: shipped units make "retail sale" part of the
story, and two of them hold jars of the recalled honey lot (the recall's impact)."""
