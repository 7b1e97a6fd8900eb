"""The explorer page (item2vec-explore): the command, and the page in a real browser.

The browser tests open the page from disk in headless Chromium (Debian's ``chromium`` and
``chromium-driver``, which ``.ci/run`` installs) and check it against ``ask.py`` itself.
They are skipped only when that browser or selenium is absent. Set
``EXPLORER_SCREENSHOT=PATH`` to also save the screenshot there (docs/explorer.png).
"""

import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata

import numpy as np
import pytest

from conftest import REPO
from item2vec.cli import ask_command as ask
from item2vec.cli import explore_command as explore_cli
from item2vec.errors import NotInModelError
from item2vec.explore import MARKER, is_explorer_file
from item2vec.model.storage import load_model
from item2vec.query import formatting
from item2vec.query.names import ascii_key, normalize
from item2vec.query.ranking import DEFAULT_DISCOVER, DIAL
from item2vec.query.recommender import Recommender

SHIPPED_MODEL = os.path.join(REPO, "models")
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


def explore(argv):
    out, err = io.StringIO(), io.StringIO()
    code = explore_cli.main(argv, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def ask_json(*argv, model=SHIPPED_MODEL):
    out, err = io.StringIO(), io.StringIO()
    ask.main([*argv, "--json", "--model", model], out=out, err=err)
    return json.loads(out.getvalue())


# -- the command ------------------------------------------------------------------------------------


def test_help_describes_the_command():
    code, out, _ = explore(["--help"])
    assert code == 0
    assert "--out" in out and "--force" in out and "no network request" in out


def test_usage_errors_and_a_missing_model_have_their_exit_codes(tmp_path):
    code, _, err = explore([])
    assert code == 2 and "--out" in err and len(err.splitlines()) == 1
    code, _, err = explore(["--model", str(tmp_path / "nothing"), "--out", str(tmp_path / "x.html")])
    assert code == 3 and err.startswith("error: ")
    assert not (tmp_path / "x.html").exists()
    code, _, err = explore(["--out", str(tmp_path / "no" / "such" / "folder.html")])
    assert code == 2 and "folder does not exist" in err


@pytest.mark.slow
def test_the_same_model_gives_the_same_bytes(synthetic_model_dir, tmp_path):
    first, second = tmp_path / "a.html", tmp_path / "b.html"
    assert explore(["--model", synthetic_model_dir, "--out", str(first), "--quiet"])[0] == 0
    assert explore(["--model", synthetic_model_dir, "--out", str(second), "--quiet"])[0] == 0
    assert first.read_bytes() == second.read_bytes()
    # A page this tool wrote may be replaced without --force.
    code, out, err = explore(["--model", synthetic_model_dir, "--out", str(first), "--quiet"])
    assert code == 0, err
    assert out.startswith("wrote ") and "MB" in out
    assert first.read_bytes() == second.read_bytes()


def test_a_file_the_tool_did_not_write_is_never_replaced_without_force(synthetic_model_dir, tmp_path):
    foreign = tmp_path / "notes.html"
    foreign.write_text("<html>my own notes</html>", encoding="utf-8")
    code, _, err = explore(["--model", synthetic_model_dir, "--out", str(foreign)])
    assert code == 2 and "--force" in err and len(err.strip().splitlines()) == 1
    assert foreign.read_text(encoding="utf-8") == "<html>my own notes</html>"
    folder = tmp_path / "folder.html"
    folder.mkdir()
    code, _, err = explore(["--model", synthetic_model_dir, "--out", str(folder), "--force"])
    assert code == 2 and "not a regular file" in err
    code, _, err = explore(["--model", synthetic_model_dir, "--out", str(foreign), "--force", "--quiet"])
    assert code == 0, err
    assert is_explorer_file(str(foreign))
    assert sorted(os.listdir(tmp_path)) == ["folder.html", "notes.html"]  # no temporary file left


def test_the_page_is_self_contained(synthetic_model_dir, tmp_path):
    page = tmp_path / "page.html"
    assert explore(["--model", synthetic_model_dir, "--out", str(page), "--quiet"])[0] == 0
    html = page.read_text(encoding="utf-8")
    head = html[:2000]
    assert MARKER in html[:512]
    assert "default-src 'none'" in head and "unsafe-eval" not in head
    # No element loads anything: every script is inline, there are no links, images or frames.
    lowered = html.lower()
    for pattern in ("<script src", "<link", "<img", "<iframe", "@import", "url(http"):
        assert pattern not in lowered, pattern
    assert lowered.count("<script") == 3


def test_a_lookup_step_the_page_does_not_know_stops_the_build(synthetic_model_dir, monkeypatch):
    from item2vec.errors import Item2VecError
    from item2vec.explore import name_tables
    from item2vec.query import names

    recommender = Recommender(load_model(synthetic_model_dir))
    assert name_tables(recommender)["kinds"] == list(names.LOOKUP_KINDS)
    monkeypatch.setattr(names, "LOOKUP_KINDS", names.LOOKUP_KINDS + ("soundex",))
    with pytest.raises(Item2VecError, match="teach explorer.js"):
        name_tables(recommender)


def test_packed_numbers_and_answers_read_back_exactly(synthetic_model_dir):
    from item2vec.explore import lookup_tables as tables

    numbers = [0, 1, 31, 32, 33, 1023, 1024, 2**15 - 1, 2**15, 10**6, 2**40 + 7]
    assert tables.unpack(tables.pack(numbers)) == numbers
    assert set(tables.pack(numbers)) <= set(tables.PACK_ALPHABET)
    assert tables.pack(np.array(numbers[:-1])) == tables.pack(numbers[:-1])
    assert [tables.pack([n]) for n in (0, 31, 32, 1024)] == ["0", "V", "W1", "WW1"]
    with pytest.raises(ValueError):
        tables.pack([-1])
    with pytest.raises(ValueError):
        tables.pack([3, -1])
    for text in ("W", "0W", "0 1", "0!"):  # a number cut short, a character pack never writes
        with pytest.raises(ValueError, match="not a string of packed numbers"):
            tables.unpack(text)
    model = load_model(synthetic_model_dir)
    recommender = Recommender(model)
    row_of_id = {int(i): r for r, i in enumerate(model.catalog.ids.tolist())}
    for query in ("g0-a1", "g2-a9", "g3-a29"):
        lists = [a["results"] for a in recommender.answer_positions(query).values()]
        assert tables.unpack_answers(tables.pack_answers(lists, row_of_id), model.catalog) == lists
    # Negative scores and a short list survive too.
    result = dict(lists[0][0], score=-2.2817)
    assert tables.unpack_answers(tables.pack_answers([[result], []], row_of_id), model.catalog) == [
        [result],
        [],
    ]


def test_the_query_path_never_imports_the_explorer_libraries():
    code = (
        "import sys; from item2vec.cli import ask_command as ask; ask.main(['Rosetta', '-k', '2']);"
        "bad = [m for m in ('plotly', 'sklearn', 'selenium', 'item2vec.explore') if m in sys.modules];"
        "sys.exit(f'imported {bad}' if bad else 0)"
    )
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# -- the page in a browser ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped_page(tmp_path_factory):
    """The explorer of the shipped model (about a minute: the t-SNE layout of 4,617 artists)."""
    if not os.path.isfile(os.path.join(SHIPPED_MODEL, "metadata.json")):
        pytest.skip("no shipped model in models/")
    path = tmp_path_factory.mktemp("explorer") / "explorer.html"
    code, out, err = explore(["--model", SHIPPED_MODEL, "--out", str(path), "--quiet"])
    assert code == 0, err
    return path


@pytest.fixture(scope="module")
def chrome():
    """Headless Chromium driven by selenium, with its performance (network) log on."""
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        pytest.skip("Chromium is not installed (apt-get install chromium chromium-driver)")
    profile = tempfile.mkdtemp(prefix="explorer-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    # Everything that would make Chromium itself go online is off, so any request in the
    # log comes from the page.
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--window-size=1400,900",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


#: True once the explorer's script has run and its map is drawn.
LOADED = "return !!(window.explorer && document.querySelector('#map .main-svg'))"


@pytest.fixture
def page(chrome, shipped_page):
    """The shipped explorer freshly opened; the network log is cleared first."""
    chrome.get("about:blank")
    chrome.get_log("performance")
    chrome.get(shipped_page.as_uri())
    wait_for(chrome, LOADED)
    return chrome


@pytest.fixture
def functions(chrome, shipped_page):
    """The shipped explorer as it is loaded, for tests that only call its pure functions
    (``window.explorer.normalize``, ``resolve``, ...): what an earlier test did on the page
    does not change them, and loading the page costs a second or more of CPU."""
    if chrome.current_url != shipped_page.as_uri() or not chrome.execute_script(LOADED):
        chrome.get(shipped_page.as_uri())
        wait_for(chrome, LOADED)
    return chrome


def wait_for(driver, script, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = driver.execute_script(script)
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for: {script}")


#: True once the suggestions list is complete (the misspellings join it once typing pauses).
LISTED = (
    "var list = document.getElementById('suggestions');"
    " return list.querySelectorAll('li').length > 0 && !list.hasAttribute('aria-busy')"
)


def by_css(driver, selector):
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, selector)


def type_into_search(driver, text):
    box = by_css(driver, "#query")[0]
    box.clear()
    box.send_keys(text)
    return box


def suggestions(driver):
    return [
        (li.find_element("css selector", ".name").text, bool(li.find_elements("css selector", ".kind")))
        for li in by_css(driver, "#suggestions li")
    ]


def shown_results(driver):
    return [json.loads(tr.get_attribute("data-result")) for tr in by_css(driver, "#results tbody tr")]


def test_the_slider_answers_as_ask_py_discover_does(page):
    from selenium.webdriver.common.keys import Keys

    page.execute_script("var r = window.explorer.resolve('Madonna'); window.explorer.show(r.row, r.note)")
    slider = by_css(page, "#discover")[0]
    assert by_css(page, "#discover-value")[0].text == f"--discover {DEFAULT_DISCOVER:g} (default)"
    assert shown_results(page) == ask_json("Madonna")["results"]
    slider.send_keys(Keys.HOME)  # the familiar end, as a user drags it there
    wait_for(page, "return document.getElementById('discover-value').textContent === '--discover 0'")
    assert shown_results(page) == ask_json("Madonna", "--discover", "0")["results"]
    out, err = io.StringIO(), io.StringIO()
    assert (
        ask.main(["Madonna", "--explain", "--discover", "0", "--model", SHIPPED_MODEL], out=out, err=err) == 0
    )
    assert by_css(page, ".heading")[0].text == out.getvalue().splitlines()[0]
    slider.send_keys(Keys.END)
    wait_for(page, "return document.getElementById('discover-value').textContent === '--discover 1'")
    assert shown_results(page) == ask_json("Madonna", "--discover", "1")["results"]
    # The position stays while another artist is asked for.
    page.execute_script("var r = window.explorer.resolve('Rosetta'); window.explorer.show(r.row, r.note)")
    assert shown_results(page) == ask_json("Rosetta", "--discover", "1")["results"]


def test_rosetta_in_the_page_is_what_ask_py_answers(page, tmp_path):
    type_into_search(page, "rosetta")
    wait_for(page, LISTED)
    listed = suggestions(page)
    assert listed[0] == ("Rosetta", False)
    # The names containing it, then the misspellings added once typing paused: completions' list.
    rows = [int(li.get_attribute("data-row")) for li in by_css(page, "#suggestions li")]
    assert rows == page.execute_script("return window.explorer.completions('rosetta', 8).map(c => c.row)")
    assert any(fuzzy for _, fuzzy in listed)
    by_css(page, "#suggestions li")[0].click()
    wait_for(page, "return document.querySelectorAll('#results tbody tr').length > 0")
    assert by_css(page, "#answer-artist")[0].text == "Rosetta"
    shown = shown_results(page)
    plain = ask_json("Rosetta")["results"]
    assert shown == plain
    # What a reader sees: the heading and the rows ask.py --explain prints, column by column.
    out, err = io.StringIO(), io.StringIO()
    assert ask.main(["Rosetta", "--explain", "--model", SHIPPED_MODEL], out=out, err=err) == 0
    printed = out.getvalue().splitlines()
    assert by_css(page, ".heading")[0].text == printed[0]
    # Rosetta has 3 listeners: the same low-confidence line as ask.py's, above the table.
    assert printed[1].startswith("Confidence: low") and by_css(page, "#confidence")[0].text == printed[1]
    header = next(i for i, line in enumerate(printed) if line.startswith(" rank"))
    assert [th.text for th in by_css(page, "#results thead th")][2:] == printed[header].split()[2:]
    for tr, line in zip(by_css(page, "#results tbody tr"), printed[header + 1 :], strict=True):
        cells = [td.text for td in tr.find_elements("css selector", "td")]
        # " rank  artist  score  similarity  listeners  shared", the artist padded to a column
        rank, rest = line[:5], line[7:]
        assert cells == [rank.strip(), rest.split("  ")[0]] + line.split()[-4:]
    # The query and its neighbours are marked on the map.
    marked = page.execute_script(
        "var d = document.getElementById('map').data; return [d[3].customdata, d[2].customdata.length];"
    )
    assert marked[1] == len(plain)
    screenshot(page, tmp_path)


def screenshot(driver, tmp_path):
    """Save what the page looks like: the answer, then the whole map (EXPLORER_SCREENSHOT too)."""
    time.sleep(0.5)  # let the zoom transition finish
    answer, whole = tmp_path / "explorer.png", tmp_path / "explorer-whole-map.png"
    assert driver.save_screenshot(str(answer))
    by_css(driver, "#whole-map")[0].click()
    time.sleep(0.5)
    assert driver.save_screenshot(str(whole))
    for path in (answer, whole):
        assert path.stat().st_size > 50_000  # a drawn map, not a blank page
    if os.environ.get("EXPLORER_SCREENSHOT"):
        shutil.copyfile(whole, os.environ["EXPLORER_SCREENSHOT"])


def test_a_misspelling_gets_ask_py_suggestions_and_its_error(page):
    from selenium.webdriver.common.keys import Keys

    box = type_into_search(page, "rosseta")
    wait_for(page, LISTED)
    time.sleep(0.3)  # the list stays open: clear() blurred the box, typing focused it again
    assert ("Rosetta", True) in suggestions(page)
    box.send_keys(Keys.ENTER)
    wait_for(page, "return !!document.getElementById('error')")
    expected = ask_json("rosseta")
    assert "Rosetta" in expected["suggestions"]
    assert by_css(page, "#error")[0].text == expected["error"]
    links = [a.text for a in by_css(page, ".did-you-mean a")]
    assert links == expected["suggestions"]
    by_css(page, ".did-you-mean a")[links.index("Rosetta")].click()
    wait_for(page, "return document.querySelectorAll('#results tbody tr').length > 0")
    assert by_css(page, "#answer-artist")[0].text == "Rosetta"


def test_clicking_a_result_asks_for_it(page):
    page.execute_script("window.explorer.show(window.explorer.resolve('Rosetta').row)")
    wait_for(page, "return document.querySelectorAll('#results tbody tr').length > 0")
    third = by_css(page, "#results tbody tr a.artist-link")[2]
    name = third.text
    assert name == ask_json("Rosetta")["results"][2]["artist"]
    third.click()
    wait_for(page, f"return document.getElementById('answer-artist').textContent === {json.dumps(name)}")
    assert by_css(page, "#query")[0].get_attribute("value") == name
    assert shown_results(page) == ask_json(name)["results"]


def _unanswerable_name(recommender):
    """A catalogue name that resolves to its own artist, which the model cannot answer for."""
    for artist_id, name in zip(recommender.catalog.ids.tolist(), recommender.catalog.names, strict=True):
        try:
            recommender.resolve(name)
        except NotInModelError:
            if recommender.names.resolve(name).artist_id == artist_id:
                return name
    raise AssertionError("every artist of the shipped model can be answered")


def test_an_artist_that_cannot_be_answered_shows_ask_py_error(page, recommender):
    from selenium.webdriver.common.keys import Keys

    name = _unanswerable_name(recommender)
    box = type_into_search(page, name)
    box.send_keys(Keys.ENTER)
    wait_for(page, "return !!document.getElementById('error')")
    assert by_css(page, "#error")[0].text == ask_json(name)["error"]
    assert "lists no other artist the model knows" in ask_json(name)["error"]


def test_a_folded_in_artist_shows_its_thin_evidence_as_ask_py_does(page):
    from selenium.webdriver.common.keys import Keys

    box = type_into_search(page, "Sister Rosetta Tharpe")
    box.send_keys(Keys.ENTER)
    wait_for(page, "return document.querySelectorAll('#results tbody tr').length > 0")
    out, err = io.StringIO(), io.StringIO()
    assert ask.main(["Sister Rosetta Tharpe", "--explain", "--model", SHIPPED_MODEL], out=out, err=err) == 0
    printed = out.getvalue().splitlines()
    assert by_css(page, ".heading")[0].text == printed[0]
    assert by_css(page, "#thin")[0].text == printed[1] and printed[1].startswith("Thin evidence: ")
    assert shown_results(page) == ask_json("Sister Rosetta Tharpe")["results"]
    # An artist with a vector has no such line.
    page.execute_script("window.explorer.show(window.explorer.resolve('Rosetta').row)")
    wait_for(page, "return document.getElementById('answer-artist').textContent === 'Rosetta'")
    assert by_css(page, "#thin") == []


def test_no_network_request_is_made(page):
    type_into_search(page, "metallica")
    by_css(page, "#query")[0].send_keys("\n")
    wait_for(page, "return document.querySelectorAll('#results tbody tr').length > 0")
    url = page.current_url.split("#")[0]
    requested = set()
    for entry in page.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] in ("Network.requestWillBeSent", "Network.webSocketCreated"):
            params = message["params"]
            if params.get("documentURL", url).split("#")[0] == url or "request" not in params:
                requested.add(params.get("request", {}).get("url", params.get("url", "")))
    assert requested, "the performance log saw nothing: the check is blind"
    assert {u.split("#")[0] for u in requested if not u.startswith("data:")} == {url}
    assert page.execute_script("return window.explorer.violations") == []
    severe = [e for e in page.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == []


# -- the page's JavaScript against the Python it mirrors ---------------------------------------------


TRICKY = [
    "  Björk ",
    "BJORK",
    "Straße",
    "STRASSE",
    "ΣΊΣΥΦΟΣ",
    "ﬁnal ﬂight",
    "Ｆｕｌｌｗｉｄｔｈ",
    "DIYARBAKIR",
    "dıyarbakır",
    "İstanbul",
    "a\u00a0\u2003b\x1c\x1dc\u3000",
    "\ufeffbom",
    "e\u0301\u0327",
    "\u0301\u0301",
    "Ⅻ ㍿ ½",
    "Ꭰꭰ",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "",
]


def test_javascript_normalize_agrees_with_python_on_every_name(functions):
    catalog = load_model(SHIPPED_MODEL).catalog
    texts = list(catalog.names) + TRICKY
    got = functions.execute_script("return arguments[0].map(window.explorer.normalize)", texts)
    mismatches = [(t, g, normalize(t)) for t, g in zip(texts, got, strict=True) if g != normalize(t)]
    assert mismatches == []


def test_javascript_normalize_agrees_with_python_on_every_assigned_character(functions):
    chars = [chr(cp) for cp in range(0x10000) if unicodedata.category(chr(cp)) not in ("Cn", "Cs", "Co")]
    got = functions.execute_script("return arguments[0].map(window.explorer.normalize)", chars)
    mismatches = [f"U+{ord(c):04X}" for c, g in zip(chars, got, strict=True) if g != normalize(c)]
    assert mismatches == []


@pytest.fixture(scope="module")
def recommender():
    return Recommender(load_model(SHIPPED_MODEL))


#: Queries whose lookup is easy to get wrong: same names in other forms, each stage of the
#: lookup (exact, id:N, normalised, ASCII, article), misspellings, and errors.
LOOKUPS = [
    "Rosetta",
    "rosetta",
    "  ROSETTA  ",
    "Red",
    "red",
    "RED",
    "ＲＥＤ",
    " red ",
    "BEATLES",
    "beatles",
    "the beatles",
    "The  Beatles",
    "cure",
    "bjork",
    "BJÖRK",
    "sigur ros",
    "Erlend Oye",
    "erlend  oye",
    "Sivert Hoyem",
    "zemfira",
    "Zемфира",
    "земфира",
    "Pink",
    "p!nk",
    "id:89",
    "ID: 0089",
    "#  0089",
    "id:999999999999",
    "metalica",
    "radiohed",
    "pink floid",
    "rosseta",
    "cult of lun",
    "mozart",
    "kanye",
    "amadeus mozart",
    "x" * 301,
    "   ",
    "\u0301",
    "zzzzzzzz",
    # punctuation left out, quotes, a far better-known spelling, Latin spellings of other scripts
    "Jay Z",
    "JayZ",
    "ACDC",
    "AC DC",
    "Guns N Roses",
    "Blink 182",
    '"Metallica"',
    "“Rosetta”",
    "' red '",
    '""',
    "Ayumi Hamasaki",
    "Hamasaki Ayumi",
    "Koda Kumi",
    "Utada Hikaru",
    "Mumiy Troll",
    "Mumii Troll",
    "Arashi",
    "Lee Hyori",
    "hamasak ayumi",
]

RESOLVE_ALL = (
    "return arguments[0].map(function (q) { var r = window.explorer.resolve(q);"
    " return r.error ? {error: r.error} : {id: r.row, notes: r.notes}; })"
)


def python_lookup(recommender, query):
    """What ask.py's lookup gives, in the shape RESOLVE_ALL returns."""
    catalog = recommender.catalog
    try:
        resolution = recommender.names.resolve(query)
    except Exception as exc:  # UnknownArtistError: the page shows the same message
        return {"error": str(exc)}
    return {
        "id": catalog.index(resolution.artist_id),
        "notes": [formatting.note(f) for f in resolution.facts(catalog)],
    }


def test_javascript_lookup_agrees_with_python(functions, recommender):
    got = functions.execute_script(RESOLVE_ALL, LOOKUPS)
    expected = [python_lookup(recommender, q) for q in LOOKUPS]
    assert [(q, g) for q, g, e in zip(LOOKUPS, got, expected, strict=True) if g != e] == []
    # The cases this rests on are really there.
    catalog = recommender.catalog
    by_query = dict(zip(LOOKUPS, got, strict=True))
    assert (
        by_query["ＲＥＤ"] == by_query["Red"] and "3 artists are named 'Red'" in by_query["Red"]["notes"][0]
    )
    assert catalog.names[by_query["Erlend Oye"]["id"]] == "Erlend Øye"
    assert catalog.names[by_query["beatles"]["id"]] == "The Beatles"
    assert "Did you mean: Wolfgang Amadeus Mozart" in by_query["mozart"]["error"]
    found = {q: catalog.names[by_query[q]["id"]] for q in LOOKUPS if "id" in by_query[q]}
    assert found["Jay Z"] == "Jay-Z" and found["ACDC"] == "Ac/Dc" and found['"Metallica"'] == "Metallica"
    assert found["Ayumi Hamasaki"] == "浜崎あゆみ" and found["Mumiy Troll"] == "Мумий Тролль"
    assert found["Arashi"] == "嵐" and "far better known" in by_query["Arashi"]["notes"][0]
    assert found["Blink 182"] == "Blink-182"


def test_javascript_lookup_agrees_with_python_on_every_name_in_other_forms(functions, recommender):
    """Each catalogue name in capitals and as its ASCII key: the normalised and ASCII steps."""
    catalog = recommender.catalog
    queries = sorted(
        {n.upper() for n in catalog.names} | {k for k in map(ascii_key, catalog.names) if k.strip()}
    )
    got = functions.execute_script(RESOLVE_ALL, queries)
    expected = [python_lookup(recommender, q) for q in queries]
    mismatches = [(q, g, e) for q, g, e in zip(queries, got, expected, strict=True) if g != e]
    assert mismatches[:5] == []


def test_an_ascii_query_has_its_normalized_key_as_ascii_key():
    """What lets the page find "Erlend Oye" without anyascii's whole table."""
    catalog = load_model(SHIPPED_MODEL).catalog
    texts = [t for t in list(catalog.names) + TRICKY if t.isascii()] + ["a\x1c\x1fb", "\tErlend   Oye\n"]
    texts += ["".join(chr(c) for c in range(start, 128)) for start in range(0, 128, 7)]
    assert [ascii_key(t) for t in texts] == [normalize(t) for t in texts]


def test_javascript_ascii_key_agrees_with_python(functions):
    catalog = load_model(SHIPPED_MODEL).catalog
    texts = list(catalog.names) + TRICKY + ["Erlend Øye", "Zемфира", "Œuvre ß", "ĳssel"]
    got = functions.execute_script("return arguments[0].map(window.explorer.asciiKey)", texts)
    # Every catalogue name's characters are in the page's table; a typed text may not be.
    mismatches = [(t, g) for t, g in zip(texts, got, strict=True) if g != ascii_key(t) and g is not None]
    assert mismatches == []
    assert all(g is not None for g in got[: len(catalog.names)])


def test_javascript_fuzzy_keys_are_the_name_index_keys(functions, recommender):
    got = functions.execute_script("return window.explorer.fuzzyKeys()")
    index = recommender.names._fuzzy_keys()
    assert got["keys"] == list(index)
    assert [sorted(rows) for rows in got["rows"]] == [sorted(rows) for rows in index.values()]


SCORED = [
    "rosseta",
    "mozart",
    "kanye",
    "kanye west",
    "west kanye",
    "amadeus mozart",
    "the beatels",
    "pink floid",
    "a",
    "the the",
    "b a b",
    "björk",
    "daft pank",
    "cult of lun",
    "red hot chili",
]


def test_javascript_scorers_agree_with_rapidfuzz(functions, recommender):
    from rapidfuzz import fuzz

    keys = list(recommender.names._fuzzy_keys())
    others = keys[::150] + [k for k in keys if "mozart" in k or "kanye" in k or k.startswith("the ")][:60]
    pairs = [(q, k) for q in SCORED for k in others] + [(a, b) for a in SCORED for b in SCORED]
    got = functions.execute_script(
        "var e = window.explorer;"
        " return arguments[0].map(p => [e.ratio(p[0], p[1]), e.tokenSetRatio(p[0], p[1])])",
        pairs,
    )
    expected = [[fuzz.ratio(a, b), fuzz.token_set_ratio(a, b)] for a, b in pairs]
    mismatches = [(p, g, e) for p, g, e in zip(pairs, got, expected, strict=True) if g != e]
    assert mismatches[:5] == []
    assert sum(e[1] == 100 for e in expected) >= 10  # the shortcut for whole words is exercised


def test_javascript_suggestions_agree_with_name_index(functions, recommender):
    misspelt = SCORED + ["metalica", "radiohed", "bjrk", "muze", "beatls", "sigur", "amadeus"]
    script = "var e = window.explorer; return arguments[0].map(q => e.suggest(e.normalize(q)))"
    got = functions.execute_script(script, misspelt)
    expected = [recommender.names.suggest(normalize(q)) for q in misspelt]
    assert [(q, g, e) for q, g, e in zip(misspelt, got, expected, strict=True) if g != e] == []
    assert "Kanye West" in got[misspelt.index("kanye")]


def test_the_page_shows_ask_py_notes(page, recommender):
    """The typed name's ambiguity note and the answer's own (e.g. a better-known spelling)."""
    queries = ["Red", "red", "Pink", "Bob", "Rosetta", "Blink 182", "Arashi"]
    shown = []
    for query in queries:
        page.execute_script(
            "var r = window.explorer.resolve(arguments[0]); window.explorer.show(r.row, r.notes)", query
        )
        shown.append([p.text for p in by_css(page, "#answer .note")])
    expected = [[f"note: {n}" for n in ask_json(q)["notes"]] for q in queries]
    assert shown == expected
    assert any("far better known" in n for notes in shown for n in notes)
    assert any("3 artists are named" in n for notes in shown for n in notes)


def test_every_answer_in_the_page_is_recommender_answer(page, recommender):
    catalog = recommender.catalog
    rows = list(range(0, len(catalog), 97))  # a spread of ~180 artists, with and without vectors
    answered = thin = 0
    for position in DIAL:
        got = page.execute_script(
            # The position is read outside the callback: inside it, arguments[1] is map's index.
            "var at = arguments[1]; return arguments[0].map(function (r) {"
            " var a = window.explorer.answerFor(r, at);"
            " if (a.results) a.results.forEach(function (x) { delete x.row; }); return a; })",
            rows,
            position,
        )
        for row, shown in zip(rows, got, strict=True):
            try:
                expected = recommender.answer(f"id:{int(catalog.ids[row])}", discover=position)
            except Exception as exc:
                assert shown == {"error": str(exc)}
                continue
            answered += 1
            assert shown["results"] == expected["results"]
            assert shown["notes"] == formatting.notes(expected)
            assert shown["confidence"] == formatting.confidence_line(expected)
            assert shown["evidence"] == expected["evidence"]
            assert shown["discover"] == expected["discover"] == position
            assert (shown["artist"], shown["listeners"]) == (expected["artist"], expected["listeners"])
            thin += expected["evidence"] != "vector"
    assert answered >= 150 * len(DIAL) and thin >= 100 * len(DIAL)


def test_the_confidence_line_is_ask_py_s(page):
    """An artist with few listeners: the same low-confidence line above the answer as ask.py's."""
    out, err = io.StringIO(), io.StringIO()
    assert ask.main(["Dean Martin", "--model", SHIPPED_MODEL], out=out, err=err) == 0
    line = out.getvalue().splitlines()[1]
    assert line.startswith("Confidence: low (5 listeners)")
    page.execute_script(
        "var r = window.explorer.resolve('Dean Martin'); window.explorer.show(r.row, r.notes)"
    )
    assert by_css(page, "#confidence")[0].text == line
    page.execute_script("window.explorer.show(window.explorer.resolve('Madonna').row)")
    wait_for(page, "return document.getElementById('answer-artist').textContent === 'Madonna'")
    assert by_css(page, "#confidence") == []


def test_names_in_other_scripts_are_drawn_with_the_page_s_own_font(page):
    """CJK, Hangul and Cyrillic names need no system font: the page's subset draws them."""
    names = ["浜崎あゆみ", "宇多田ヒカル", "소녀시대", "Мумий Тролль", "倖田來未"]
    page.execute_script("window.explorer.show(window.explorer.resolve('Ayumi Hamasaki').row)")
    wait_for(page, "return document.getElementById('answer-artist').textContent === '浜崎あゆみ'")
    state = wait_for(
        page,
        "var f = Array.from(document.fonts).filter(f => f.family.replace(/\"/g, '') === 'Item2vec Names');"
        " return f.length && f[0].status === 'loaded' ? f[0].status : null;",
    )
    assert state == "loaded"
    covered = page.execute_script(
        "return arguments[0].map(t => document.fonts.check('16px \"Item2vec Names\"', t))", names
    )
    assert covered == [True] * len(names)
    # The map's labels and names use it too.
    family = page.execute_script("return document.getElementById('map')._fullLayout.font.family")
    assert family.startswith("'Item2vec Names'")


def test_the_font_holds_every_character_of_the_shipped_names():
    from fontTools.ttLib import TTFont

    from item2vec.explore import names_font

    font = TTFont(str(names_font._asset(names_font.FONT)))
    drawn = {chr(c) for c in font.getBestCmap()}
    assert names_font.covered() == drawn - {" "}
    missing = set(names_font.wanted(load_model(SHIPPED_MODEL).catalog.names)) - drawn
    # Noto Sans CJK has no Ukrainian i (U+0406, U+0456); it looks like the Latin I/i every font has.
    assert missing <= {"\u0406", "\u0456"}


def test_a_narrow_window_keeps_room_for_the_map(page):
    size = page.get_window_size()
    try:
        page.set_window_size(800, 700)
        time.sleep(0.3)
        panel, map_width = page.execute_script(
            "return [document.getElementById('panel').getBoundingClientRect().width,"
            " document.getElementById('map').getBoundingClientRect().width]"
        )
        assert panel <= 400 and map_width >= 380
        # The answer's table fits the narrower panel: no sideways scrolling.
        page.execute_script("window.explorer.show(window.explorer.resolve('Rosetta').row)")
        fits = page.execute_script(
            "var p = document.getElementById('panel'); return p.scrollWidth <= p.clientWidth;"
        )
        assert fits
    finally:
        page.set_window_size(size["width"], size["height"])


def test_the_map_zooms_out_after_an_error(page):
    from selenium.webdriver.common.keys import Keys

    ranges = "var l = document.getElementById('map')._fullLayout; return [l.xaxis.range, l.yaxis.range];"
    by_css(page, "#whole-map")[0].click()
    whole = wait_for(page, ranges)
    time.sleep(0.3)
    whole = page.execute_script(ranges)
    page.execute_script("window.explorer.show(window.explorer.resolve('Rosetta').row)")
    time.sleep(0.3)
    assert page.execute_script(ranges) != whole  # zoomed to the answer
    box = type_into_search(page, "zzzzzzzz")
    box.send_keys(Keys.ENTER)
    wait_for(page, "return !!document.getElementById('error')")
    time.sleep(0.3)
    zoomed_out = page.execute_script(ranges)
    assert [[round(v, 6) for v in r] for r in zoomed_out] == [[round(v, 6) for v in r] for r in whole]


def test_the_page_of_the_shipped_model_is_the_size_the_readme_says(shipped_page):
    """At most 15 MB with the font inlined, and README's figure is the built page's."""
    size = shipped_page.stat().st_size / 1e6
    assert size <= 15
    readme = open(os.path.join(REPO, "README.md"), encoding="utf-8").read()
    assert f"({size:.1f} MB for the shipped model" in readme


def test_the_readme_s_module_command_runs_the_explorer():
    """`python -m item2vec.cli.explore_command` (README) is the program, not a silent no-op."""
    result = subprocess.run(
        [sys.executable, "-m", "item2vec.cli.explore_command", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0 and result.stdout.startswith(
        "usage: python -m item2vec.cli.explore_command"
    )
