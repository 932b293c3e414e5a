"""A reader's view: headless Chromium loads the built pages with no network at all.

Every page loads with no request off localhost and no console error. Every in-page explorer
computes and draws; one is driven with the keyboard and the mouse, its verdict and picture must
follow, and its state must round-trip through the URL hash. Chapter 1's playground trains with the
keyboard: play, pause and step move its picture and numbers, and its settings round-trip too.

Locally the test skips, with its reason, when no Chromium is installed; in CI (``CI`` set) a
missing Chromium is a failure. Screenshots go to ``_build/screenshots/`` for a human to look at:
each page, each explorer at desktop (1280 px) and phone (390 px) width, light and dark, and the
playground at both widths.
"""

from __future__ import annotations

import pytest

from _book import HTML, ROOT, build_book, is_notebook, notebooks, toc_files
from _browser import chromium, require_chromium, serve

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync"]
SHOTS = ROOT / "_build" / "screenshots"


@pytest.fixture(scope="module")
def server():
    require_chromium()
    assert build_book().returncode == 0, "the book did not build; see test_book.py"
    with serve(HTML) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with chromium(FLAGS) as b:
        yield b


def _open(browser, url, width=1280, scheme="light"):
    """Open a page with every request off localhost refused: the reader has no network.
    ``page.errors`` collects console errors and uncaught exceptions."""
    page = browser.new_page(viewport={"width": width, "height": 900}, color_scheme=scheme)
    blocked = []
    page.errors = []
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(f"uncaught: {e}"))

    def route(r):
        if r.request.url.startswith(("http://127.0.0.1", "data:", "blob:")):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(url, wait_until="load")
    return page, blocked


@pytest.mark.parametrize("doc", toc_files())
def test_page_renders_offline(server, browser, doc):
    page, blocked = _open(browser, f"{server}/{doc}.html")
    try:
        page.wait_for_load_state("networkidle")
        assert not blocked, f"{doc}: the page asked the network for {blocked}"
        assert "Init Lab" in page.title()
        h1 = page.locator("main h1").first.inner_text()
        assert h1.strip(), f"{doc}: empty title"
        # Every image on the page decoded (executed figures are PNGs in _images/).
        broken = page.evaluate("""() => [...document.querySelectorAll('main img')]
            .filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)""")
        assert not broken, f"{doc}: images that did not load: {broken}"
        if doc in notebooks():
            n = page.evaluate("() => document.querySelectorAll('main .cell_output img').length")
            assert n >= 1, f"{doc}: no executed figure shown"
        # Math: MathJax typesets every math node, from the copy served by the build.
        n_math = page.evaluate("() => document.querySelectorAll('main .math').length")
        if n_math:
            page.wait_for_function(
                "() => window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0 && "
                "document.querySelectorAll('main .MathJax, main .MathJax_Display').length > 0",
                timeout=30000)
            state = page.evaluate("""() => ({
                typeset: document.querySelectorAll('main .MathJax, main .MathJax_Display').length,
                errors: document.querySelectorAll('main .MathJax_Error, main merror').length,
                raw: [...document.querySelectorAll('main .math')].filter(
                    m => !m.querySelector('.MathJax, .MathJax_Display, .MathJax_Preview')
                         && /\\\\[a-zA-Z]/.test(m.textContent)).length})""")
            assert state["errors"] == 0, f"{doc}: MathJax errors {state}"
            assert state["raw"] == 0, f"{doc}: untypeset math {state}"
        if _has_explorer(doc):
            _wait_for_explorers(page)
        assert not page.errors, f"{doc}: console errors {page.errors}"
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{doc.replace('/', '_')}.png"), full_page=True)
    finally:
        page.close()


# ---------------------------------------------------------------------------------------------
# The in-page explorer

def _has_explorer(doc) -> bool:
    """A chapter with an explorer directive (the API page only shows one as an example)."""
    return is_notebook(doc) and "```{initlab-explorer}" in (ROOT / f"{doc}.md").read_text(encoding="utf-8")


def _wait_for_explorers(page):
    """Every explorer of the page has replaced its static picture and drawn a verdict."""
    n = page.locator(".initlab-explorer").count()
    assert n >= 1
    page.wait_for_function(
        "() => [...document.querySelectorAll('.initlab-explorer')].every(e => e.dataset.verdict"
        " && !e.hasAttribute('aria-busy'))", timeout=30000)
    return n


