"""Headless Chromium (Debian's chromium and chromedriver; nothing is downloaded) opens a WebSocket to
`h2lab serve`'s /ws over its HTTP/2 connection (RFC 8441): it loads /html over TLS, then runs
`new WebSocket("wss://…/ws")` in the page, sends a message and prints what came back.
Usage: h2_websocket.py PORT (not websocket.py: that name would hide the websocket module selenium imports)"""
import sys

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

port = int(sys.argv[1])
options = Options()
options.binary_location = "/usr/bin/chromium"
for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--ignore-certificate-errors", "--disable-dev-shm-usage"]:
    options.add_argument(argument)
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
try:
    driver.set_script_timeout(20)
    driver.get(f"https://127.0.0.1:{port}/html")
    echoed = driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const socket = new WebSocket("wss://127.0.0.1:%d/ws");
        socket.onopen = () => socket.send("hello from chromium");
        socket.onmessage = (event) => { done("echo: " + event.data); socket.close(); };
        socket.onerror = () => done("error");
    """ % port)
    print(echoed)
finally:
    driver.quit()
