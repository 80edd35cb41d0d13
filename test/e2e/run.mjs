// `npm run test:e2e`: the extension inside a real VS Code (code-server 4.139 = VS Code 1.139),
// driven by a Chromium through playwright-core (CHROMIUM_PATH, Debian's chromium, or the one
// inside the npm package @sparticuz/chromium; see scripts/chromium.mjs). It packages the VSIX and installs
// that, so packaging is tested too, then runs the mocha suite in test/e2e/suite inside the
// extension host, once in a trusted workspace and once in an untrusted one.
//
// The suite talks to this runner through console lines ("[sde-e2e] {...}") for what only the
// browser can do (screenshots, DOM checks); answers go back as files in the results folder.
// Results: test-results/e2e/ (screenshots of failed tests and a final "tour").
/* global document, window, Image -- used inside page.evaluate, which runs in the browser */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";
import { findChromium, launchChromium } from "../../scripts/chromium.mjs";
import { ensureCodeServer, installVsix, prepareProfile, startServer } from "../../scripts/vscode-server.mjs";
import { formatConsoleArgs } from "./console-format.mjs";
import { buildSuite, prepareWorkspace } from "./prepare.mjs";

const root = resolve(import.meta.dirname, "../..");
const results = join(root, "test-results", "e2e");
const suiteOut = join(results, "suite");
const harness = join(root, "test/e2e/harness");
const args = process.argv.slice(2);
const modes = args.includes("--only") ? [args[args.indexOf("--only") + 1]] : ["trusted", "untrusted"];
// The suite runs Run All of 1,000 cells; on a loaded machine that alone takes minutes.
const RUN_TIMEOUT_MS = 14 * 60_000;
// `--grep <text>` runs only the tests whose title contains it.
const grep = args.includes("--grep") ? args[args.indexOf("--grep") + 1] : "";
/** Numbers the suite measured (`report({ event: "metric" })`), printed at the end. */
const metrics = [];

function log(line) {
  process.stdout.write(`${line}\n`);
}

function sh(command, argv) {
  const r = spawnSync(command, argv, { cwd: root, stdio: "inherit" });
  if (r.status !== 0) throw new Error(`${command} ${argv.join(" ")} failed`);
}

function newestExtensionHostLog(userDataDir) {
  const found = [];
  const walk = (dir) => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/exthost/i.test(name) && name.endsWith(".log")) found.push(p);
    }
  };
  walk(join(userDataDir, "logs"));
  found.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return found[0];
}

async function domCheck(page, texts, wantMermaid) {
  const notebook = page.locator(".notebook-editor").first();
  const notebookVisible = await notebook.isVisible().catch(() => false);
  const cellsOnPage = await page.locator(".notebook-editor .cell-list-container .monaco-list-row").count();
  const found = Object.fromEntries(texts.map((t) => [t, false]));
  let mermaidSvgs = 0;
  // Outputs render in a webview: nested iframes. Wait for the renderers to settle.
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    mermaidSvgs = 0;
    for (const frame of page.frames()) {
      // Locators pierce the shadow roots the markdown renderer draws into; innerText does not.
      for (const t of texts) if (!found[t] && (await frame.getByText(t).count().catch(() => 0)) > 0) found[t] = true;
      mermaidSvgs += await frame.locator('svg[id*="mermaid"], svg[aria-roledescription]').count().catch(() => 0);
    }
    if (Object.values(found).every(Boolean) && (!wantMermaid || mermaidSvgs > 0)) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  return { notebookVisible, cellsOnPage, found, mermaidSvgs };
}

/** In every frame that has `selector` (a webview's page): how many match, its text, and the
 * type of some window globals (a payload that ran would have set them). */
async function webviewCheck(page, { selector, globals = [], waitMs = 10_000 }, dialogs) {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const frames = [];
    for (const frame of page.frames()) {
      const found = await frame
        .evaluate(
          ([sel, names]) => {
            const nodes = document.querySelectorAll(sel);
            if (nodes.length === 0) return undefined;
            return {
              matches: nodes.length,
              text: document.body.innerText,
              svgText: [...document.querySelectorAll("svg text")].map((t) => t.textContent).join("\n"),
              injected: document.querySelectorAll("#stage img, #stage script, #stage iframe, #stage foreignObject img").length,
              globals: Object.fromEntries(names.map((n) => [n, typeof window[n]])),
              bodyClass: document.body.className,
            };
          },
          [selector, globals],
        )
        .catch(() => undefined);
      if (found) frames.push(found);
    }
    if (frames.length > 0 || Date.now() > deadline) return { frames, dialogs: [...dialogs] };
    await new Promise((r) => setTimeout(r, 300));
  }
}

