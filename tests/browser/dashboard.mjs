// Drives the clerks' dashboard in headless Chromium, as a clerk would: sign in, search by
// subject and by DocumentId, open the document, read each recipient's timeline, and save a
// screenshot of that page. Prints one JSON object of what it saw on stdout; diagnostics go to
// stderr. Run by tests/axis/http/test_dashboard_browser.py, which checks the JSON.
//
// Environment: AXIS_URL (the node, on 127.0.0.1), AXIS_CLIENT and AXIS_SECRET (a clerk),
// AXIS_DOCUMENT_ID, AXIS_SUBJECT (words of its subject), AXIS_SCREENSHOT (a .png path),
// CHROMIUM (the browser; default Debian's /usr/bin/chromium).
import { chromium } from "playwright-core";

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set`);
  }
  return value;
}

const base = required("AXIS_URL");
const origin = new URL(base).origin;
const seen = { console_errors: [], foreign_requests: [], failed_requests: [] };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  // Root in a container has no user namespaces for Chromium's sandbox; /dev/shm may be tiny.
  args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--lang=vi-VN"],
});
try {
  const context = await browser.newContext({
    viewport: { width: 1440, height: 900 },
    locale: "vi-VN",
    timezoneId: "Asia/Ho_Chi_Minh",
  });
  const page = await context.newPage();
  page.setDefaultTimeout(20000);
  page.on("console", (message) => {
    if (message.type() === "error") seen.console_errors.push(message.text());
  });
  page.on("pageerror", (error) => seen.console_errors.push(String(error)));
  page.on("request", (request) => {
    if (new URL(request.url()).origin !== origin) seen.foreign_requests.push(request.url());
  });
  page.on("requestfailed", (request) => seen.failed_requests.push(request.url()));
  page.on("response", (response) => {
    if (response.status() >= 400) seen.failed_requests.push(`${response.status()} ${response.url()}`);
  });

  await page.goto(`${base}/dashboard/search`);
  const login_url = new URL(page.url()).pathname;
  const login_heading = (await page.locator("h1").textContent()).trim();
  await page.fill('input[name="client_id"]', required("AXIS_CLIENT"));
  await page.fill('input[name="secret"]', required("AXIS_SECRET"));
  await Promise.all([page.waitForURL("**/dashboard/search"), page.click('button[type="submit"]')]);
  const signed_in_as = (await page.locator("#client").textContent()).trim();

  const documentId = required("AXIS_DOCUMENT_ID");
  await page.fill('input[name="subject"]', required("AXIS_SUBJECT"));
  await Promise.all([page.waitForURL("**/dashboard/search?*"), page.click("form.filters button")]);
  const by_subject = await page.locator("#results a.doc").allTextContents();

  await page.fill('input[name="subject"]', "");
  await page.fill('input[name="document_id"]', documentId);
  await Promise.all([page.waitForURL("**/dashboard/search?*"), page.click("form.filters button")]);
  const by_document_id = await page.locator("#results a.doc").allTextContents();

  await Promise.all([
    page.waitForURL("**/dashboard/messages/*"),
    page.locator("#results a.doc", { hasText: documentId }).first().click(),
  ]);
  const document_page = new URL(page.url()).pathname;
  const heading = (await page.locator("#document-id").textContent()).trim();
  const subject = (await page.locator("#subject").textContent()).trim();
  const timelines = await page.locator("section.card").evaluateAll((cards) =>
    cards.map((card) => ({
      recipient: card.dataset.recipient,
      phase: card.querySelector("[data-phase]")?.dataset.phase ?? null,
      status: card.querySelector("header [data-status]")?.dataset.status ?? null,
      redirected_note: card.querySelector(".note")?.textContent.replace(/\s+/g, " ").trim() ?? null,
      events: [...card.querySelectorAll("tbody tr")].map((row) => ({
        event: row.dataset.event,
        status: row.dataset.status ?? null,
        label: row.cells[1].textContent.replace(/\s+/g, " ").trim(),
        shown: row.querySelector("time").textContent.trim(),
        iso: row.querySelector("time").getAttribute("title"),
      })),
    })),
  );
  const screenshot = required("AXIS_SCREENSHOT");
  await page.screenshot({ path: screenshot, fullPage: true });
  const lang = await page.locator("html").getAttribute("lang");

  console.log(
    JSON.stringify({
      login_url, login_heading, signed_in_as, by_subject, by_document_id, document_page,
      heading, subject, lang, timelines, screenshot, ...seen,
    }),
  );
} finally {
  await browser.close();
}
