"""`render wuhan -o site` opened in headless Chromium: every article's text is on the rendered page with its
rules, the cross-references resolve, and a screenshot (and a PDF, as the print stylesheet lays it out) is
kept as a test artifact."""

from __future__ import annotations

import base64

import supervisor_rules as sr
from browser import ARTIFACTS, chromium, console_errors, screenshot


def test_the_rendered_policy_in_a_browser(tmp_path, cli):
    site = tmp_path / "site"
    code, _, err = cli("render", "wuhan", "-o", str(site))
    assert code == 0, err
    policy = sr.builtin_policy("wuhan")
    with chromium() as driver:
        from selenium.webdriver.common.by import By
        driver.get((site / "index.html").as_uri())
        body = driver.find_element(By.TAG_NAME, "body").text
        for article in policy.articles:
            assert article.cite in body
            for line in (article.text or "").splitlines()[:1]:
                assert line.strip()[:30] in body, article.cite
        # the rules beside the text, in words by the rule file's labels (第五条: the term)
        term = driver.find_element(By.ID, "p-5").text
        assert "三年" in term or "3 年" in term or "3年" in term
        # every internal link lands on an element of the page
        targets = [a.get_attribute("href").split("#", 1)[1] for a in driver.find_elements(By.CSS_SELECTOR, "a[href*='#']")]
        assert targets and all(driver.find_elements(By.ID, t) for t in set(targets))
        # the stylesheet applies (the page is not unstyled text)
        assert driver.execute_script("return document.styleSheets.length") >= 1
        assert console_errors(driver) == []
        screenshot(driver, "render-wuhan", tmp_path)
        pdf = base64.b64decode(driver.execute_cdp_cmd("Page.printToPDF", {"printBackground": False})["data"])
        assert pdf.startswith(b"%PDF")
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "render-wuhan.pdf").write_bytes(pdf)
