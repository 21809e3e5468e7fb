"""The classroom in real browsers: a teacher and three students, each a headless Chromium driven by
Selenium through Debian's chromedriver (nothing is downloaded).

The teacher logs in and holds the class at section 2; three students join with the code (one
named with markup, which must show as text). The teacher starts 01-handshake. Ann works through
the sections with Enter, is held at section 2 until the teacher frees the pace, answers the
prediction by clicking the right option and solves the exercise by typing `step` twice (score
100%). Ben clicks a wrong option and presses the skip button (score 0%). Chris reloads the page
mid-lesson and finds his lab as it was. The roster shows each score; the projector shows Ann's
lab. Screenshots into OUTDIR; with DOCS, the three for docs/ too.

Usage: classroom.py URL CODE PASSWORD OUTDIR [DOCS]
"""
import os
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

url, code, password, outdir = sys.argv[1:5]
docs = sys.argv[5] if len(sys.argv) > 5 else None
os.makedirs(outdir, exist_ok=True)
drivers = []
shots = 0


def browser(width=1400, height=1000):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--ignore-certificate-errors",
                 "--window-size=%d,%d" % (width, height), "--disable-dev-shm-usage", "--no-first-run"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    drivers.append(driver)
    return driver


def shot(driver, name, doc=None):
    global shots
    shots += 1
    driver.save_screenshot(os.path.join(outdir, "%02d-%s.png" % (shots, name)))
    if doc and docs:
        driver.save_screenshot(os.path.join(docs, doc))
    print("screenshot", name, flush=True)


def fail(message):
    for i, d in enumerate(drivers):
        try:
            d.save_screenshot(os.path.join(outdir, "failed-%d.png" % i))
        except Exception:
            pass
    print("FAILED:", message, flush=True)
    for d in drivers:
        d.quit()
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def text(driver, css):
    for attempt in range(20):
        try:
            return driver.find_element(By.CSS_SELECTOR, css).text
        except StaleElementReferenceException:
            time.sleep(0.1)
    return ""


def until(driver, what, predicate, timeout=20):
    try:
        WebDriverWait(driver, timeout).until(lambda d: predicate(d))
    except Exception:
        fail("waited %d s for %s" % (timeout, what))


def term_has(driver, words, timeout=20):
    until(driver, repr(words), lambda d: words in text(d, "#term"), timeout)


def click(driver, css, timeout=20):
    """Clicks the element `css` names, finding it again if the page re-rendered it meanwhile (the
    page redraws its options and buttons as the lab's state arrives)."""
    end = time.time() + timeout
    while True:
        try:
            driver.find_element(By.CSS_SELECTOR, css).click()
            return
        except StaleElementReferenceException:
            if time.time() > end:
                fail("%s kept being redrawn for %d s" % (css, timeout))
            time.sleep(0.1)


def type_line(driver, line):
    box = driver.find_element(By.ID, "line")
    box.send_keys(line)
    box.send_keys(Keys.ENTER)


def join(name):
    d = browser()
    d.get(url + "/")
    until(d, "the join form", lambda d: d.find_element(By.ID, "code").is_displayed())
    d.find_element(By.ID, "code").send_keys(code.lower())
    d.find_element(By.ID, "name").send_keys(name)
    d.find_element(By.ID, "join-button").click()
    until(d, "the lab after joining " + name, lambda d: d.find_element(By.ID, "line").is_displayed())
    until(d, "focus in the command line", lambda d: d.switch_to.active_element == d.find_element(By.ID, "line"), 5)
    return d