def _picture(page):
    """The explorer's three canvases, as PNG data URLs."""
    return page.evaluate("() => [...document.querySelectorAll('.initlab-explorer canvas')]"
                         ".map(c => c.toDataURL())")


def _settled(page, before):
    """Wait until the verdict differs from ``before`` and the explorer is idle; return it."""
    page.wait_for_function(
        "(v) => { const e = document.querySelector('.initlab-explorer');"
        " return e.dataset.verdict !== v && !e.hasAttribute('aria-busy'); }", arg=before,
        timeout=30000)
    return page.locator(".initlab-explorer").first.get_attribute("data-verdict")


EXPLORER_DOCS = [doc for doc in toc_files() if _has_explorer(doc)]


def test_every_chapter_has_an_in_page_explorer():
    missing = [doc for doc in notebooks() if doc not in EXPLORER_DOCS]
    assert not missing, f"no initlab-explorer directive in {missing}"


@pytest.mark.parametrize("doc", EXPLORER_DOCS)
def test_explorer_screenshots(server, browser, doc):
    """Each explorer at desktop and phone width, light and dark, for a human to look at; the
    panels fit the page at phone width (no sideways scroll)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        for scheme in ("light", "dark"):
            page, blocked = _open(browser, f"{server}/{doc}.html", width=width, scheme=scheme)
            try:
                n = _wait_for_explorers(page)
                assert page.evaluate("() => document.documentElement.dataset.theme") == scheme
                # The theme's sticky headers would cover the top of an element screenshot.
                page.add_style_tag(content=".bd-header, .bd-header-article { position: static !important; }"
                                   " .skip-link { display: none !important; }")
                for i in range(n):
                    explorer = page.locator(".initlab-explorer").nth(i)
                    explorer.scroll_into_view_if_needed()
                    box = explorer.bounding_box()
                    assert box["width"] <= width, f"{doc}: explorer {i} is wider than the page"
                    overflow = explorer.evaluate("e => e.scrollWidth - e.clientWidth")
                    assert overflow <= 1, f"{doc}: explorer {i} scrolls sideways at {width} px"
                    explorer.screenshot(path=str(SHOTS / f"explorer-{doc.replace('/', '_')}-{i}-{width}-{scheme}.png"))
                assert not blocked and not page.errors, (blocked, page.errors)
            finally:
                page.close()


def test_explorer_follows_keyboard_and_mouse_and_round_trips_its_hash(server, browser):
    page, blocked = _open(browser, f"{server}/book/intro.html")
    try:
        _wait_for_explorers(page)
        root = page.locator(".initlab-explorer").first
        assert root.locator(".initlab-explorer-static").is_hidden()     # the live view replaced it
        verdict = root.get_attribute("data-verdict")
        assert verdict.startswith("vanishing"), verdict                   # ReLU with glorot_uniform
        live = root.locator(".ilx-verdict")
        assert live.get_attribute("role") == "status" and live.get_attribute("aria-live") == "polite"
        for control in root.locator("select, input").all():               # every control is labelled
            assert control.evaluate("c => c.labels.length") == 1
        picture = _picture(page)

        # Keyboard: focus the initializer menu and pick he_normal with the arrow keys.
        init = root.locator("select[name=init]")
        init.focus()
        options = init.evaluate("s => [...s.options].map(o => o.value)")
        for _ in range(options.index("he_normal") - options.index("glorot_uniform")):
            page.keyboard.press("ArrowDown")
        assert init.input_value() == "he_normal"
        verdict2 = _settled(page, verdict)
        assert verdict2.startswith("healthy"), verdict2                    # He et al. (2015)
        picture2 = _picture(page)
        assert picture2 != picture

        # A new draw and a shallower network, then a preset: it sets the whole scenario, the
        # directive's depth and seed included, whatever was done before.
        root.locator("button.ilx-resample").click()
        depth = root.locator("input[name=depth]")
        depth.focus()
        page.keyboard.press("ArrowLeft")
        page.wait_for_function("() => document.querySelector('.initlab-explorer').initlabExplorer.state.depth === 29")
        # Keyboard: a preset button takes Enter.
        root.locator("button.ilx-break", has_text="zero").focus()
        page.keyboard.press("Enter")
        verdict3 = _settled(page, verdict2)
        assert verdict3.startswith("no signal"), verdict3
        state = page.evaluate("() => document.querySelector('.initlab-explorer').initlabExplorer.state")
        assert (state["depth"], state["seed"], state["init"]) == (30, 0, "zeros"), state

        # Mouse: pick the tanh activation, the fix preset, then drag the weight scale far right.
        root.locator("button.ilx-fix", has_text="Xavier + tanh").click()
        verdict4 = _settled(page, verdict3)
        slider = root.locator("input[name=scale]")
        box = slider.bounding_box()
        page.mouse.click(box["x"] + box["width"] - 2, box["y"] + box["height"] / 2)
        verdict5 = _settled(page, verdict4)
        assert float(slider.input_value()) > 1.5                          # scale > 30
        assert verdict5.startswith(("saturated", "exploding")), verdict5
        # Keyboard on a slider: one step left moves the scale by 0.01 decade.
        before = float(slider.input_value())
        slider.focus()
        page.keyboard.press("ArrowLeft")
        page.wait_for_function("(v) => +document.querySelector('input[name=scale]').value < v", arg=before)

        # The URL hash holds the state; a new page opened on it shows the same network.
        page.wait_for_function("() => !document.querySelector('.initlab-explorer').hasAttribute('aria-busy')")
        hash_ = page.evaluate("() => location.hash")
        state = page.evaluate("() => document.querySelector('.initlab-explorer').initlabExplorer.state")
        shown = root.get_attribute("data-verdict")
        assert hash_.startswith("#explorer:") and "activation=tanh" in hash_
        other, blocked2 = _open(browser, f"{server}/book/intro.html{hash_}")
        try:
            _wait_for_explorers(other)
            assert other.evaluate("() => document.querySelector('.initlab-explorer').initlabExplorer.state") == state
            assert other.locator(".initlab-explorer").first.get_attribute("data-verdict") == shown
            assert other.locator("select[name=activation]").input_value() == "tanh"
            assert not blocked2 and not other.errors, (blocked2, other.errors)
        finally:
            other.close()
        assert not blocked and not page.errors, (blocked, page.errors)
    finally:
        page.close()


def test_explorer_with_draws_shows_their_median_and_range(server, browser):
    """Chapter 2's finite-width explorer runs 5 seeds: its legend and rule say so, the status counts
    the draws, "new random draws" moves to the next 5 seeds, and its narrow preset is not healthy."""
    page, blocked = _open(browser, f"{server}/book/02-variance-theory.html")
    try:
        _wait_for_explorers(page)
        root = page.locator(".initlab-explorer").first
        assert root.locator(".ilx-key-band").inner_text() == "median and range over 5 draws"
        assert "median line" in root.locator(".ilx-rule").inner_text()
        assert "(5 draws)" in root.locator(".ilx-status").inner_text()
        verdict = root.get_attribute("data-verdict")
        assert verdict.startswith("healthy"), verdict                       # He + ReLU at width 256
        picture = _picture(page)
        root.locator("button.ilx-break", has_text="very narrow").click()
        verdict2 = _settled(page, verdict)
        assert verdict2.startswith(("vanishing", "dying")), verdict2
        root.locator("button.ilx-resample").click()
        page.wait_for_function("() => document.querySelector('.initlab-explorer').initlabExplorer.state.seed === 5")
        page.wait_for_function("() => !document.querySelector('.initlab-explorer').hasAttribute('aria-busy')")
        assert _picture(page)[1] != picture[1]
        assert "its std at layer 1 (relu has no fixed range)" in root.locator(".ilx-heat-note").inner_text()

        # A moving slider shows one draw (fast), and letting it go brings back all five.
        statuses = page.evaluate("""async () => {
            const ex = document.querySelector('.initlab-explorer').initlabExplorer;
            const slider = ex.controls.scale, seen = [];
            new MutationObserver(() => seen.push(ex.statusEl.textContent))
                .observe(ex.statusEl, {childList: true, characterData: true, subtree: true});
            slider.value = String(Number(slider.value) + 0.05);
            await ex.fromControl('scale');
            const moving = {band: ex.result.band, status: ex.statusEl.textContent};
            await ex.settle();
            return {moving, seen, band: ex.result.band !== null, status: ex.statusEl.textContent};
        }""")
        assert statuses["moving"]["band"] is None and "1 draw while the slider moves" in statuses["moving"]["status"]
        assert statuses["band"] and "(5 draws)" in statuses["status"], statuses
        assert not blocked and not page.errors, (blocked, page.errors)
    finally:
        page.close()


def test_window_initlab_is_the_engine(server, browser):
    """Every page publishes the engine; it computes and names what is valid."""
    page, _ = _open(browser, f"{server}/book/api.html")
    try:
        page.wait_for_function("() => window.InitLab && window.InitLab.simulate")
        out = page.evaluate("""() => {
            const s = InitLab.simulate({depth: 30, width: 256, batch: 32, activation: "relu",
                                        init: "glorot_normal", seed: 0});
            let error = "";
            try { InitLab.simulate({init: "xavier"}); } catch (e) { error = e.message; }
            return {ratio: s.ratio, verdict: InitLab.verdict(s), simd: InitLab.HAS_WASM_SIMD, error};
        }""")
        assert out["ratio"] < 1e-3 and out["verdict"].startswith("vanishing") and out["simd"]
        assert "Valid: zeros, ones" in out["error"]
        assert not page.errors, page.errors
    finally:
        page.close()


# ---------------------------------------------------------------------------------------------
# The in-page playground (chapter 1)

PLAYGROUND_DOC = "book/01-what-not-to-do"


def _playground(page):
    page.wait_for_function("() => document.querySelector('.initlab-playground.ilp-ready')", timeout=30000)
    return page.locator(".initlab-playground").first


def _playground_picture(page):
    return page.evaluate("() => [...document.querySelectorAll('.initlab-playground canvas')].map(c => c.toDataURL())")


def _step(root):
    return int(root.get_attribute("data-step"))


def _spread(page):
    """Unit spread of hidden layer 1, read from the engine state the playground exposes."""
    return page.evaluate("""() => { const t = document.querySelector('.initlab-playground').initlabPlayground.trainer;
        const W = t.params[0].W, n = t.sizes[1]; let s = 0;
        for (let k = 0; k < t.sizes[0]; k++)
            for (let j = 0; j < n; j++) s = Math.max(s, Math.abs(W[k * n + j] - W[k * n]));
        return s; }""")


def _play_until(page, root, steps):
    """Press play (Enter on the focused button), wait for ``steps`` steps, press pause (Space)."""
    play = root.locator("button.ilp-play")
    play.focus()
    page.keyboard.press("Enter")
    assert play.inner_text().endswith("pause")                       # the button now pauses
    page.wait_for_function(f"() => +document.querySelector('.initlab-playground').dataset.step >= {steps}",
                           timeout=30000)
    page.keyboard.press("Space")
    assert play.inner_text().endswith("play")
    return _step(root)


def check_playground(browser, url):
    """Chapter 1's playground trains with the keyboard: play, pause and step change the picture and
    the numbers; a constant preset keeps the hidden units identical, a fix separates them; the
    settings round-trip through the URL hash; no console error, no request off localhost."""
    page, blocked = _open(browser, f"{url}/{PLAYGROUND_DOC}.html")
    try:
        root = _playground(page)
        assert root.locator(".initlab-playground-static").is_hidden()
        status = root.locator(".ilp-status")
        assert status.get_attribute("role") == "status" and status.get_attribute("aria-live") == "polite"
        for control in root.locator("select, input").all():
            assert control.evaluate("c => c.labels.length") == 1
        # No menu spills out of its control's cell, at any width between phone and desktop.
        for width in (1100, 900, 1280):
            page.set_viewport_size({"width": width, "height": 900})
            spill = page.evaluate("""() => Math.max(...[...document.querySelectorAll('.initlab-playground select')]
                .map(s => s.getBoundingClientRect().right - s.closest('label').getBoundingClientRect().right))""")
            assert spill <= 1, f"a playground menu spills {spill:.0f} px out of its cell at {width} px"
        assert _step(root) == 0
        picture, numbers = _playground_picture(page), root.locator(".ilp-numbers").inner_text()

        # Play, then pause, with the keyboard: the picture and the numbers move, then stop.
        paused = _play_until(page, root, 30)
        page.wait_for_timeout(300)
        assert _step(root) == paused
        assert f"Step {paused}:" in status.inner_text()
        picture2 = _playground_picture(page)
        assert all(a != b for a, b in zip(picture, picture2))       # all four panels changed
        assert root.locator(".ilp-numbers").inner_text() != numbers
        # Tab to "step", Enter: exactly one more step, announced.
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.className") == "ilp-step"
        page.keyboard.press("Enter")
        assert _step(root) == paused + 1 and f"Step {paused + 1}:" in status.inner_text()
        assert _playground_picture(page)[1] != picture2[1]                # the loss curve grew

        # A constant start: the units stay copies (one dot); the fix separates them.
        root.locator("button.ilx-break", has_text="constant 0.5").focus()
        page.keyboard.press("Enter")
        assert _step(root) == 0 and root.locator("select[name=init]").input_value() == "ones"
        _play_until(page, root, 200)
        assert _spread(page) == 0 and root.get_attribute("data-distinct") == "1"
        assert "4 units, 1 distinct" in status.inner_text()
        hash_ = page.evaluate("() => location.hash")
        assert hash_.startswith("#playground:") and "init=ones" in hash_ and "scale=0.5" in hash_
        root.locator("button.ilx-fix", has_text="Glorot + tanh").click()
        _play_until(page, root, 200)
        assert _spread(page) > 0 and root.get_attribute("data-distinct") == "4"
        SHOTS.mkdir(parents=True, exist_ok=True)
        root.screenshot(path=str(SHOTS / "playground-1280.png"))

        # The hash reopens the settings, at phone width, without sideways scrolling.
        other, blocked2 = _open(browser, f"{url}/{PLAYGROUND_DOC}.html{hash_}", width=390)
        try:
            root2 = _playground(other)
            state = other.evaluate("() => document.querySelector('.initlab-playground').initlabPlayground.state")
            assert state["init"] == "ones" and state["scale"] == 0.5
            assert root2.locator("select[name=init]").input_value() == "ones"
            assert root2.evaluate("e => e.scrollWidth - e.clientWidth") <= 1
            root2.screenshot(path=str(SHOTS / "playground-390.png"))
            assert not blocked2 and not other.errors, (blocked2, other.errors)
        finally:
            other.close()
        assert not blocked and not page.errors, (blocked, page.errors)
    finally:
        page.close()


def test_playground_plays_pauses_and_steps_with_the_keyboard(server, browser):
    check_playground(browser, server)


# ---------------------------------------------------------------------------------------------
# Predict, then check

def test_question_takes_a_typed_answer_and_gives_the_targeted_message(server, browser):
    """In chapter 1 the reader types a prediction with the keyboard and checks it: a known mistake
    gets its own message, the right answer a ✔, both in the live region."""
    from initlab import questions

    q = questions.QUESTIONS["ch1-vanishing-std"]
    added, message = next((v, m) for v, m in q.mistakes if "don't add" in m)
    page, blocked = _open(browser, f"{server}/book/01-what-not-to-do.html")
    try:
        root = page.locator("#ch1-vanishing-std")
        field = root.locator("input[name=answer]")
        field.wait_for()
        assert field.evaluate("f => f.labels.length") == 1
        verdict = root.locator(".ilq-verdict")
        assert verdict.get_attribute("role") == "status" and verdict.get_attribute("aria-live") == "polite"
        assert root.locator("details.ilq-answer").get_attribute("open") is None

        field.focus()
        page.keyboard.type(f"{added:.3g}")
        page.keyboard.press("Enter")                                   # the form submits
        assert verdict.inner_text() == f"✘ {message}"
        field.fill("")
        page.keyboard.type(f"{q.answer:.2g}")
        page.keyboard.press("Tab")                                     # to the Check button
        page.keyboard.press("Enter")
        assert verdict.inner_text() == f"✔ right: {q.explanation}"
        assert root.get_attribute("data-verdict") == "right"
        assert not blocked and not page.errors, (blocked, page.errors)
    finally:
        page.close()
