/** Launches Debian's chromium for the browser tests and the dashboard benchmark. */
import { chromium, type Browser } from "playwright-core";

/** Debian's chromium, headless, with nothing that talks to the network. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}
