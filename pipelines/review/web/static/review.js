/* Review app: keyboard shortcuts and "select text in the document to correct a field".
   Plain JS, no dependencies. Document offsets are Python code points: every text segment
   carries data-start/data-end, and offsets inside a segment are counted in code points. */
(function () {
  "use strict";

  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));
  const isTyping = (el) => !!el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" ||
    el.tagName === "SELECT" || el.isContentEditable);
  const modified = (e) => e.ctrlKey || e.metaKey || e.altKey;
  const cpLen = (s) => { let n = 0; for (const _ of s) n++; return n; }; // eslint-disable-line no-unused-vars
  const cpSlice = (s, a, b) => Array.from(s).slice(a, b).join("");

  function toggleHelp(force) {
    const help = $("#help");
    if (!help) return;
    help.hidden = force === undefined ? !help.hidden : !force;
  }

  function guardSubmits() {
    // One click, one decision: a double submit would only earn a 409.
    $$("form[method=post]").forEach((f) => f.addEventListener("submit", (e) => {
      setTimeout(() => { if (!e.defaultPrevented) $$("button[type=submit]", f).forEach((b) => { b.disabled = true; }); }, 0);
    }));
  }

  // ---- queue ---------------------------------------------------------------------------------
  function initQueue() {
    const rows = $$("#queue-table tbody tr.row");
    let cur = Math.max(0, rows.findIndex((r) => r.classList.contains("current")));
    const move = (d) => {
      if (!rows.length) return;
      rows[cur].classList.remove("current");
      cur = Math.min(rows.length - 1, Math.max(0, cur + d));
      rows[cur].classList.add("current");
      rows[cur].scrollIntoView({ block: "nearest" });
    };
    rows.forEach((r, i) => r.addEventListener("click", (e) => {
      if (e.target.closest("a")) return;
      cur = i;
      location.href = r.dataset.href;
    }));
    $$("#filters select").forEach((s) => s.addEventListener("change", () => $("#filters").submit()));
    document.addEventListener("keydown", (e) => {
      if (e.key === "Escape") { if (isTyping(e.target)) e.target.blur(); toggleHelp(false); return; }
      if (modified(e) || isTyping(e.target)) return;
      const k = e.key;
      if (k === "j" || k === "ArrowDown") move(1);
      else if (k === "k" || k === "ArrowUp") move(-1);
      else if ((k === "Enter" || k === "o") && rows[cur]) location.href = rows[cur].dataset.href;
      else if (k === "/") $("#source-filter").focus();
      else if (k === "?") toggleHelp();
      else return;
      e.preventDefault();
    });
  }

  // ---- item ----------------------------------------------------------------------------------
  function initItem() {
    const root = $("#item");
    const docText = $("#doc-text");
    const docPages = $("#doc-pages");
    const rows = $$("#fields tr.field");
    const canAct = root.dataset.canAct === "1";
    const hint = $("#selection-hint");
    const segs = $$(".seg", docText); // document order; split in place when a selection cuts one
    let active = null;
    let pending = null; // a selection made before a field was picked

    const say = (msg) => { if (hint) hint.textContent = msg; };
    const rowFor = (name) => rows.find((r) => r.dataset.field === name) || null;
    const segsOf = (name) => $$(".seg[data-fields]", docText).filter((s) => s.dataset.fields.split(" ").includes(name));
    const flash = (els) => {
      els.forEach((el) => { el.classList.remove("blink"); void el.offsetWidth; el.classList.add("blink"); });
      setTimeout(() => els.forEach((el) => el.classList.remove("blink")), 1500);
    };

    // Page images: evidence boxes positioned from fractions of the page size.
    const overlays = $("#overlays") ? JSON.parse($("#overlays").textContent || "{}") : {};
    $$("figure.page").forEach((fig) => {
      const boxes = $(".boxes", fig);
      (overlays[fig.dataset.page] || []).forEach((b) => {
        const d = document.createElement("div");
        d.className = "box";
        d.dataset.field = b.field;
        d.style.left = (b.x * 100) + "%";
        d.style.top = (b.y * 100) + "%";
        d.style.width = (b.w * 100) + "%";
        d.style.height = (b.h * 100) + "%";
        boxes.appendChild(d);
      });
    });
    const showView = (v) => {
      if (!docPages) return;
      docText.hidden = v !== "text";
      docPages.hidden = v !== "pages";
      $$(".tab").forEach((t) => t.classList.toggle("active", t.dataset.view === v));
    };
    $$(".tab").forEach((t) => t.addEventListener("click", () => showView(t.dataset.view)));

    function setActive(row, scroll) {
      rows.forEach((r) => r.classList.toggle("active", r === row));
      $$(".seg.active-ev").forEach((s) => s.classList.remove("active-ev"));
      $$(".box.active").forEach((b) => b.classList.remove("active"));
      active = row;
      if (!row) { say("Pick a field (number keys or click), then select its text in the document."); return; }
      const name = row.dataset.field;
      const ev = segsOf(name);
      ev.forEach((s) => s.classList.add("active-ev"));
      const boxes = $$(".box").filter((b) => b.dataset.field === name);
      boxes.forEach((b) => b.classList.add("active"));
      if (scroll !== false) {
        const target = docText.hidden ? boxes[0] : ev[0];
        if (target) { target.scrollIntoView({ block: "center", behavior: "smooth" }); flash(docText.hidden ? boxes : ev); }
      }
      row.scrollIntoView({ block: "nearest" });
      if (pending && canAct && $(".cval", row)) { fill(row, pending); pending = null; return; }
      say(canAct && $(".cval", row) ? `Field ${name}: select its text in the document, or press e to type.` : `Field ${name}.`);
    }

    // A range boundary as an offset into the document text.
    function offsetAt(node, offset) {
      if (node.nodeType === Node.TEXT_NODE && node.parentElement && node.parentElement.classList.contains("seg")) {
        return +node.parentElement.dataset.start + cpLen(node.data.slice(0, offset));
      }
      if (node.nodeType === Node.ELEMENT_NODE && node.classList.contains("seg")) {
        return offset === 0 ? +node.dataset.start : +node.dataset.end;
      }
      // Between elements: the start of the first segment at or after the point (binary search).
      const probe = document.createRange();
      probe.setStart(node, offset);
      let lo = 0, hi = segs.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (probe.comparePoint(segs[mid], 0) >= 0) hi = mid; else lo = mid + 1;
      }
      return lo < segs.length ? +segs[lo].dataset.start : (segs.length ? +segs[segs.length - 1].dataset.end : 0);
    }

    function textBetween(start, end) {
      let out = "";
      for (const s of segs) {
        const a = +s.dataset.start, b = +s.dataset.end;
        if (b <= start) continue;
        if (a >= end) break;
        out += cpSlice(s.textContent, Math.max(0, start - a), Math.min(b, end) - a);
      }
      return out;
    }

    function selectionSpan() {
      const sel = window.getSelection();
      if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return null;
      const range = sel.getRangeAt(0);
      if (!docText.contains(range.startContainer) || !docText.contains(range.endContainer)) return null;
      let start = offsetAt(range.startContainer, range.startOffset);
      let end = offsetAt(range.endContainer, range.endOffset);
      if (end <= start) return null;
      let text = textBetween(start, end);
      const lead = cpLen(text) - cpLen(text.replace(/^\s+/u, ""));
      const trail = cpLen(text) - cpLen(text.replace(/\s+$/u, ""));
      start += lead; end -= trail;
      text = text.trim();
      return text ? { start, end, text } : null;
    }

    // Cut the segment holding `off` in two, so a picked span is highlighted exactly.
    function splitAt(off) {
      const i = segs.findIndex((s) => +s.dataset.start < off && off < +s.dataset.end);
      if (i < 0) return;
      const seg = segs[i];
      const cps = Array.from(seg.textContent);
      const cut = off - +seg.dataset.start;
      const twin = seg.cloneNode(false);
      seg.textContent = cps.slice(0, cut).join("");
      seg.dataset.end = off;
      twin.textContent = cps.slice(cut).join("");
      twin.dataset.start = off;
      seg.after(twin);
      segs.splice(i + 1, 0, twin);
    }

    function fill(row, span) {
      const input = $(".cval", row);
      if (!input) return;
      if (row.dataset.list) { say(`${row.dataset.field} is a list: type it as JSON (press e).`); return; }
      input.value = span.text;
      input.dataset.picked = span.text;
      $(".cstart", row).value = span.start;
      $(".cend", row).value = span.end;
      $(".span-info", row).textContent = `selected ${span.start}–${span.end}`;
      row.classList.add("edited");
      const name = row.dataset.field;
      $$(`.seg.picked[data-picked-by~="${CSS.escape(name)}"]`, docText).forEach((s) => {
        const by = s.dataset.pickedBy.split(" ").filter((x) => x !== name);
        s.dataset.pickedBy = by.join(" ");
        if (!by.length) s.classList.remove("picked");
      });
      splitAt(span.start);
      splitAt(span.end);
      segs.forEach((s) => {
        if (+s.dataset.end > span.start && +s.dataset.start < span.end) {
          s.classList.add("picked");
          s.dataset.pickedBy = ((s.dataset.pickedBy || "") + " " + name).trim();
        }
      });
      say(`${name} ← “${span.text.length > 60 ? span.text.slice(0, 60) + "…" : span.text}” (${span.start}–${span.end}). Press s to save.`);
    }

    function useSelection() {
      const span = selectionSpan();
      if (!span || !canAct) return null;
      if (active && $(".cval", active)) { fill(active, span); pending = null; }
      else { pending = span; say(`Selected “${span.text.slice(0, 60)}” (${span.start}–${span.end}): press a field's number to use it.`); }
      return span;
    }

    let timer = null;
    document.addEventListener("selectionchange", () => { clearTimeout(timer); timer = setTimeout(useSelection, 120); });
    docText.addEventListener("mouseup", () => { clearTimeout(timer); useSelection(); });

    rows.forEach((row) => {
      row.addEventListener("click", (e) => { if (!e.target.closest("input")) setActive(row); });
      const input = $(".cval", row);
      if (!input) return;
      input.addEventListener("focus", () => { if (active !== row) setActive(row, false); });
      input.addEventListener("input", () => {
        // Typed, not selected: the value no longer comes from a span of the document.
        if (input.value !== input.dataset.picked) {
          $(".cstart", row).value = "";
          $(".cend", row).value = "";
          $(".span-info", row).textContent = input.value ? "typed" : "";
        }
        row.classList.toggle("edited", input.value !== "");
      });
    });
    $$(".field-link").forEach((a) => a.addEventListener("click", (e) => {
      e.preventDefault();
      const row = rowFor(a.dataset.field);
      if (row) setActive(row);
    }));

    const edited = () => rows.some((r) => { const i = $(".cval", r); return i && i.value !== ""; });
    const submit = (id) => { const f = $(id); if (f) { f.requestSubmit ? f.requestSubmit() : f.submit(); return true; } return false; };

    let digits = "", digitTimer = null;
    function pickByDigit(d) {
      clearTimeout(digitTimer);
      digits += d;
      const n = parseInt(digits, 10);
      const row = rows.find((r) => +r.dataset.index === n);
      if (row) setActive(row);
      if (n * 10 <= rows.length) digitTimer = setTimeout(() => { digits = ""; }, 600);
      else digits = "";
    }

    document.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        if (isTyping(e.target)) { e.target.blur(); return; }
        toggleHelp(false);
        setActive(null);
        pending = null;
        const sel = window.getSelection();
        if (sel) sel.removeAllRanges();
        return;
      }
      if (modified(e) || isTyping(e.target)) return;
      const k = e.key;
      if (/^[0-9]$/.test(k)) { pickByDigit(k); e.preventDefault(); return; }
      const moveField = (d) => {
        const i = active ? rows.indexOf(active) : -1;
        const next = rows[Math.min(rows.length - 1, Math.max(0, i + d))];
        if (next) setActive(next);
      };
      switch (k) {
        case "a":
          if (!canAct) return;
          if (edited() && !window.confirm("Drop the typed corrections and accept as proposed?")) return;
          submit("#accept-form");
          break;
        case "r": { const r = $("#reject-reason"); if (!r) return; r.focus(); break; }
        case "s":
          if (!canAct) return;
          if (!edited()) { say("Nothing to save yet: pick a field and select or type its value."); break; }
          submit("#correct-form");
          break;
        case "e": { const i = active && $(".cval", active); if (!i) return; i.focus(); i.select(); break; }
        case "p": if (!submit("#propose-form")) return; break;
        case "n": location.href = $("#next-link").href; break;
        case "q": location.href = $("#queue-link").href; break;
        case "v": showView(docText.hidden ? "text" : "pages"); break;
        case "j": moveField(1); break;
        case "k": moveField(-1); break;
        case "?": toggleHelp(); break;
        default: return;
      }
      e.preventDefault();
    });

    // The reject box: Enter submits (the form does that), and a reason is required.
    const reason = $("#reject-reason");
    if (reason) $("#reject-form").addEventListener("submit", (e) => {
      if (!reason.value.trim()) { e.preventDefault(); reason.focus(); say("Type why you reject it, then Enter."); }
    });

    // For tests and power users: the same handler a mouse selection triggers.
    window.mapperReview = { useSelection, setActive: (name) => setActive(rowFor(name)), selectionSpan };
  }

  // ---- candidate -----------------------------------------------------------------------------
  function initCandidate() {
    document.addEventListener("keydown", (e) => {
      if (e.key === "Escape") { toggleHelp(false); return; }
      if (modified(e) || isTyping(e.target)) return;
      if (e.key === "P") { const b = $("#promote"); if (b && !b.disabled) b.click(); }
      else if (e.key === "b") { const a = $("#back-link"); if (a) location.href = a.href; }
      else if (e.key === "?") toggleHelp();
      else return;
      e.preventDefault();
    });
  }

  function initOther() {
    document.addEventListener("keydown", (e) => {
      if (e.key === "Escape") toggleHelp(false);
      else if (e.key === "?" && !isTyping(e.target)) toggleHelp();
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const help = $("#help-toggle");
    if (help) help.addEventListener("click", () => toggleHelp());
    guardSubmits();
    const page = document.body.dataset.page;
    if (page === "queue") initQueue();
    else if (page === "item") initItem();
    else if (page === "candidate") initCandidate();
    else initOther();
  });
})();
