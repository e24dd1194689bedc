/*! shoptrace widget: <shoptrace-badge> and <shoptrace-trace> | Apache-2.0 */
/* One async script: <script async src="https://shop.example.com/trace/widget.js" data-lang="zh-CN">.
   Data goes into the page as text nodes only (createElement, textContent, append(string)). */
(() => {
  "use strict";
  const W = window, D = document, CE = W.customElements;
  if (!CE || CE.get("shoptrace-badge")) return;
  const S = D.currentScript, O = (S && S.dataset) || {};
  const BASE = new URL(
    O.base ? O.base.replace(/\/?$/, "/") : S && S.src ? "./" : "/trace/",
    S && S.src ? S.src : location.href,
  );
  /* Generated from shoptrace.widgets.i18n.widget_phrases(); tests/widgets checks they agree. */
  const L = /*phrases*/{"en":{"traceable":"Traceable","view_trace":"View trace","close":"Close","origin":"Origin","producer":"Producer","certifications":"Certifications","where_now":"Where it is now","genuine":"Genuine","possible_counterfeit":"Possible counterfeit","first_checked":"First checked on {date}","checked_times":"Checked {count} times","checked_times.one":"Checked once","checked_first":"First check of this code","sold_by_on":"Sold by {shop} on {date}","sold_by":"Sold by {shop}","sold_on":"Sold on {date}","since":"Since {date}","authenticity":"Authenticity","not_verified":"This code could not be verified.","journey":"Journey","lot":"Lot","serial":"Serial number","production_date":"Production date","expiry_date":"Expiry date","valid_until":"Valid until {date}","completeness":"Trace completeness","recall_title":"Recalled","recall_advice":"Stop using this product and contact the shop you bought it from.","recall_since":"Recalled on {date}","counterfeit_detail":"We could not find this trace code. The item may not be genuine.","counterfeit_advice":"Check the code against the pack and contact the shop you bought it from.","full_trace":"Open the full trace","loading":"Loading…","unavailable":"Trace information is not available right now.","no_events":"No steps recorded yet."},"zh-CN":{"traceable":"可追溯","view_trace":"查看追溯信息","close":"关闭","origin":"产地","producer":"生产者","certifications":"认证证书","where_now":"当前位置","genuine":"正品","possible_counterfeit":"疑似假冒","first_checked":"首次查询时间：{date}","checked_times":"已被查询 {count} 次","checked_times.one":"已被查询 1 次","checked_first":"该追溯码为首次查询","sold_by_on":"由 {shop} 于 {date} 售出","sold_by":"由 {shop} 售出","sold_on":"于 {date} 售出","since":"自 {date} 起","authenticity":"真伪验证","not_verified":"该追溯码未通过验证。","journey":"流通记录","lot":"批次","serial":"序列号","production_date":"生产日期","expiry_date":"有效期至","valid_until":"有效期至 {date}","completeness":"追溯信息完整度","recall_title":"已召回","recall_advice":"请停止使用该商品，并联系购买商家。","recall_since":"召回日期：{date}","counterfeit_detail":"未找到该追溯码，商品可能不是正品。","counterfeit_advice":"请核对包装上的追溯码，并联系购买商家。","full_trace":"查看完整追溯信息","loading":"加载中…","unavailable":"暂时无法获取追溯信息。","no_events":"暂无流通记录。"}}/*end*/;
  const CSS = `:host{--shoptrace-accent:#0b7a43;--shoptrace-fg:#1d2939;--shoptrace-muted:#5b6879;--shoptrace-bg:#fff;--shoptrace-border:#d5dbe3;--shoptrace-danger:#b42318;--shoptrace-warning:#93470a;--shoptrace-radius:10px;--shoptrace-font:system-ui,-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei",sans-serif;display:inline-block;font-family:var(--shoptrace-font);color:var(--shoptrace-fg);line-height:1.45}
:host([hidden]){display:none}:host(shoptrace-trace){display:block}*{box-sizing:border-box}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
.badge{display:inline-flex;align-items:center;flex-wrap:wrap;gap:.2em .45em;font:inherit;font-size:.875em;text-align:start;color:inherit;background:var(--shoptrace-bg);border:1px solid var(--shoptrace-border);border-radius:1.2em;padding:.3em .8em .3em .3em;min-height:2.4em;cursor:pointer}
.badge:hover{border-color:var(--shoptrace-accent)}
:focus-visible{outline:3px solid var(--shoptrace-accent);outline-offset:2px}
.mark{display:inline-grid;place-items:center;width:1.6em;height:1.6em;border-radius:50%;background:var(--shoptrace-accent);color:#fff;font-weight:700}
.badge b{color:var(--shoptrace-accent)}.m{color:var(--shoptrace-muted);font-size:.875em}
.chip{border:1px solid;border-radius:.3em;padding:0 .35em;font-size:.8em;color:var(--shoptrace-accent);white-space:nowrap}.chip.self{color:var(--shoptrace-muted)}
.bad .mark{background:var(--shoptrace-danger)}.bad b{color:var(--shoptrace-danger)}
.warn .mark{background:var(--shoptrace-warning)}.warn b{color:var(--shoptrace-warning)}
dialog{padding:0;border:0;border-radius:var(--shoptrace-radius);width:min(34rem,calc(100vw - 1rem));max-height:calc(100dvh - 1rem);color:var(--shoptrace-fg);background:var(--shoptrace-bg);box-shadow:0 12px 40px #0006;font-family:var(--shoptrace-font);line-height:1.45}
dialog[open]{display:flex;flex-direction:column}dialog::backdrop{background:#000a}
.head{display:flex;align-items:center;gap:.5em;padding:.6em .6em .6em 1em;border-bottom:1px solid var(--shoptrace-border)}
.head h2{flex:1;margin:0;font-size:1.1em}
.x{font:inherit;font-size:1.5em;line-height:1;width:1.9em;height:1.9em;flex:none;border:0;border-radius:50%;background:none;color:inherit;cursor:pointer}.x:hover{background:#0001}
.body{overflow:auto;padding:1em;overscroll-behavior:contain}
.card{border:1px solid var(--shoptrace-border);border-radius:var(--shoptrace-radius);padding:1em;background:var(--shoptrace-bg)}.card>h2{margin:0 0 .6em;font-size:1.2em}
h3{font-size:.8em;text-transform:uppercase;letter-spacing:.04em;color:var(--shoptrace-muted);margin:1.3em 0 .5em}
dl{display:grid;grid-template-columns:auto 1fr;gap:.2em 1em;margin:.6em 0 0}dt{color:var(--shoptrace-muted)}dd{margin:0;overflow-wrap:anywhere}
p{margin:.2em 0}.alert{border:1px solid;border-radius:.5em;padding:.7em .9em;margin:0 0 1em;color:var(--shoptrace-danger);background:#fef3f2}
.alert.w{color:var(--shoptrace-warning);background:#fffaeb}.alert strong{font-size:1.05em}.alert p{color:var(--shoptrace-fg)}
.ok{color:var(--shoptrace-accent);font-weight:700}.no{color:var(--shoptrace-danger);font-weight:700}
ol,ul{list-style:none;margin:0;padding:0}.tl{margin-left:.35em;padding-left:1.1em;border-left:2px solid var(--shoptrace-border)}
.tl li{position:relative;padding-bottom:.8em}.tl li::before{content:"";position:absolute;left:-1.55em;top:.4em;width:.7em;height:.7em;border-radius:50%;background:var(--shoptrace-accent)}
.tl time{display:block;color:var(--shoptrace-muted);font-size:.85em}.certs li{padding:.4em 0;border-top:1px solid var(--shoptrace-border)}
.bar{height:.4em;border-radius:.2em;background:var(--shoptrace-border);overflow:hidden;margin-top:.3em}.bar i{display:block;height:100%;background:var(--shoptrace-accent)}
a{color:var(--shoptrace-accent)}.more{display:inline-block;margin-top:1em}`;

  const tr = (lang, k, a = {}) =>
    ((a.count === 1 && L[lang][k + ".one"]) || L[lang][k]).replace(/\{(\w+)\}/g, (_, n) => (a[n] == null ? "" : String(a[n])));
  const txt = (v) => (typeof v === "string" ? v : typeof v === "number" ? String(v) : "");
  const h = (tag, cls, ...kids) => {
    const e = D.createElement(tag);
    if (cls) e.className = cls;
    for (const k of kids) if (k) e.append(k); // strings become text nodes, never markup
    return e;
  };
  const safeUrl = (u) => {
    try {
      const x = new URL(txt(u), BASE);
      return /^https?:$/.test(x.protocol) ? x.href : null;
    } catch {
      return null;
    }
  };
  /* Dates as render.py writes them ("2 Apr 2026", "2026年4月2日"); times as recorded, in the
     place's own offset, not the viewer's. Text that is not ISO 8601 shows as it is. */
  const fmt = (v, lang, time) => {
    v = txt(v);
    const m = /^(\d{4}-\d\d-\d\d)(?:T(\d\d:\d\d))?/.exec(v), d = m && new Date(m[1] + "T00:00Z");
    if (!d || isNaN(d)) return v;
    const o = { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" };
    return new Intl.DateTimeFormat(lang === "en" ? "en-GB" : lang, o).format(d) + (time && m[2] ? " " + m[2] : "");
  };
  const langOf = (el) => {
    for (const v of [el.getAttribute("lang"), O.lang, D.documentElement.lang]) {
      const s = (v || "").toLowerCase();
      if (/^zh\b/.test(s)) return "zh-CN";
      if (/^en\b/.test(s)) return "en";
    }
    return "en";
  };
  /* The element's trace URL under BASE: from code= (a Digital Link, or its path from 01/ on),
     from gtin= with lot= and serial=, or for gtin= alone the listing summary (the lot now
     selling). Requests never leave BASE. */
  const urlOf = (el, lang) => {
    const a = (n) => (el.getAttribute(n) || "").trim();
    let p = null;
    if (a("code")) {
      const m = /(?:^|\/)(01\/\d{8,14}(?:\/[^?#]*?)?)\/?(?:[?#]|$)/.exec(a("code"));
      p = m && m[1];
    } else if (/^\d{8,14}$/.test(a("gtin"))) {
      const g = a("gtin").padStart(14, "0");
      p = a("lot") || a("serial") ? "01/" + g : "listings/" + g;
      if (a("lot")) p += "/10/" + encodeURIComponent(a("lot"));
      if (a("serial")) p += "/21/" + encodeURIComponent(a("serial"));
    }
    if (!p) return null;
    const u = new URL(p, BASE);
    if (!["01/", "listings/"].some((s) => u.pathname.startsWith(BASE.pathname + s))) return null;
    u.searchParams.set("lang", lang);
    return u.href;
  };

  const cache = new Map(); // one request per distinct URL on the page
  const load = (url) => {
    if (!cache.has(url))
      cache.set(
        url,
        fetch(url, { headers: { Accept: "application/json" }, credentials: "omit" }).then(async (r) => {
          const j = await r.json().catch(() => null);
          if (j && typeof j === "object" && (r.ok || (r.status === 404 && j.kind === "unknown"))) return j;
          throw Error("HTTP " + r.status);
        }),
      );
    return cache.get(url);
  };
  let sheet;
  const style = (root) => {
    try {
      if (!sheet) (sheet = new CSSStyleSheet()).replaceSync(CSS);
      root.adoptedStyleSheets = [sheet]; // not blocked by a strict style-src CSP
    } catch {
      root.append(h("style", "", CSS));
    }
  };

  const alertBox = (cls, title, ...lines) => {
    const b = h("div", cls, h("strong", "", title), ...lines.filter(Boolean).map((s) => h("p", "", s)));
    b.setAttribute("role", "alert");
    return b;
  };
  /* The trace as shoppers read it; d is the public trace JSON. */
  const view = (d, lang) => {
    const T = (k, a) => tr(lang, k, a), root = h("div", "st");
    if (d.kind === "unknown") {
      const w = d.warning || {};
      root.append(alertBox("alert", txt(w.label) || T("possible_counterfeit"), txt(w.detail) || T("counterfeit_detail"), T("counterfeit_advice")));
      return root;
    }
    const r = d.recall || {}, b = d.batch || {}, v = d.verification, now = d.now;
    if (r.recalled)
      root.append(alertBox("alert", txt(r.label) || T("recall_title"), txt(r.reason), r.since && T("recall_since", { date: fmt(r.since, lang) }), T("recall_advice")));
    const section = (k, ...kids) => root.append(h("h3", "", T(k)), ...kids.filter(Boolean));
    const pr = d.product || {};
    if (pr.description || pr.category) root.append(h("p", "m", ...[txt(pr.category && pr.category.label), txt(pr.description)].filter(Boolean).map((s, i) => (i ? " · " : "") + s)));
    const facts = h("dl");
    const fact = (k, val) => val && facts.append(h("dt", "", T(k)), h("dd", "", val));
    fact("lot", txt(d.lot || b.lot));
    fact("serial", txt(d.serial));
    fact("origin", txt(b.origin && b.origin.name));
    fact("producer", txt(b.producer && b.producer.name));
    fact("production_date", fmt(b.productionDate, lang));
    fact("expiry_date", fmt(b.expiryDate, lang));
    if (facts.firstChild) root.append(facts);
    if (v) {
      const ok = v.genuine === true;
      const sold = txt(v.soldBy), at = fmt(v.soldAt, lang);
      section(
        "authenticity",
        h("p", ok ? "ok" : "no", (ok ? "✓ " : "⚠ ") + (txt(v.label) || T(ok ? "genuine" : "possible_counterfeit"))),
        ok ? null : h("p", "", T("not_verified")),
        v.firstCheckedAt && h("p", "", T("first_checked", { date: fmt(v.firstCheckedAt, lang) })),
        typeof v.checkCount === "number" && h("p", "", v.checkCount > 0 ? T("checked_times", { count: v.checkCount }) : T("checked_first")),
        (sold || at) && h("p", "", T(sold && at ? "sold_by_on" : sold ? "sold_by" : "sold_on", { shop: sold, date: at })),
      );
    }
    if (now && (now.statusLabel || now.place))
      section("where_now", h("p", "", h("strong", "", txt(now.statusLabel)), now.statusLabel && now.place ? " · " : "", txt(now.place)), now.since && h("p", "m", T("since", { date: fmt(now.since, lang, 1) })));
    const certs = Array.isArray(d.certifications) ? d.certifications : [];
    if (certs.length)
      section("certifications", h("ul", "certs", ...certs.map((c) => h("li", "",
        h("strong", "", txt(c.label) || txt(c.scheme)), " ",
        c.verificationLabel && h("span", "chip" + (/third/.test(txt(c.verification)) ? "" : " self"), txt(c.verificationLabel)),
        h("span", "m", ...[txt(c.issuer), txt(c.number), c.validUntil && T("valid_until", { date: fmt(c.validUntil, lang) })].filter(Boolean).map((s, i) => (i ? " · " : " ") + s)),
      ))));
    const tl = Array.isArray(d.timeline) ? d.timeline : [];
    section("journey", tl.length ? h("ol", "tl", ...tl.map((e) => {
      const t = h("time", "", fmt(e.time, lang, 1));
      if (txt(e.time)) t.dateTime = e.time;
      return h("li", "", t, h("strong", "", txt(e.title) || txt(e.step)), ...[txt(e.place), txt(e.dispositionLabel)].filter(Boolean).map((s) => h("span", "m", " · " + s)));
    })) : h("p", "m", T("no_events")));
    const pc = d.completeness && Number(d.completeness.percent);
    if (pc >= 0 && pc <= 100) {
      const bar = h("div", "bar", h("i"));
      bar.firstChild.style.width = pc + "%";
      section("completeness", h("p", "", pc + "%"), bar);
    }
    const page = safeUrl(d.code);
    if (page) {
      const a = h("a", "more", T("full_trace") + " ›");
      a.href = page;
      a.target = "_blank";
      a.rel = "noopener";
      root.append(a);
    }
    return root;
  };

  class Base extends HTMLElement {
    static get observedAttributes() {
      return ["gtin", "lot", "serial", "code", "lang"];
    }
    constructor() {
      super();
      style(this.attachShadow({ mode: "open" }));
    }
    connectedCallback() {
      this.refresh();
    }
    attributeChangedCallback() {
      if (this.isConnected) this.refresh();
    }
    refresh() {
      if (this._q) return;
      this._q = 1; // attributes set together make one request
      queueMicrotask(() => {
        this._q = 0;
        const lang = langOf(this), url = urlOf(this, lang), key = url + " " + lang;
        if (this._key === key) return;
        this._key = key;
        if (!url) return this.show(lang, null, 1);
        this.show(lang, null, 0);
        load(url).then(
          (d) => {
            if (this._key !== key) return;
            this.show(lang, d, 0);
            this.emit("shoptrace-load", { kind: d.kind, recalled: !!(d.recall && d.recall.recalled) });
          },
          () => this._key === key && (this.show(lang, null, 1), this.emit("shoptrace-error", {})),
        );
      });
    }
    emit(name, detail) {
      this.dispatchEvent(new CustomEvent(name, { detail }));
    }
    /* The state as content: loading (no data), failed, or the trace. */
    content(lang, d, failed) {
      if (d) return view(d, lang);
      const p = h("p", "m", tr(lang, failed ? "unavailable" : "loading"));
      if (!failed) p.setAttribute("role", "status");
      return p;
    }
  }

  class Trace extends Base {
    show(lang, d, failed) {
      const card = h("div", "card", h("h2", "", txt(d && d.product && d.product.name) || tr(lang, "traceable")), this.content(lang, d, failed));
      card.lang = lang;
      this.setAttribute("aria-busy", String(!d && !failed));
      this.shadowRoot.replaceChildren(card);
    }
  }

  class Badge extends Base {
    constructor() {
      super();
      const s = this.shadowRoot;
      this.btn = h("button", "badge");
      this.btn.type = "button";
      this.btn.setAttribute("aria-haspopup", "dialog");
      this.btn.addEventListener("click", () => this.open());
      this.hd = h("h2");
      this.hd.id = "t";
      this.x = h("button", "x", "×");
      this.x.type = "button";
      this.x.addEventListener("click", () => this.close());
      this.body = h("div", "body");
      this.body.tabIndex = 0; // scrollable by keyboard
      this.body.setAttribute("role", "region");
      this.body.setAttribute("aria-labelledby", "t");
      const dlg = (this.dlg = h("dialog", "", h("div", "head", this.hd, this.x), this.body));
      dlg.setAttribute("role", "dialog");
      dlg.setAttribute("aria-modal", "true");
      dlg.setAttribute("aria-labelledby", "t");
      dlg.addEventListener("close", () => this.btn.focus()); // closed some other way
      dlg.addEventListener("click", (e) => e.target === dlg && this.close()); // the backdrop
      dlg.addEventListener("keydown", (e) => {
        if (e.key === "Escape") {
          e.preventDefault();
          this.close();
        } else if (e.key === "Tab") {
          const f = [...dlg.querySelectorAll("a[href],button,[tabindex='0']")].filter((x) => x.getClientRects().length);
          const i = f.indexOf(s.activeElement), last = f.length - 1;
          if (e.shiftKey ? i <= 0 : i < 0 || i === last) {
            e.preventDefault();
            f[e.shiftKey ? last : 0].focus();
          }
        }
      });
      s.append(this.btn, dlg);
    }
    open() {
      if (this.dlg.open) return;
      if (this.dlg.showModal) this.dlg.showModal();
      else this.dlg.setAttribute("open", "");
      this.x.focus();
    }
    close() {
      if (this.dlg.open) this.dlg.close();
      else this.dlg.removeAttribute("open");
      this.btn.focus(); // now, not when the close event comes
    }
    show(lang, d, failed) {
      const T = (k) => tr(lang, k), b = this.btn;
      const r = d && d.recall && d.recall.recalled, unknown = d && d.kind === "unknown";
      const label = unknown ? txt(d.warning && d.warning.label) || T("possible_counterfeit") : r ? txt(d.recall.label) || T("recall_title") : T("traceable");
      b.className = "badge" + (unknown ? " warn" : r ? " bad" : "");
      b.lang = this.dlg.lang = lang;
      b.replaceChildren(h("span", "mark", unknown || r ? "!" : "✓"), h("b", "", label));
      b.setAttribute("aria-busy", String(!d && !failed));
      if (d && !unknown) {
        const origin = txt(d.batch && d.batch.origin && d.batch.origin.name);
        if (origin) b.append(h("span", "m", origin));
        for (const c of (Array.isArray(d.certifications) ? d.certifications : []).slice(0, 3))
          b.append(h("span", "chip" + (/third/.test(txt(c.verification)) ? "" : " self"), txt(c.label) || txt(c.scheme)));
      }
      b.append(h("span", "sr", ", " + T("view_trace")));
      this.x.setAttribute("aria-label", T("close"));
      this.hd.textContent = txt(d && d.product && d.product.name) || T("traceable");
      this.body.replaceChildren(this.content(lang, d, failed));
    }
  }

  if (!CE.get("shoptrace-trace")) CE.define("shoptrace-trace", Trace);
  CE.define("shoptrace-badge", Badge);
})();
