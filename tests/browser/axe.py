"""axe-core, run inside the page, for what a screen reader or a keyboard user would meet."""

from playwright.sync_api import Page

from tests.processes import ROOT

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}


def serious_violations(page: Page) -> list[str]:
    """Each serious or critical axe-core violation on the page as "rule: first target". Evaluated
    over the DevTools protocol, so the page's Content-Security-Policy does not stop the script."""
    page.evaluate(AXE.read_text())
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{violation['id']}: {violation['nodes'][0]['target']}"
        for violation in result["violations"]
        if violation["impact"] in BLOCKING
    ]
