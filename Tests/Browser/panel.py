"""The control panel in a real browser: headless Chromium driven by Selenium through Debian's
chromedriver (nothing is downloaded). Logs in, starts an h2c and a TLS demo server, loads /html
through each in a second tab, watches the log and the connection appear, opens the ladder diagram,
stops a server, logs out; a screenshot at each step into OUTDIR.

Usage: panel.py PANEL_URL PASSWORD OUTDIR H2C_PORT TLS_PORT
"""
import os
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

url, password, outdir, h2c_port, tls_port = sys.argv[1:6]
os.makedirs(outdir, exist_ok=True)
shots = 0


def shot(name):
    global shots
    shots += 1
    driver.save_screenshot(os.path.join(outdir, "%02d-%s.png" % (shots, name)))
    print("screenshot", name, flush=True)


def click(css):
    """Clicks the element `css` names, finding it again if the page rebuilt it meanwhile."""
    for attempt in range(10):
        try:
            driver.find_element(By.CSS_SELECTOR, css).click()
            return
        except StaleElementReferenceException:
            time.sleep(0.1)
    raise RuntimeError("could not click " + css)


def text(css):
    """The text of the element `css` names, read again if the page rebuilt it meanwhile (the panel
    refreshes its tables every second or two)."""
    for attempt in range(10):
        try:
            return driver.find_element(By.CSS_SELECTOR, css).text
        except StaleElementReferenceException:
            time.sleep(0.1)
    raise RuntimeError("could not read " + css)


def check(condition, message):
    if not condition:
        shot("failed")
        print("FAILED:", message, flush=True)
        sys.exit(1)


options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--ignore-certificate-errors",
             "--window-size=1280,1100", "--disable-dev-shm-usage", "--no-first-run"]:
    options.add_argument(flag)
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
wait = WebDriverWait(driver, 15)
try:
    driver.get(url + "/")
    wait.until(EC.presence_of_element_located((By.NAME, "username")))
    check(driver.current_url.endswith("/login"), "not sent to /login: " + driver.current_url)
    shot("login")

    driver.find_element(By.NAME, "username").send_keys("admin")
    driver.find_element(By.NAME, "password").send_keys("not the password")
    driver.find_element(By.ID, "login").click()
    wait.until(EC.text_to_be_present_in_element((By.ID, "message"), "Wrong user name or password"))
    shot("wrong-password")

    driver.find_element(By.NAME, "username").send_keys("admin")
    driver.find_element(By.NAME, "password").send_keys(password)
    driver.find_element(By.ID, "login").click()
    wait.until(EC.text_to_be_present_in_element((By.ID, "user"), "admin"))
    check("H2Lab control panel" in driver.title, "panel title: " + driver.title)
    shot("panel")

    def start(port, tls):
        field = driver.find_element(By.ID, "port")
        field.clear()
        field.send_keys(port)
        box = driver.find_element(By.ID, "tls")
        if box.is_selected() != tls:
            box.click()
        driver.find_element(By.ID, "start-button").click()
        wait.until(EC.text_to_be_present_in_element((By.ID, "servers"), "127.0.0.1:%s" % port))

    start(h2c_port, False)
    start(tls_port, True)
    shot("two-servers")

    panel = driver.current_window_handle
    driver.switch_to.new_window("tab")
    driver.get("http://127.0.0.1:%s/html" % h2c_port)
    check("HTTP/2" in driver.page_source or "h2" in driver.page_source.lower(), "the h2c server's /html did not load")
    driver.get("https://127.0.0.1:%s/html" % tls_port)
    wait.until(EC.presence_of_element_located((By.TAG_NAME, "h1")))
    shot("demo-page-over-tls")
    driver.switch_to.window(panel)

    # The TLS server: its log lines and its connection (the tab keeps it open).
    click("#servers tbody tr:nth-child(2) button[data-action=watch]")
    wait.until(EC.text_to_be_present_in_element((By.ID, "log"), "GET /html"))
    check("TLS" in driver.find_element(By.ID, "log").text, "no TLS line in the log")
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#connections .conn")))
    connection = text("#connections .conn")
    check("h2" in connection and "127.0.0.1" in connection, "connection card: " + connection)
    check("HALF_CLOSED" in connection or "CLOSED" in connection or "stream" in connection, "no streams shown")
    shot("log-and-connection")

    click("#connections button[data-action=ladder]")
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#ladder g.frame")))
    # The frames' labels, read in one go (the picture is redrawn when frames are added).
    frames = driver.execute_script("return [...document.querySelectorAll('#ladder g.frame')].map(g => g.textContent)")
    check(len(frames) >= 4, "ladder has %d frames" % len(frames))
    labels = text("#ladder")
    check("SETTINGS" in labels and "HEADERS" in labels, "ladder labels: " + labels[:200])
    # The HEADERS frame the browser sent: its decoded fields and its bytes.
    index = [i for i, f in enumerate(frames) if f.startswith("HEADERS stream 1 [END_STREAM")][0]
    driver.execute_script("""
        const frame = document.querySelectorAll('#ladder g.frame')[arguments[0]];
        frame.scrollIntoView({block: 'center'});
        frame.dispatchEvent(new MouseEvent('click', {bubbles: true}));""", index)
    wait.until(EC.visibility_of_element_located((By.ID, "frame-hex")))
    check(len(driver.find_element(By.ID, "frame-hex").text) > 20, "no frame bytes shown")
    wait.until(EC.text_to_be_present_in_element((By.ID, "frame-summary"), ":path: /html"))
    # The browser sent the panel's session cookie to the demo server too (cookies ignore ports):
    # the panel must not show it.
    session = [c["value"] for c in driver.get_cookies() if c["name"] == "__Host-h2lab-session"]
    check(session and session[0] not in driver.page_source, "the panel shows its own session id")
    driver.execute_script("document.getElementById('ladder-card').scrollIntoView()")
    shot("ladder")

    # The h2c server: the browser spoke HTTP/1.1 to it (browsers have no h2c), as the log says.
    driver.execute_script("window.scrollTo(0, 0)")
    click("#servers tbody tr:nth-child(1) button[data-action=watch]")
    wait.until(EC.text_to_be_present_in_element((By.ID, "log"), "HTTP/1.1"))
    shot("h2c-log")

    # The table is rebuilt as it refreshes: find the row again.
    click("#servers tbody tr:nth-child(1) button[data-action=stop]")
    wait.until(lambda d: "127.0.0.1:%s" % h2c_port not in text("#servers"))
    check("127.0.0.1:%s" % tls_port in text("#servers"), "the TLS server went too")
    shot("stopped-one")

    driver.find_element(By.ID, "logout").click()
    wait.until(EC.presence_of_element_located((By.NAME, "username")))
    driver.get(url + "/")
    wait.until(EC.presence_of_element_located((By.NAME, "username")))
    check(driver.current_url.endswith("/login"), "still logged in after logout")
    shot("logged-out")
    print("ok", shots, "screenshots", flush=True)
finally:
    driver.quit()
