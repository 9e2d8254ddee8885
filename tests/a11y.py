"""Accessibility checks in a real browser: axe-core (vendored for tests), tap targets, reflow."""
from __future__ import annotations

from pathlib import Path

AXE = (Path(__file__).parent / "vendor" / "axe-core-4.14.1.min.js").read_text(encoding="utf-8")
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# What a finger must hit: controls, navigation links and standalone buttons; links inside
# running text are exempt (WCAG 2.5.8 inline exception).
TARGETS = ("button:not([hidden]), input:not([type=hidden]):not([type=radio]):not([type=checkbox]), select, "
           "textarea, nav a, a.button, label.choice, label.check, .quiz-nav a")


def axe_violations(page) -> list[dict]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE)
    result = page.evaluate("(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS)
    return [{"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"]]


def small_targets(page, minimum: int = 44) -> list[str]:
    return page.evaluate("""([selector, minimum]) => {
        const out = [];
        for (const el of document.querySelectorAll(selector)) {
            const r = el.getBoundingClientRect();
            if (r.width === 0 || r.height === 0 || el.closest('[hidden]')) continue;
            if (r.width < minimum || r.height < minimum) {
                out.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.className ? '.' + el.className : ''} `
                         + `${Math.round(r.width)}x${Math.round(r.height)} "${(el.innerText || el.value || '').slice(0, 30)}"`);
            }
        }
        return out;
    }""", [TARGETS, minimum])


def overflows(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth + 1")


def faint_controls(page) -> list[str]:
    """Links and buttons whose text contrast against the first opaque background behind
    them is below WCAG AA (4.5:1, 3:1 for large text). A backstop for axe, which files
    the cases it cannot settle as "incomplete" rather than as violations: the quiz's
    review link once rendered white on the white card and passed axe."""
    return page.evaluate("""() => {
        const rgba = s => (s.match(/[\\d.]+/g) || []).map(Number);
        const lum = ([r, g, b]) => {
            const f = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
            return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
        };
        const behind = el => {
            for (let e = el; e; e = e.parentElement) {
                const c = rgba(getComputedStyle(e).backgroundColor);
                if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c;
            }
            return [255, 255, 255];
        };
        const out = [];
        for (const el of document.querySelectorAll('a, button')) {
            const r = el.getBoundingClientRect();
            const text = (el.innerText || '').trim();
            if (!r.width || !r.height || !text || el.closest('[hidden]')) continue;
            const style = getComputedStyle(el);
            const [hi, lo] = [lum(rgba(style.color)), lum(behind(el))].sort((x, y) => y - x);
            const ratio = (hi + 0.05) / (lo + 0.05);
            const size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight, 10) >= 700;
            const needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
            if (ratio < needed) out.push(`${el.tagName.toLowerCase()} "${text.slice(0, 30)}" ${ratio.toFixed(2)}:1`);
        }
        return out;
    }""")


def check_page(page, name: str) -> list[str]:
    """All problems found on the current page, as readable lines."""
    problems = [f"{name}: axe {v['id']} ({v['help']}) at {v['nodes']}" for v in axe_violations(page)]
    problems += [f"{name}: low contrast: {t}" for t in faint_controls(page)]
    problems += [f"{name}: tap target too small: {t}" for t in small_targets(page)]
    if overflows(page):
        problems.append(f"{name}: content wider than the screen")
    return problems