/**
 * Rows of the notebook list at the given cell indexes: whether each is drawn, whether its input
 * is collapsed (VS Code's `input-collapsed` class on the cell) and the one-line preview its
 * collapsed placeholder shows. With `click` (a CSS selector), clicks that element in the first
 * such row, as a learner would (e.g. the collapsed placeholder's expand icon).
 */
async function notebookRows(page, { indexes, click }) {
  const rows = {};
  for (const index of indexes) {
    const row = page.locator(`.notebook-editor .cell-list-container .monaco-list-row[data-index="${index}"]`).first();
    if ((await row.count()) === 0) {
      rows[index] = { drawn: false };
      continue;
    }
    const cell = row.locator(".cell-inner-container").first();
    const collapsed = ((await cell.getAttribute("class").catch(() => "")) ?? "").split(/\s+/).includes("input-collapsed");
    const preview = row.locator(".input-collapse-container .cell-collapse-preview").first();
    const previewText = (await preview.isVisible().catch(() => false)) ? (await preview.innerText()).trim() : "";
    rows[index] = { drawn: true, collapsed, preview: previewText };
  }
  let clicked;
  if (click) {
    const target = page.locator(`.notebook-editor .cell-list-container .monaco-list-row[data-index="${indexes[0]}"] ${click}`).first();
    clicked = await target.click({ timeout: 5_000 }).then(() => true, (e) => String(e));
  }
  return { rows, clicked };
}

/**
 * Texts that a learner can see: drawn, not hidden (`visibility: hidden`, `display: none`) and
 * inside the window, in any frame. `where` names the first element showing each text.
 */
async function visibleTexts(page, texts) {
  const found = Object.fromEntries(texts.map((t) => [t, false]));
  const where = {};
  const view = page.viewportSize() ?? { width: 1400, height: 1000 };
  for (const frame of page.frames()) {
    for (const t of texts) {
      if (found[t]) continue;
      for (const el of await frame.getByText(t).filter({ visible: true }).all().catch(() => [])) {
        const box = await el.boundingBox().catch(() => null);
        if (!box || box.x + box.width <= 0 || box.y + box.height <= 0 || box.x >= view.width || box.y >= view.height) continue;
        found[t] = true;
        const tag = await el.evaluate((e) => `${e.tagName.toLowerCase()}.${[...e.classList].join(".")}`).catch(() => "?");
        where[t] = { frame: frame.url().slice(0, 80), element: tag, box };
        break;
      }
    }
  }
  return { found, where };
}

/** Clicks the first element showing `text` in any frame. */
async function clickText(page, text) {
  for (const frame of page.frames()) {
    const target = frame.getByText(text, { exact: false }).filter({ visible: true }).first();
    if ((await target.count().catch(() => 0)) > 0) {
      const error = await target.click({ timeout: 5_000 }).then(() => undefined, (e) => String(e));
      return { clicked: error === undefined, error };
    }
  }
  return { clicked: false };
}

/**
 * SDE Lab's charts and replays in the notebook's output frames: how many, the time each
 * chart's cursor shows, the replay's time; optionally scrubs the replay to `scrub` ms or
 * clicks the button labelled `click` on the first chart (or replay, with `on: "replay"`).
 */
