"""A form of a page read as a browser would submit it untouched, for posting pages back as they are."""

from html.parser import HTMLParser


class FormFields(HTMLParser):
    """The fields of one form of a page, as a browser would submit it untouched."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id, self.inside = form_id, False
        self.fields: list[tuple[str, str]] = []
        self.textarea: str | None = None
        self.select: tuple[str, bool] | None = None  # its name, and whether an option was selected
        self.first_option: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.inside = attributes.get("id") == self.form_id
        if not self.inside or ("name" not in attributes and tag != "option"):
            return
        name, kind = attributes.get("name", ""), attributes.get("type", "text")
        if tag == "input" and kind not in {"submit", "button", "file", "image", "reset"}:
            if kind not in {"checkbox", "radio"} or "checked" in attributes:
                self.fields.append((name, attributes.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "textarea":
            self.textarea = name
            self.fields.append((name, ""))
        elif tag == "select":
            self.select, self.first_option = (name, False), None
        elif tag == "option" and self.select is not None:
            value = attributes.get("value", "")
            if self.first_option is None:
                self.first_option = value
            if "selected" in attributes:
                self.fields.append((self.select[0], value))
                self.select = (self.select[0], True)

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            name, text = self.fields.pop()
            self.fields.append((name, text + data))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "textarea":
            self.textarea = None
        elif tag == "select" and self.select is not None:
            name, chosen = self.select
            if not chosen and self.first_option is not None:
                self.fields.append((name, self.first_option))  # a browser submits the first option
            self.select = None

    @classmethod
    def of(cls, page: str, form_id: str) -> dict[str, list[str]]:
        parser = cls(form_id)
        parser.feed(page)
        data: dict[str, list[str]] = {}
        for name, value in parser.fields:
            data.setdefault(name, []).append(value)
        return data
