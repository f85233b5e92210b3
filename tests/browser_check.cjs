// Open one page in headless Chromium, wait until it has rendered, and report what a person would check.
//
//   node browser_check.cjs URL SCREENSHOT.png [--wait-for CSS] [--math] [--timeout MS]
//
// Prints one JSON object: the title, the visible text's length and first characters, the h1 headings, how many formulas MathJax
// typeset (2 or 3), the images and how many failed to load, and every request that left this machine
// (`outside`: any host but 127.0.0.1/localhost, data: and blob: URLs). Used by tests/test_site.py.
// playwright-core comes from the course's npm packages ($GANCOURSE_WEB/node_modules, `make web`).
const path = require("path");
const { chromium } = require(path.join(process.env.GANCOURSE_WEB, "node_modules", "playwright-core"));

const [url, screenshot, ...rest] = process.argv.slice(2);
const option = (name) => { const i = rest.indexOf(name); return i < 0 ? null : rest[i + 1]; };
const waitFor = option("--wait-for");
const timeout = Number(option("--timeout") || 60000);
const wantMath = rest.includes("--math");

const LOCAL = /^(https?|wss?):\/\/(127\.0\.0\.1|localhost)(:\d+)?\//;

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    // Offline-friendly flags (COURSE.md §4): no background requests to Google's hosts.
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
  });
  const outside = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on("request", (request) => {
      const target = request.url();
      if (!LOCAL.test(target) && !target.startsWith("data:") && !target.startsWith("blob:")) outside.push(target);
    });
    await page.goto(url, { waitUntil: "load", timeout });
    if (waitFor) await page.waitForSelector(waitFor, { timeout, state: "visible" });
    if (wantMath) {
      // MathJax 3 (the book) has a startup promise; MathJax 2 (the slides) a queue. Wait for either to finish.
      await page.waitForFunction(() => window.MathJax && (
        (window.MathJax.startup && window.MathJax.startup.promise) || (window.MathJax.Hub && window.MathJax.Hub.queue)),
        null, { timeout });
      await page.evaluate(() => window.MathJax.startup
        ? window.MathJax.startup.promise
        : new Promise((resolve) => window.MathJax.Hub.Queue(resolve)));
    }
    await page.waitForLoadState("networkidle", { timeout }).catch(() => {});
    const report = await page.evaluate(() => {
      const images = [...document.images];
      const text = document.body.innerText;
      return {
        title: document.title,
        text_length: text.length,
        text_start: text.slice(0, 300),
        h1: [...document.querySelectorAll("h1")].map((h) => h.innerText.trim()).filter((t) => t),
        math: document.querySelectorAll("mjx-container, .MathJax_CHTML, .mjx-chtml.MJXc-display, .MJXc-display").length,
        math_errors: document.querySelectorAll("mjx-merror, .MathJax_Error, .mjx-merror").length,
        images: images.length,
        images_failed: images.filter((img) => !img.complete || img.naturalWidth === 0).map((img) => img.src.slice(0, 120)),
      };
    });
    await page.screenshot({ path: screenshot });
    report.outside = outside;
    console.log(JSON.stringify(report));
  } finally {
    await browser.close();
  }
})().catch((error) => { console.error(String(error && error.stack || error)); process.exit(1); });
