"""The course as a reader and an instructor meet it, checked in a real browser (headless Chromium).

The book and the slides are built here from the notebooks' stored outputs (what `make book` and `make slides` do,
into build/book and build/slides); one book page, one chapter and one deck are opened and must render — title,
typeset formulas, loaded images — without a single request to another host. JupyterLab is started from the project
environment and must open notebook 01 with the RISE extension enabled. Screenshots go to build/browser-checks.

On a laptop without Chromium, Node.js or the npm packages these tests skip and say how to install them; CI sets
GANCOURSE_REQUIRE_BROWSER=1, which turns every such skip into a failure.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from repo_tools import load_tool

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
SCREENSHOTS = BUILD / "browser-checks"
CHECKER = Path(__file__).with_name("browser_check.cjs")
WEB = Path(os.environ.get("GANCOURSE_WEB", ROOT / ".web"))
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


# Requests to this machine never go through a proxy (CI's offline pass sets http_proxy to a closed port).
_LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _missing_prerequisites() -> list[str]:
    missing = []
    if not CHROMIUM:
        missing.append("Chromium (Debian/Ubuntu: `sudo apt-get install chromium`, or set CHROMIUM=/path/to/chrome)")
    if not shutil.which("node"):
        missing.append("Node.js (https://nodejs.org, or `sudo apt-get install nodejs npm`)")
    if not (WEB / "node_modules" / "playwright-core").is_dir():
        missing.append("the course's npm packages (`make web`, which needs npm and the npm registry)")
    if shutil.which("fc-list") and not subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True,
                                                      text=True).stdout.strip():
        missing.append("a Chinese font, or Chinese renders as empty boxes (`sudo apt-get install fonts-noto-cjk`)")
    return missing


@pytest.fixture(scope="module", autouse=True)
def browser_prerequisites():
    missing = _missing_prerequisites()
    if missing:
        message = "browser checks need " + "; ".join(missing)
        if os.environ.get("GANCOURSE_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def site_tool():
    return load_tool("site")


@pytest.fixture(scope="module")
def built_site(site_tool):
    """Build the slides and the book the way `make book` does; returns the build folder."""
    start = time.perf_counter()
    site_tool.build_slides(BUILD / "slides")
    site_tool.build_book(BUILD / "book", BUILD / "slides")
    print(f"slides and book built in {time.perf_counter() - start:.1f} s")
    return BUILD


@pytest.fixture(scope="module")
def server(built_site):
    """build/ served on a free port of 127.0.0.1, as any static web server would serve the site."""
    handler = functools.partial(_QuietHandler, directory=str(built_site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def open_in_browser(url: str, screenshot: str, *options: str, timeout: float = 120) -> dict:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(["node", str(CHECKER), url, str(SCREENSHOTS / screenshot), *options],
                            capture_output=True, text=True, timeout=timeout,
                            env={**os.environ, "GANCOURSE_WEB": str(WEB), "CHROMIUM": CHROMIUM})
    assert result.returncode == 0, f"the browser check of {url} failed:\n{result.stderr[-3000:]}"
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert (SCREENSHOTS / screenshot).stat().st_size > 10_000, "the screenshot is (nearly) empty"
    return report


def _chapter_titles(site_tool) -> list[str]:
    import nbformat

    return [site_tool.title_of(nbformat.read(p, as_version=4)) for p in site_tool.course_notebooks()]


def test_book_landing_page_lists_the_ten_chapters(server, site_tool):
    report = open_in_browser(f"{server}/book/index.html", "book-index.png")
    assert "gancourse" in report["title"]
    page = _LOCAL.open(f"{server}/book/index.html").read().decode()
    for title in _chapter_titles(site_tool):
        assert title.replace("&", "&amp;") in page, f"the landing page lacks the chapter {title!r}"
    assert page.count(".slides.html") >= 10 and page.count("colab.research.google.com/github/") >= 10
    assert report["images"] >= 10 and not report["images_failed"], report  # the ten Colab badges
    assert report["outside"] == [], f"the page asked other hosts for {report['outside']}"


def test_book_chapter_renders_its_math_figures_and_citations(server):
    report = open_in_browser(f"{server}/book/03_minimax_loss.html", "book-03.png", "--math")
    assert report["title"].startswith("The minimax game and its loss") and report["h1"], report
    assert report["math"] >= 10 and report["math_errors"] == 0, report
    assert report["images"] >= 5 and not report["images_failed"], report
    assert report["outside"] == [], f"the page asked other hosts for {report['outside']}"
    page = (BUILD / "book" / "03_minimax_loss.html").read_text(encoding="utf-8")
    assert "Goodfellow" in page and "[@" not in page  # citations became links to the references page
    assert 'href="zh/03_minimax_loss.html' in page  # the language switch: its Chinese twin


def test_chinese_chapter_renders_and_links_its_english_twin(server):
    report = open_in_browser(f"{server}/book/zh/03_minimax_loss.html", "book-zh-03.png", "--math")
    assert report["h1"] and re.search("[\u4e00-\u9fff]", report["h1"][0]), report  # a Chinese title
    assert report["math"] >= 10 and report["math_errors"] == 0 and not report["images_failed"], report
    assert report["outside"] == [], f"the page asked other hosts for {report['outside']}"
    page = (BUILD / "book" / "zh" / "03_minimax_loss.html").read_text(encoding="utf-8")
    assert 'href="../03_minimax_loss.html' in page  # the language switch: its English twin


def test_slide_deck_renders_with_math(server):
    report = open_in_browser(f"{server}/slides/03_minimax_loss.slides.html", "slides-03.png", "--math",
                             "--wait-for", ".reveal .slides section")
    assert report["h1"][0].lower().startswith("the minimax game"), report
    assert report["math"] >= 10 and report["math_errors"] == 0, report
    assert not report["images_failed"], report
    assert report["outside"] == [], f"the deck asked other hosts for {report['outside']}"


def test_no_page_of_the_site_loads_anything_from_other_hosts(built_site):
    """Every page, not only the three opened above: no script, style, image or frame from another host."""
    pattern = re.compile(r"<(?:script|link|img|iframe|source|video)\b[^>]*\b(?:src|href)=[\"'](?:https?:)?//", re.I)
    pages = sorted((built_site / "book").rglob("*.html"))
    assert len(pages) >= 14  # ten chapters, the landing page, glossary, references, search …
    offenders = [str(p.relative_to(built_site)) for p in pages if pattern.search(p.read_text(encoding="utf-8"))]
    assert not offenders, f"these pages load something from another host: {offenders}"


# ---- JupyterLab ---------------------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_jupyterlab_has_rise_enabled_and_opens_notebook_01(tmp_path):
    jupyter = Path(sys.executable).with_name("jupyter")
    listing = subprocess.run([str(jupyter), "labextension", "list"], capture_output=True, text=True, timeout=120)
    rise = [line for line in (listing.stdout + listing.stderr).splitlines() if "jupyterlab-rise" in line]
    assert rise and "enabled" in rise[0] and "OK" in rise[0], f"jupyterlab-rise is not installed and enabled:\n{rise}"

    # A copy of notebook 01 in a folder of its own: opening it must not touch the repository.
    course = tmp_path / "course"
    course.mkdir()
    shutil.copy2(ROOT / "notebooks" / "01_what_is_a_gan.ipynb", course / "01_what_is_a_gan.ipynb")
    port, token = _free_port(), secrets.token_hex(16)
    command = [str(jupyter), "lab", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={course}",
               "--ServerApp.port_retries=0"]
    if os.geteuid() == 0:  # containers and CI machines run as root; JupyterLab refuses that unless told
        command.append("--allow-root")
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              env={**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")})
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                _LOCAL.open(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    server.kill()
                    pytest.fail(f"JupyterLab did not start:\n{server.communicate()[0][-3000:]}")
                time.sleep(0.5)
        report = open_in_browser(f"{base}/lab/tree/01_what_is_a_gan.ipynb?token={token}", "jupyterlab-01.png",
                                 "--wait-for", ".jp-RenderedMarkdown h1", timeout=180)
        assert any(h.startswith("What is a GAN?") for h in report["h1"]), report
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
