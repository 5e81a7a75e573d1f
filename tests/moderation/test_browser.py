"""A moderator works a report through a strike to a ban in a real browser (headless Chromium).

Screenshots of each step are kept in test-artifacts/ for a person to look at.
"""

import shutil
import tempfile
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from safety.models import AuditLogEntry, Ban, Strike
from safety.services import report_create
from tests.conftest import REPO_ROOT
from tests.factories import DEFAULT_PASSWORD, PostFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARTIFACTS = REPO_ROOT / "test-artifacts"


@pytest.fixture
def browser():
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.fail("Chromium is missing: `make test` installs it (scripts/ensure_chromium.sh).")
    profile = tempfile.mkdtemp(prefix="ciel-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", "--window-size=1400,1000", f"--user-data-dir={profile}",
    ):  # fmt: skip
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def shot(driver, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"moderation-{name}.png"))


def wait_for_text(driver, text: str) -> None:
    """Wait until the page that a click led to shows the text (a click does not always wait)."""
    WebDriverWait(driver, 20).until(lambda d: text in d.page_source)


def run_action(driver, base: str, path: str, action: str, reason: str) -> None:
    driver.get(base + path)
    driver.find_element(By.CSS_SELECTOR, "input.action-select").click()
    Select(driver.find_element(By.NAME, "action")).select_by_value(action)
    driver.find_element(By.CSS_SELECTOR, "button[name=index]").click()
    WebDriverWait(driver, 20).until(lambda d: d.find_elements(By.ID, "id_reason"))
    driver.find_element(By.ID, "id_reason").send_keys(reason)
    driver.find_element(By.ID, "apply").click()
    wait_for_text(driver, "done for 1")


def test_a_moderator_works_a_report_through_a_strike_to_a_ban(
    browser, live_server, moderators_group
):
    moderator = UserFactory(handle="mod_browser", is_staff=True)
    moderator.groups.add(moderators_group)
    post = PostFactory()
    report_create(
        reporter=UserFactory(trust_level="basic"), target_type="post", target_id=post.pk,
        target_owner=post.author, reason="abuse",
    )  # fmt: skip
    base = live_server.url

    browser.get(base + "/admin/login/")
    browser.find_element(By.NAME, "username").send_keys(moderator.email)
    browser.find_element(By.NAME, "password").send_keys(DEFAULT_PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait_for_text(browser, "Site administration")
    shot(browser, "1-home")

    browser.get(base + "/admin/safety/report/?status__exact=open")
    assert "abuse" in browser.page_source
    shot(browser, "2-queue")
    run_action(browser, base, "/admin/safety/report/?status__exact=open", "strike_owner",
               "Abusive caption")  # fmt: skip
    assert "done for 1" in browser.page_source
    shot(browser, "3-strike")

    run_action(browser, base, "/admin/safety/report/?status__exact=actioned", "ban_7_days",
               "Abuse after a warning")  # fmt: skip
    assert "done for 1" in browser.page_source
    shot(browser, "4-ban")

    browser.get(base + "/admin/safety/auditlogentry/")
    page = browser.page_source
    shot(browser, "5-audit-log")
    assert "Abusive caption" in page
    assert "Abuse after a warning" in page

    strike = Strike.objects.get(user=post.author)
    assert strike.issued_by == moderator
    ban = Ban.objects.get(user=post.author)
    assert (ban.ends_at - ban.starts_at).days == 7
    actions = set(AuditLogEntry.objects.filter(actor=moderator).values_list("action", flat=True))
    assert {"strike", "ban"} <= actions
    post.author.refresh_from_db()
    assert post.author.ban_active()
