#!/usr/bin/env python3
"""Drives the review console in headless Chromium over the Chrome DevTools Protocol (no dependencies).

Chromium talks CDP over a pipe (--remote-debugging-pipe: commands on fd 3, replies on fd 4, each message
JSON followed by NUL), so neither a websocket library nor a downloaded browser is needed: the system
`chromium` (Debian package) is enough. Used by VigilCoordinatorTests' ConsoleBrowserTests:

    console-browser.py --base http://localhost:PORT --token TOKEN --escalation ID --hostile ID --out DIR

It signs in, opens an escalation from the queue, closes it with a reason, opens an escalation whose
alert carries script tags, saves a screenshot of each step under DIR, and prints one JSON object with
what it saw. It exits non-zero (never skips) when Chromium is missing or a step fails.
"""
import argparse, base64, fcntl, json, os, shutil, subprocess, sys, tempfile, time

REASON = "Benign: approved change CHG-1234 (browser test)"


class Browser:
    def __init__(self, binary):
        self.profile = tempfile.mkdtemp(prefix="vigil-chromium-")
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()
        # Park the child's ends above 10 so placing them on fds 3 and 4 cannot clobber one another.
        high_r = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD, 10)
        high_w = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD, 10)

        def place():
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)

        self.process = subprocess.Popen(
            [binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
             "--no-default-browser-check", "--disable-extensions", "--disable-background-networking", "--remote-debugging-pipe",
             "--user-data-dir=" + self.profile, "--window-size=1280,1400", "about:blank"],
            preexec_fn=place, pass_fds=(3, 4), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for fd in (to_chrome_r, from_chrome_w, high_r, high_w):
            os.close(fd)
        self.buffer = b""
        self.next_id = 0
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.call("Page.enable", session=True)
        self.call("Runtime.enable", session=True)

    def call(self, method, params=None, session=False, timeout=20):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self.session
        os.write(self.to_chrome, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            while b"\0" not in self.buffer:
                chunk = os.read(self.from_chrome, 1 << 20)
                if not chunk:
                    raise RuntimeError("chromium closed the DevTools pipe")
                self.buffer += chunk
            raw, self.buffer = self.buffer.split(b"\0", 1)
            reply = json.loads(raw)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
        raise TimeoutError(method)

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {expression[:80]}: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def wait_for(self, predicate, what, timeout=15):
        """Polls a page expression until it is true (navigation finished, element present)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.evaluate(f"document.readyState === 'complete' && ({predicate})"):
                    return
            except RuntimeError:
                pass  # the page is navigating
            time.sleep(0.05)
        raise TimeoutError(f"waiting for {what}; at {self.evaluate('location.href')}")

    def goto(self, url):
        self.call("Page.navigate", {"url": url}, session=True)

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}, session=True)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        return path

    def close(self):
        try:
            self.call("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    for name in ("--base", "--token", "--escalation", "--hostile", "--out"):
        parser.add_argument(name, required=True)
    args = parser.parse_args()
    binary = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not binary:
        print("chromium not found: install the Debian package 'chromium' (scripts/install-deps.sh does)", file=sys.stderr)
        return 2
    os.makedirs(args.out, exist_ok=True)
    shot = lambda name: browser.screenshot(os.path.join(args.out, name))
    seen = {"screenshots": []}
    browser = Browser(binary)
    try:
        browser.goto(args.base + "/")
        browser.wait_for("location.pathname === '/signin' && !!document.getElementById('token')", "the sign-in page")
        seen["screenshots"].append(shot("01-signin.png"))
        browser.evaluate(f"document.getElementById('token').value = {json.dumps(args.token)}")
        browser.evaluate("document.getElementById('signin').click()")
        browser.wait_for("location.pathname === '/' && !!document.getElementById('actor')", "the queue after sign-in")
        seen["actor"] = browser.evaluate("document.getElementById('actor').textContent")
        seen["document_cookie"] = browser.evaluate("document.cookie")
        seen["queue_rows"] = browser.evaluate("document.querySelectorAll('tr.escalation').length")
        seen["screenshots"].append(shot("02-queue.png"))

        link = f"a[href='/escalations/{args.escalation}']"
        browser.evaluate(f"document.querySelector({json.dumps(link)}).click()")
        browser.wait_for(f"location.pathname === '/escalations/{args.escalation}'", "the escalation page")
        seen["detail_state"] = browser.evaluate("document.getElementById('state').textContent")
        seen["detail_sections"] = browser.evaluate("[...document.querySelectorAll('section h2')].map(h => h.textContent)")
        seen["rule_authors"] = browser.evaluate("[...document.querySelectorAll('td.author')].map(td => td.textContent)")
        seen["screenshots"].append(shot("03-detail.png"))

        browser.evaluate(f"document.getElementById('reason').value = {json.dumps(REASON)}")
        browser.evaluate("document.getElementById('close').click()")
        browser.wait_for("location.search === '?done=close'", "the page after closing")
        seen["closed_state"] = browser.evaluate("document.getElementById('state').textContent")
        seen["closed_reason"] = browser.evaluate("document.getElementById('close-reason').textContent")
        seen["audit_actions"] = browser.evaluate("[...document.querySelectorAll('tr.audit td.action')].map(td => td.textContent)")
        seen["screenshots"].append(shot("04-closed.png"))

        browser.goto(f"{args.base}/escalations/{args.hostile}")
        browser.wait_for(f"location.pathname === '/escalations/{args.hostile}' && !!document.getElementById('payload')", "the hostile escalation")
        time.sleep(0.3)  # give any injected handler (img onerror) time to run, were it to exist
        seen["hostile"] = browser.evaluate("""({
            title: document.title,
            pwned: typeof window.vigilPwned !== 'undefined',
            scripts: document.scripts.length,
            images: document.images.length,
            principalText: [...document.querySelectorAll('#alert dd')].map(d => d.textContent).join('\\n'),
            payloadText: document.getElementById('payload').textContent
        })""")
        seen["screenshots"].append(shot("05-hostile-alert.png"))
    except Exception as error:
        try:
            seen["screenshots"].append(shot("99-failure.png"))
        except Exception:
            pass
        print(json.dumps(seen), flush=True)
        print(f"browser step failed: {error}", file=sys.stderr)
        return 1
    finally:
        browser.close()
    print(json.dumps(seen), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