async function vizCheck(page, { scrub, click, on = "chart", waitMs = 20_000 }) {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const frames = [];
    for (const frame of page.frames()) {
      const result = await frame
        .evaluate(
          ([scrubTo, label, target]) => {
            const charts = [...document.querySelectorAll(".sde-chart")];
            const replays = [...document.querySelectorAll(".sde-replay")];
            if (charts.length + replays.length === 0) return undefined;
            if (typeof scrubTo === "number" && replays[0]) {
              const input = replays[0].querySelector("input.sde-scrub");
              input.value = String(scrubTo);
              input.dispatchEvent(new Event("input"));
            }
            let clicked = false;
            if (label) {
              const root = (target === "replay" ? replays : charts)[0];
              const button = root && [...root.querySelectorAll("button")].find((b) => b.textContent === label);
              if (button) {
                button.click();
                clicked = true;
              }
            }
            return {
              charts: charts.length,
              replays: replays.length,
              chartTimes: charts.map((c) => c.dataset.time ?? null),
              replayTime: replays[0]?.dataset.time ?? null,
              titles: [...document.querySelectorAll(".sde-viz .sde-title")].map((t) => t.textContent),
              legend: [...document.querySelectorAll(".sde-viz .u-legend .u-label")].map((t) => t.textContent),
              images: document.querySelectorAll("img").length,
              pwned: window.__sdePwned ?? null,
              clicked,
            };
          },
          [scrub, click, on],
        )
        .catch(() => undefined);
      if (result) frames.push(result);
    }
    if (frames.length > 0 || Date.now() > deadline) return { frames };
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Loads a file as an image in a blank page: a valid SVG or PNG decodes to a size. */
async function imageCheck(context, file, mime) {
  const blank = await context.newPage();
  try {
    const data = readFileSync(file).toString("base64");
    return await blank.evaluate(
      async ([b64, type]) => {
        const img = new Image();
        img.src = `data:${type};base64,${b64}`;
        try {
          await img.decode();
          return { ok: true, width: img.naturalWidth, height: img.naturalHeight };
        } catch (e) {
          return { ok: false, error: String(e) };
        }
      },
      [data, mime],
    );
  } finally {
    await blank.close();
  }
}

async function runMode(mode) {
  const dir = join(results, mode);
  const workspace = prepareWorkspace(join(dir, "workspace"));
  const trusted = mode === "trusted";
  const profile = prepareProfile(join(dir, "profile"), {
    "security.workspace.trust.enabled": !trusted,
    "security.workspace.trust.startupPrompt": "never",
    "security.workspace.trust.banner": "never",
    "workbench.startupEditor": "none",
    "extensions.autoUpdate": false,
    "extensions.autoCheckUpdates": false,
    "telemetry.telemetryLevel": "off",
    "workbench.tips.enabled": false,
    "workbench.secondarySideBar.defaultVisibility": "hidden",
    "chat.disableAIFeatures": true,
  });
  installVsix(join(root, "sde-lab.vsix"), profile);
  const answers = join(results, "answers");
  mkdirSync(answers, { recursive: true });
  const server = await startServer({
    folder: workspace,
    profile,
    extraArgs: ["--vscode-option", "enable-smoke-test-driver"],
    env: { SDE_E2E_MODE: mode, SDE_E2E_RESULTS: results, SDE_E2E_GREP: grep },
  });
  const browserProfile = join(dir, "chromium");
  let context;
  const failures = [];
  let passes = 0;
  try {
    context = await launchChromium(chromium, browserProfile, { viewport: { width: 1400, height: 1000 } });
    const page = context.pages()[0] ?? (await context.newPage());
    // A script that got past a webview's CSP could open alert(): count every dialog.
    const dialogs = [];
    context.on("page", (p) => p.on("dialog", (d) => void (dialogs.push(d.message()), d.dismiss())));
    page.on("dialog", (d) => void (dialogs.push(d.message()), d.dismiss()));
    let exit;
    const exited = new Promise((r) => (exit = r));
    const answer = (id, value) => {
      const file = join(answers, `${id}.json`);
      writeFileSync(`${file}.tmp`, JSON.stringify(value));
      renameSync(`${file}.tmp`, file);
    };
    const seen = new Set();
    const onLine = async (line) => {
      const marker = line.indexOf("[sde-e2e] ");
      if (marker < 0) {
        // The page console repeats the extension host's lines behind VS Code's log level
        // ("INFO ..."); the automation log already delivered them once.
        if (/^\s*(TRACE|DEBUG|INFO|WARN|ERR)\b/.test(line)) return;
        if (/^\s*(✔|✓|\d+\) |\d+ passing|\d+ failing|\d+ pending)|SDE Lab in/.test(line)) log(`  ${line}`);
        return;
      }
      let event;
      try {
        event = JSON.parse(line.slice(marker + "[sde-e2e] ".length));
      } catch {
        return;
      }
      // The same line may arrive through both the automation log and the page console.
      const key = JSON.stringify(event);
      if (seen.has(key)) return;
      seen.add(key);
      if (event.event === "fail") failures.push(event);
      else if (event.event === "pass") passes++;
      else if (event.event === "screenshot") {
        const file = join(results, `${mode}-${event.name}.png`);
        await page.screenshot({ path: file }).catch((e) => log(`  screenshot ${event.name} failed: ${e.message}`));
        log(`  saved ${file}`);
        answer(event.id, { file });
      } else if (event.event === "dialog") {
        // A modal dialog (e.g. VS Code's workspace-trust request): report its text and press a button.
        const box = page.locator(".monaco-dialog-box").first();
        const visible = await box.waitFor({ state: "visible", timeout: 15_000 }).then(() => true, () => false);
        const text = visible ? await box.innerText() : "";
        const buttons = visible ? await box.locator(".monaco-button").allInnerTexts() : [];
        if (visible) await page.screenshot({ path: join(results, `${mode}-dialog.png`) }).catch(() => {});
        if (visible && event.press) await box.locator(".monaco-button", { hasText: event.press }).first().click();
        answer(event.id, { visible, text, buttons });
      } else if (event.event === "metric") {
        log(`  metric: ${event.name} = ${event.value}`);
        metrics.push(event);
      } else if (event.event === "script-check") {
        // Every frame (workbench, webviews, output iframes): did any crafted output run script?
        const pwned = [];
        for (const frame of page.frames()) {
          const hit = await frame.evaluate(() => window.__sdePwned ?? document.body?.getAttribute("data-sde-pwned") ?? null).catch(() => null);
          if (hit) pwned.push(`${hit} in ${frame.url().slice(0, 80)}`);
        }
        answer(event.id, { pwned, frames: page.frames().length });
      } else if (event.event === "press") {
        // A real key press in the page, where the workbench has put the focus.
        await page.bringToFront().catch(() => {});
        await page.keyboard.press(event.key);
        answer(event.id, { pressed: event.key });
      } else if (event.event === "dom-check") {
        answer(event.id, await domCheck(page, event.texts, event.mermaid === true));
      } else if (event.event === "webview-check") {
        answer(event.id, await webviewCheck(page, event, dialogs));
      } else if (event.event === "notebook-rows") {
        answer(event.id, await notebookRows(page, event));
      } else if (event.event === "visible-texts") {
        answer(event.id, await visibleTexts(page, event.texts));
      } else if (event.event === "click-text") {
        answer(event.id, await clickText(page, event.text));
      } else if (event.event === "viz-check") {
        answer(event.id, await vizCheck(page, event));
      } else if (event.event === "image-check") {
        answer(event.id, await imageCheck(context, event.file, event.mime));
      }
    };
    await page.exposeFunction("codeAutomationLog", (type, logArgs) => void onLine(formatConsoleArgs(Array.isArray(logArgs) ? logArgs : [logArgs])));
    await page.exposeFunction("codeAutomationExit", (code) => exit(Number(code)));
    page.on("console", (msg) => {
      const text = msg.text();
      // Only a line with a format string needs its values (one round trip each).
      if (!text.includes("%")) return void onLine(text);
      void Promise.all(msg.args().map((a) => a.jsonValue().catch(() => undefined))).then(
        (values) => onLine(values.length > 0 && typeof values[0] === "string" ? formatConsoleArgs(values) : text),
        () => onLine(text),
      );
    });
    const payload = JSON.stringify([
      ["extensionDevelopmentPath", `vscode-remote://remote${harness}`],
      ["extensionTestsPath", `vscode-remote://remote${join(suiteOut, "index.js")}`],
    ]);
    const url = `${server.url}?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(payload)}`;
    log(`── ${mode} workspace: ${url}`);
    const started = Date.now();
    await page.goto(url);
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r("timeout"), RUN_TIMEOUT_MS))]);
    log(`── ${mode}: suite ${code === 0 ? "passed" : code === "timeout" ? "timed out" : `failed (exit ${code})`} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    if (code !== 0) {
      await page.screenshot({ path: join(results, `${mode}-final.png`) }).catch(() => {});
      for (const f of failures) log(`\n✗ ${f.title}\n${f.error}`);
      const hostLog = newestExtensionHostLog(profile.userDataDir);
      if (hostLog) log(`\n── last lines of ${hostLog}\n${readFileSync(hostLog, "utf8").split("\n").slice(-40).join("\n")}`);
      if (code === "timeout") failures.push({ title: `${mode} suite`, error: "timed out" });
      else if (failures.length === 0) failures.push({ title: `${mode} suite`, error: `exit ${code}` });
    }
    return { passes, failures };
  } finally {
    await context?.close().catch(() => {});
    await server.stop();
  }
}

const t0 = Date.now();
rmSync(results, { recursive: true, force: true });
mkdirSync(results, { recursive: true });
try {
  await ensureCodeServer();
  const browser = await findChromium();
  log(`Chromium: ${browser.executablePath} (${browser.source})`);
} catch (error) {
  console.error(`\n${error instanceof Error ? error.message : error}`);
  process.exit(1);
}
if (!args.includes("--no-package")) sh("npm", ["run", "package", "--silent"]);
await buildSuite(suiteOut);
let passed = 0;
let failed = 0;
for (const mode of modes) {
  const r = await runMode(mode);
  passed += r.passes;
  failed += r.failures.length;
}
log(`\nend-to-end in VS Code 1.139 (code-server): ${((Date.now() - t0) / 1000).toFixed(0)} s, screenshots in ${results}`);
for (const m of metrics) log(`metric: ${m.name} = ${m.value}`);
log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