try:
    teacher = browser(1400, 900)
    teacher.get(url + "/login")
    until(teacher, "the login form", lambda d: len(d.find_elements(By.NAME, "username")) == 1)
    teacher.find_element(By.NAME, "username").send_keys("admin")
    teacher.find_element(By.NAME, "password").send_keys(password)
    teacher.find_element(By.ID, "login").click()
    until(teacher, "the dashboard's code", lambda d: text(d, "#code") == code)

    # A wrong code is refused, with the reason on the page.
    stranger = browser()
    stranger.get(url + "/")
    until(stranger, "the join form", lambda d: d.find_element(By.ID, "code").is_displayed())
    stranger.find_element(By.ID, "code").send_keys("WRONG1")
    stranger.find_element(By.ID, "name").send_keys("Eve")
    stranger.find_element(By.ID, "join-button").click()
    until(stranger, "the refusal", lambda d: "not the class's code" in text(d, "#join-message"))
    stranger.quit()
    drivers.remove(stranger)

    ann, ben, chris = join("Ann"), join("Ben"), join("<b>Chris</b>")
    until(teacher, "three students on the roster", lambda d: len(d.find_elements(By.CSS_SELECTOR, "#students tr")) == 3)
    names = [e.text for e in teacher.find_elements(By.CSS_SELECTOR, "#students td.name")]
    check("<b>Chris</b>" in names, "the markup name is not shown as text: %r" % names)

    # Hold the class at section 2, then start the lesson for everyone.
    field = teacher.find_element(By.ID, "open")
    field.clear()
    field.send_keys("2")
    teacher.find_element(By.ID, "hold").click()
    until(teacher, "held", lambda d: "held at section 2" in text(d, "#pacing"))
    click(teacher, "#lesson option[value='01-handshake']")
    teacher.find_element(By.ID, "start-lesson").click()
    for d in (ann, ben, chris):
        term_has(d, "section 1 of 6")

    # Ann: Enter goes on (focus stays in the command line); the hold stops her at section 2.
    type_line(ann, "")
    term_has(ann, "section 2 of 6")
    type_line(ann, "")
    term_has(ann, "the teacher has not opened section 3 yet")
    until(ann, "the hold on the page", lambda d: "opened through section 2" in text(d, "#held"))
    shot(ann, "ann-held")
    teacher.find_element(By.ID, "free").click()
    until(teacher, "free pace", lambda d: "free pace" in text(d, "#pacing"))
    type_line(ann, "")
    term_has(ann, "section 3 of 6")
    type_line(ann, "")
    term_has(ann, "section 4 of 6")
    term_has(ann, "predict: The server has just received")
    until(ann, "the options as buttons", lambda d: len(d.find_elements(By.CSS_SELECTOR, "#options button")) == 3)
    click(ann, "#options button[data-line='a']")
    term_has(ann, "✓ right: you said a)")
    until(ann, "the engine's answer beside hers", lambda d: "right" in (d.find_element(By.CSS_SELECTOR, "#options button[data-line='a']").get_attribute("class") or ""))
    shot(ann, "prediction")
    type_line(ann, "")
    term_has(ann, "section 5 of 6")
    # The exercise: goals shown, not yet ✓; typing `step` twice solves it.
    until(ann, "the exercise's goals", lambda d: len(d.find_elements(By.CSS_SELECTOR, "#goals li")) == 2)
    check(not ann.find_elements(By.CSS_SELECTOR, "#goals li.holds"), "a goal holds before anything was done")
    type_line(ann, "step")
    until(ann, "one goal ✓ after the first step", lambda d: len(d.find_elements(By.CSS_SELECTOR, "#goals li.holds")) == 1)
    # Click a frame in the ladder: its fields and octets.
    # The ladder is redrawn as each state arrives, so the frame is found again if it was redrawn
    # between finding and clicking it.
    until(ann, "five frames in the ladder", lambda d: len(d.find_elements(By.CSS_SELECTOR, "svg.ladder g.frame")) >= 5)
    end = time.time() + 20
    while True:
        try:
            ann.find_elements(By.CSS_SELECTOR, "svg.ladder g.frame")[2].click()
            break
        except (StaleElementReferenceException, IndexError):
            check(time.time() < end, "the ladder kept being redrawn for 20 s")
            time.sleep(0.1)
    until(ann, "the frame's fields", lambda d: "Length" in text(d, "#frame") or "length" in text(d, "#frame"))
    shot(ann, "student", "classroom-student.png")
    type_line(ann, "step")
    term_has(ann, "✓ solved")
    type_line(ann, "")  # lesson 01's last section: no one acknowledges an acknowledgement
    term_has(ann, "lesson complete")
    until(ann, "the score", lambda d: text(d, "#score") == "score 100%")
    shot(ann, "student-complete")

    # Ben: a wrong option, then skip.
    for n in (2, 3, 4):
        type_line(ben, "")
        term_has(ben, "section %d of 6" % n)
    until(ben, "the options", lambda d: len(d.find_elements(By.CSS_SELECTOR, "#options button")) == 3)
    click(ben, "#options button[data-line='b']")
    term_has(ben, "✗ you said b)")
    type_line(ben, "")
    until(ben, "the skip button", lambda d: d.find_element(By.ID, "exercise").is_displayed())
    click(ben, "#exercise button[data-line='skip']")
    term_has(ben, "section 5 of 6: Enter goes on")
    type_line(ben, "")
    term_has(ben, "lesson complete")
    until(ben, "the score", lambda d: text(d, "#score") == "score 0%")

    # Chris: two sections, a command of his own, then a reload: the lab is as it was.
    type_line(chris, "")
    term_has(chris, "section 2 of 6")
    type_line(chris, "show streams")
    term_has(chris, "lesson 2/6> show streams")
    before = chris.find_elements(By.CSS_SELECTOR, "svg.ladder g.frame")
    chris.refresh()
    until(chris, "the lab after a reload", lambda d: d.find_element(By.ID, "line").is_displayed())
    term_has(chris, "lesson 2/6> show streams")
    until(chris, "the same ladder", lambda d: len(d.find_elements(By.CSS_SELECTOR, "svg.ladder g.frame")) == len(before))
    check(text(chris, "#where") == "section 2 of 6", "after the reload: " + text(chris, "#where"))

    # The roster shows each score, live.
    def row(d, name):
        """The roster row of `name` as texts; read again if the live roster rebuilt it meanwhile."""
        for attempt in range(20):
            try:
                for tr in d.find_elements(By.CSS_SELECTOR, "#students tr"):
                    cells = tr.find_elements(By.TAG_NAME, "td")
                    if cells and cells[0].text == name:
                        return [c.text for c in cells]
                return []
            except StaleElementReferenceException:
                time.sleep(0.1)
        return []

    def row_element(d, name, css):
        """An element inside the roster row of `name` (found again if the roster was rebuilt)."""
        for attempt in range(20):
            try:
                for tr in d.find_elements(By.CSS_SELECTOR, "#students tr"):
                    if tr.find_elements(By.TAG_NAME, "td")[0].text == name:
                        return tr.find_element(By.CSS_SELECTOR, css) if css else tr
            except StaleElementReferenceException:
                time.sleep(0.1)
        fail("no roster row for " + name)
    until(teacher, "Ann's 100% and Ben's 0% on the roster", lambda d: row(d, "Ann")[5:6] == ["100%"] and row(d, "Ben")[5:6] == ["0%"])
    check(row(teacher, "<b>Chris</b>")[2].endswith("2 of 6"), "Chris: %r" % row(teacher, "<b>Chris</b>"))
    check(row(teacher, "Ann")[3] == "1 / 0" and row(teacher, "Ben")[3] == "0 / 1", "exercises: %r %r" % (row(teacher, "Ann"), row(teacher, "Ben")))
    # Peek at Chris's lab, read only.
    for attempt in range(20):
        try:
            row_element(teacher, "<b>Chris</b>", "button.quiet").click()
            break
        except StaleElementReferenceException:
            time.sleep(0.1)
    until(teacher, "Chris's lab", lambda d: "show streams" in text(d, "#peek-term"))
    shot(teacher, "dashboard", "classroom-dashboard.png")

    # The projector: Ann's lab in large type with the ladder.
    ann_id = None
    for attempt in range(20):
        try:
            ann_id = row_element(teacher, "Ann", None).get_attribute("data-id")
            break
        except StaleElementReferenceException:
            time.sleep(0.1)
    projector = browser(1280, 800)
    projector.get(url + "/login")
    projector.find_element(By.NAME, "username").send_keys("admin")
    projector.find_element(By.NAME, "password").send_keys(password)
    projector.find_element(By.ID, "login").click()
    until(projector, "the dashboard", lambda d: text(d, "#code") == code)
    projector.get(url + "/projector#" + ann_id)
    until(projector, "Ann's lab on the projector", lambda d: "Ann's lab" in text(d, "#whose") and "lesson complete" in text(d, "#term"))
    until(projector, "the ladder", lambda d: len(d.find_elements(By.CSS_SELECTOR, "svg.ladder g.frame")) >= 5)
    size = projector.execute_script("return parseFloat(getComputedStyle(document.body).fontSize)")
    check(size >= 20, "projector type is %s px" % size)
    # Nobody scrolls a projected terminal sideways: its long lines wrap.
    sideways = projector.execute_script("var t = document.getElementById('term'); return t.scrollWidth - t.clientWidth")
    check(sideways <= 2, "the projector's terminal scrolls sideways by %s px" % sideways)
    shot(projector, "projector", "classroom-projector.png")

    # 200% zoom of a 1400-pixel window is a 700-CSS-pixel viewport: the page still fits its width.
    ann.set_window_size(700, 1000)
    time.sleep(0.5)
    wide = ann.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 2")
    shot(ann, "student-200")
    check(wide, "the student page scrolls sideways at 200%")
    print("ok %d screenshots" % shots, flush=True)
finally:
    for d in drivers:
        try:
            d.quit()
        except Exception:
            pass
