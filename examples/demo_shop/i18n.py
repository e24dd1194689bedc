"""The shop's words in English and Simplified Chinese, and the language of each request.

Trace words come from ``GLOSSARY.md`` (and, where shoptrace has them, from its phrasebook in
:mod:`shoptrace.widgets.i18n`). The language is ``?lang=`` when given (and remembered in the
session), else the session's, else the browser's ``Accept-Language``, else Chinese.
"""

from __future__ import annotations

from flask import request, session

from shoptrace.shop_plugin.services.catalogue import CATEGORIES
from shoptrace.widgets import i18n as trace_i18n

__all__ = ["DEFAULT_LANG", "LANGS", "PHRASES", "category_name", "current_lang", "t"]

LANGS = ("zh-CN", "en")
DEFAULT_LANG = "zh-CN"

_PHRASES: dict[str, tuple[str, str]] = {
    # key: (en, zh-CN)
    "shop.name": ("Traceable Goods · demo shop", "可追溯好物 · 示范网店"),
    "shop.tagline": ("Every pack tells where it came from", "每一件都说得清来处"),
    "nav.shop": ("Shop", "商城"),
    "nav.cart": ("Cart", "购物车"),
    "nav.orders": ("My orders", "我的订单"),
    "nav.language": ("Language", "语言"),
    "nav.admin": ("Merchant admin", "商家后台"),
    "home.title": ("Traceable goods, from the farm to your door", "可追溯好物，从产地到您家"),
    "home.lead": (
        "Every tin, jar, bag and can here carries its story: where it was grown, who made "
        "it, how it was inspected and how it reached you. Tap the Traceable badge to see it.",
        "这里的每一罐、每一瓶、每一袋都有自己的故事：在哪里种植、由谁加工、如何检验、"
        "怎样送到您手中。点击“可追溯”标识即可查看。",
    ),
    "home.catalogue": ("Our goods", "全部商品"),
    "home.steps": (
        "Harvested · Processed · Inspected · Packed · Shipped · Received · Sold",
        "采收 · 加工 · 检验 · 包装 · 发货 · 收货 · 售出",
    ),
    "product.add_to_cart": ("Add to cart", "加入购物车"),
    "product.quantity": ("Quantity", "数量"),
    "product.in_stock": ("{count} in stock", "库存 {count} 件"),
    "product.out_of_stock": ("Sold out", "已售罄"),
    "product.view": ("View product", "查看商品"),
    "product.lot_selling": ("Lot now selling: {lot}", "当前销售批次：{lot}"),
    "product.trace_title": ("Traceability", "追溯信息"),
    "product.trace_intro": (
        "The journey of the lot now selling, as recorded by everyone who handled it "
        "(GS1 EPCIS events). Each pack also carries its own trace code.",
        "当前销售批次的流通记录，由经手的每个追溯节点记录（GS1 EPCIS 事件）。"
        "每件商品还印有独立的追溯码。",
    ),
    "product.lot_trace_intro": (
        "The journey of the lot now selling, as recorded by everyone who handled it "
        "(GS1 EPCIS events). This product is traced by lot: the lot number is on the bag.",
        "当前销售批次的流通记录，由经手的每个追溯节点记录（GS1 EPCIS 事件）。"
        "本商品按批次追溯，批次号印在包装袋上。",
    ),
    "product.details": ("Trace data of this lot", "本批次追溯信息"),
    "product.gtin": ("Product code (GTIN)", "商品条码（GTIN）"),
    "product.lot": ("Lot", "批次"),
    "product.category": ("Catalogue class", "追溯目录类别"),
    "product.origin": ("Origin", "产地"),
    "product.producer": ("Producer", "生产企业"),
    "product.license": ("Production licence", "生产许可证编号"),
    "product.production_date": ("Production date", "生产日期"),
    "product.expiry_date": ("Expiry date", "有效期至"),
    "product.inspection": ("Inspection report", "检验报告"),
    "product.inspection_pass": ("Passed", "合格"),
    "product.inspection_fail": ("Failed", "不合格"),
    "product.certifications": ("Certificates", "认证证书"),
    "product.partner_only": (
        "Shared with trade partners only",
        "仅向合作伙伴公开",
    ),
    "product.private": ("Kept private by the merchant", "商家未公开"),
    "product.completeness": ("Trace completeness", "追溯信息完整度"),
    "product.full_page": ("Open the lot's trace page", "打开批次追溯页"),
    "product.recall_notice": (
        "Lot {lot} of this product is recalled. If you bought it, stop using it and contact us.",
        "本商品批次 {lot} 已召回。如您购买了该批次，请停止使用并联系我们。",
    ),
    "product.recall_page": ("See the recall", "查看召回信息"),
    "cart.title": ("Your cart", "购物车"),
    "cart.empty": ("Your cart is empty.", "购物车是空的。"),
    "cart.update": ("Update", "更新"),
    "cart.remove": ("Remove", "删除"),
    "cart.total": ("Total", "合计"),
    "cart.checkout": ("Check out", "去结算"),
    "cart.continue": ("Continue shopping", "继续购物"),
    "cart.added": ("Added to your cart.", "已加入购物车。"),
    "cart.updated": ("Cart updated.", "购物车已更新。"),
    "cart.item": ("Item", "商品"),
    "cart.price": ("Price", "单价"),
    "cart.subtotal": ("Subtotal", "小计"),
    "checkout.title": ("Checkout", "结算"),
    "checkout.contact": ("Contact", "联系方式"),
    "checkout.address": ("Delivery address", "收货地址"),
    "checkout.payment": ("Payment", "支付方式"),
    "checkout.pay_note": (
        "This is a demo shop: the payment is simulated and no money changes hands.",
        "这是演示商店：支付为模拟，不会真实扣款。",
    ),
    "checkout.place": ("Pay and place order", "支付并提交订单"),
    "checkout.summary": ("Your order", "订单商品"),
    "pay.alipay": ("Alipay (demo)", "支付宝（演示）"),
    "pay.wechat": ("WeChat Pay (demo)", "微信支付（演示）"),
    "pay.card": ("Bank card (demo)", "银行卡（演示）"),
    "field.name": ("Recipient", "收货人"),
    "field.phone": ("Mobile phone", "手机号码"),
    "field.email": ("E-mail", "电子邮箱"),
    "field.country": ("Country", "国家/地区"),
    "field.region": ("Province", "省份"),
    "field.city": ("City", "城市"),
    "field.postcode": ("Postcode", "邮政编码"),
    "field.street": ("Street address", "详细地址"),
    "field.payment": ("Payment method", "支付方式"),
    "country.CN": ("China", "中国"),
    "country.HK": ("Hong Kong, China", "中国香港"),
    "country.SG": ("Singapore", "新加坡"),
    "error.form": ("Please check the fields marked below.", "请检查下方标出的内容。"),
    "error.required": ("Please fill in this field.", "请填写此项。"),
    "error.too_long": ("At most {max} characters.", "最多 {max} 个字符。"),
    "error.email": (
        "Enter an e-mail address like name@example.com.",
        "请输入有效的电子邮箱，如 name@example.com。",
    ),
    "error.phone": (
        "Enter 6 to 20 digits (a leading + is fine).",
        "请输入 6 到 20 位数字（可以 + 开头）。",
    ),
    "error.postcode": ("Enter 3 to 10 letters or digits.", "请输入 3 到 10 位字母或数字。"),
    "error.choice": ("Choose one of the options.", "请从选项中选择。"),
    "error.quantity": ("Choose a quantity from 1 to 99.", "请选择 1 到 99 之间的数量。"),
    "error.out_of_stock": ("Only {left} left of {name}.", "{name} 仅剩 {left} 件。"),
    "error.unknown_product": ("That product is not on sale.", "该商品不在售。"),
    "error.empty_cart": ("Your cart is empty.", "购物车是空的。"),
    "error.not_placed": (
        "This order was shipped or cancelled already.",
        "该订单已发货或已取消。",
    ),
    "error.not_shipped": ("This order has not been shipped yet.", "该订单尚未发货。"),
    "error.no_packs": (
        "The warehouse has too few packs to ship this order.",
        "仓库库存不足，无法发货。",
    ),
    "error.csrf": (
        "The form expired. Please try again.",
        "页面已过期，请重试。",
    ),
    "error.trace": ("The trace service refused: {problem}", "追溯服务拒绝了请求：{problem}"),
    "error.set_aside": (
        "{count} pack(s) were refused and set aside. Press “Pack and ship” again to take "
        "others from stock.",
        "{count} 件商品被拒收，已从库存中移出。请再次点击“打包发货”，改用其他库存。",
    ),
    "error.not_found": ("Page not found", "页面不存在"),
    "error.not_found_detail": ("There is nothing here.", "这里什么也没有。"),
    "error.method": ("That does not work here.", "不支持该操作。"),
    "order.title": ("Order {number}", "订单 {number}"),
    "order.thanks": ("Thank you! Your order is placed.", "感谢您的购买！订单已提交。"),
    "order.placed_at": ("Placed on", "下单时间"),
    "order.status": ("Status", "订单状态"),
    "status.placed": ("Placed, waiting to ship", "已下单，待发货"),
    "status.shipped": ("Shipped", "已发货"),
    "status.delivered": ("Delivered", "已签收"),
    "status.cancelled": ("Cancelled", "已取消"),
    "order.ship_to": ("Ship to", "收货地址"),
    "order.payment_ref": ("Payment reference", "支付流水号"),
    "order.total": ("Total", "合计"),
    "order.trace_title": ("Trace your goods", "追溯您的商品"),
    "order.trace_intro": (
        "Scan a code with your phone, or open the link, to see where each item came from "
        "and check it is genuine.",
        "用手机扫描二维码或点击链接，即可查看每件商品的来处并验证真伪。",
    ),
    "order.trace_page": ("The trace page of this order", "本订单的追溯页"),
    "order.trace_page_hint": (
        "Every line with its trace codes, on one page you can keep.",
        "所有商品及其追溯码汇总在一个页面，方便保存。",
    ),
    "order.before_ship": (
        "Trace codes are bound to your order when the warehouse packs it. Until then, "
        "here is the lot now selling.",
        "仓库打包时会把追溯码绑定到您的订单。在此之前，先看看当前销售批次。",
    ),
    "order.unit_code": ("Trace code", "追溯码"),
    "order.lot_code": ("Lot {lot}", "批次 {lot}"),
    "order.scan_hint": ("Scan with your phone", "手机扫码查看"),
    "order.open_trace": ("View trace", "查看追溯信息"),
    "order.recalled": (
        "Recalled: stop using this item and contact us for a refund.",
        "已召回：请停止使用该商品，并联系我们办理退款。",
    ),
    "order.pack_ship": ("Pack and ship (packing station)", "打包发货（仓库扫码）"),
    "order.pack_hint": (
        "Demo: plays the warehouse, which scans the packs' trace codes and ships. "
        "shoptrace binds the codes to this order.",
        "演示：模拟仓库扫描商品追溯码并发货，shoptrace 会把追溯码绑定到本订单。",
    ),
    "order.deliver": ("Mark as delivered", "确认签收"),
    "order.cancel": ("Cancel order", "取消订单"),
    "order.shipped_msg": (
        "Packed and shipped. The trace codes are below.",
        "已打包发货，追溯码见下方。",
    ),
    "order.delivered_msg": ("Delivered. Enjoy!", "已签收，祝您享用！"),
    "order.cancelled_msg": ("The order is cancelled.", "订单已取消。"),
    "order.trace_note": ("Trace service: {note}", "追溯服务：{note}"),
    "orders.title": ("My orders", "我的订单"),
    "orders.none": ("No orders yet.", "暂无订单。"),
    "orders.signin": ("Sign in", "登录"),
    "orders.signin_hint": (
        "Enter the e-mail address you ordered with. This demo has no passwords: try "
        "demo@example.com.",
        "请输入下单时填写的电子邮箱。演示商店无需密码，可以试试 demo@example.com。",
    ),
    "orders.signout": ("Sign out", "退出登录"),
    "orders.signed_in": ("Signed in as {email}", "当前账号：{email}"),
    "orders.unknown_email": (
        "No orders were placed with that e-mail address.",
        "没有使用该邮箱下的订单。",
    ),
    "orders.items": ("{count} items", "{count} 件商品"),
    "merchant.title": ("Merchant sign-in", "商家登录"),
    "merchant.intro": (
        "Sign in to the merchant admin: issue trace codes, print labels, follow orders and "
        "recall lots.",
        "登录商家后台：发放追溯码、打印标签、跟踪订单、召回批次。",
    ),
    "merchant.hint": (
        "Demo account: merchant@example.com. Its password is printed in the terminal where "
        "the shop started (make run), and kept in the shop's instance folder.",
        "演示账号：merchant@example.com。密码显示在启动网店（make run）的终端中，"
        "也保存在网店的 instance 文件夹里。",
    ),
    "merchant.password": ("Password", "密码"),
    "merchant.signin": ("Sign in", "登录"),
    "merchant.failed": ("Wrong e-mail or password.", "邮箱或密码错误。"),
    "merchant.signed_in": ("Signed in as {email}", "当前商家账号：{email}"),
    "merchant.open_admin": ("Open the merchant admin", "进入商家后台"),
    "merchant.signout": ("Sign out", "退出登录"),
    "merchant.signed_out": ("You are signed out of the merchant admin.", "已退出商家后台。"),
    "report.title": ("Inspection report {number}", "检验报告 {number}"),
    "report.issuer": ("Issued by", "检验机构"),
    "report.date": ("Date", "检验日期"),
    "report.result": ("Result", "检验结论"),
    "report.product": ("Product", "商品"),
    "report.items": ("Items tested", "检验项目"),
    "report.items_text": (
        "Sensory quality, moisture, contaminants, pesticide and veterinary drug residues, "
        "microbiology, labelling.",
        "感官、水分、污染物、农兽药残留、微生物、标签。",
    ),
    "report.demo": (
        "Demo document: the laboratory and its report are made up.",
        "演示文件：检验机构与报告均为虚构。",
    ),
    "footer.about": (
        "A demo of shoptrace: GS1 Digital Link trace codes and EPCIS 2.0 supply-chain "
        "events inside a small Flask shop. Goods, places and certificates are made up; "
        "GTINs use GS1's demo prefix 950.",
        "shoptrace 演示：在一个小型 Flask 网店中使用 GS1 数字链接追溯码和 EPCIS 2.0 "
        "供应链事件。商品、地点与证书均为虚构，商品条码使用 GS1 演示前缀 950。",
    ),
}

PHRASES: dict[str, dict[str, str]] = {
    key: {"en": en, "zh-CN": zh} for key, (en, zh) in _PHRASES.items()
}
"""Every phrase by key, in both languages."""


def current_lang() -> str:
    """The language of this request (see the module docstring)."""
    asked = request.args.get("lang")
    if asked in LANGS:
        return asked
    remembered = session.get("lang")
    if remembered in LANGS:
        return str(remembered)
    return trace_i18n.negotiate(None, request.headers.get("Accept-Language"), DEFAULT_LANG)


def t(key: str, lang: str | None = None, /, **args: object) -> str:
    """The phrase ``key`` in ``lang`` (default: the request's), ``{placeholders}`` filled."""
    text = PHRASES[key][lang or current_lang()]
    return text.format(**args) if args else text


def category_name(code: str, lang: str) -> str:
    """A catalogue class's name (``local-specialties`` -> 地方特色产品)."""
    for category in CATEGORIES:
        if category.code == code:
            return category.zh if lang == "zh-CN" else category.en
    return code
