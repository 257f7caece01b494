"""Exports: Markdown and self-contained HTML that show the card's content, and stay inert when
card fields hold hostile strings (checked by parsing the output, and with Hypothesis)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from registry_cards_helpers import PACKAGE_ARN, fraud_facts

from bastion.errors import Invalid
from bastion.registry.cards import (
    ExportFormat,
    ModelCard,
    ModelCardsClient,
    ModelCardStatus,
    draft_from_facts,
    merge_content,
    render_html,
    render_markdown,
)
from bastion.types import Arn

HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "</td></tr></table><iframe src=//evil.example>",
    "[click](javascript:alert(1))",
    "![x](https://evil.example/pixel.png)",
    "<https://evil.example>",
    "# heading\n\n- item\n1. numbered\n> quote\n---",
    "| a | b |\n|---|---|",
    "{{ 7*7 }} {% raw %}",
    "&lt;script&gt; &amp; &#x3C;",
    "`code` **bold** _em_ ~~strike~~ \\ back",
    "<!-- comment --> <![CDATA[x]]>",
]

TEMPLATE_TAGS = {
    "html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "h4", "span", "table",
    "caption", "thead", "tbody", "tr", "th", "td", "ul", "li", "p",
}  # fmt: skip
MARKDOWN_TAGS = {
    "h1", "h2", "h3", "p", "strong", "table", "thead", "tbody", "tr", "th", "td", "ul", "li",
    "br", "pre", "code",
}  # fmt: skip


class _Page(HTMLParser):
    """Every element, attribute and piece of text of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend(attrs)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_comment(self, data: str) -> None:
        self.tags.append("<!-- -->")


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


def _words(text: str) -> str:
    return " ".join(text.split())


def card_with(content: dict[str, Any], *, name: str = "fraud-v3") -> ModelCard:
    return ModelCard(
        name=name,
        arn=Arn(f"arn:bastion:sagemaker:local:123456789012:model-card/{name}"),
        version=2,
        latest_version=3,
        status=ModelCardStatus.PENDING_REVIEW,
        content=content,
        content_sha256="0" * 64,
        created_by="arn:bastion:iam::123456789012:user/alice",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        last_modified_by="arn:bastion:iam::123456789012:user/bob",
        last_modified_at=datetime(2026, 1, 2, 12, 30, tzinfo=UTC),
    )


def full_card() -> ModelCard:
    draft = draft_from_facts(fraud_facts())
    return card_with(
        merge_content(
            draft,
            {
                "intended_uses": {"purpose_of_model": "Flag fraud", "risk_rating": "High"},
                "business_details": {"business_problem": "Chargebacks"},
                "training_details": {
                    "objective_function": {"function": {"function": "Minimize", "facet": "Loss"}}
                },
            },
        )
    )


def hostile_card(text: str) -> ModelCard:
    return card_with(
        {
            "model_overview": {"model_description": text, "model_artifact": [text]},
            "intended_uses": {"purpose_of_model": text, "risk_rating": "Low"},
            "training_details": {"training_observations": text},
            "evaluation_details": [
                {
                    "name": text[:63] or "e",
                    "evaluation_observation": text,
                    "metadata": {text[:40] or "k": text},
                    "metric_groups": [
                        {
                            "name": text[:63] or "g",
                            "metric_data": [{"name": text or "m", "type": "number", "value": 1}],
                        }
                    ],
                }
            ],
            "additional_information": {"custom_details": {text or "k": text}},
        }
    )


def markdown_html(markdown: str) -> str:
    return MarkdownIt("commonmark").enable("table").enable("strikethrough").render(markdown)


# ------------------------------------------------------------------------------ what is shown


def test_markdown_shows_every_section() -> None:
    text = render_markdown(full_card())
    assert text.startswith("# Model card: fraud-v3\n")
    for heading in (
        "## Model overview",
        "## Model package",
        "## Intended uses",
        "## Business details",
        "## Training details",
        "## Evaluation details",
        "## Additional information",
        "### Registered metrics",
        "### Bias (pre-training)",
    ):
        assert f"\n{heading}\n" in text, heading
    for row in (
        "| Status | PendingReview |",
        "| Version | 2 (latest: 3) |",
        "| This version | 2026-01-02T12:30:00Z by arn:bastion:iam::123456789012:user/bob |",
        f"| Model ID | {PACKAGE_ARN} |",
        "| Risk rating | High |",
        "| auc | number | 0.9312 |  |  |  |",
        "| DPL | number | -0.1 |  |  |  |",
        "| num\\_leaves | 31 |",
        "| Function | Minimize |",
        "| Encryption | none |",
    ):
        assert row in text, row
    assert "- s3://fraud-data/train/2026-01.csv\n" in text


def test_markdown_renders_to_the_expected_structure() -> None:
    page = parse(markdown_html(render_markdown(full_card())))
    assert set(page.tags) <= MARKDOWN_TAGS
    assert page.tags.count("h2") == 7
    assert page.tags.count("table") >= 8
    words = _words(" ".join(page.text))
    assert "Approval description Approved by arn:bastion:iam::123456789012:user/bob: passed" in (
        words
    )


def test_html_is_one_self_contained_page() -> None:
    html = render_html(full_card())
    page = parse(html)
    assert set(page.tags) <= TEMPLATE_TAGS
    assert page.tags.count("h2") == 7
    names = {name for name, _ in page.attributes}
    assert names <= {"lang", "charset", "http-equiv", "content", "name", "class", "scope"}
    policy = dict(page.attributes)["http-equiv"]
    assert policy == "Content-Security-Policy"
    assert "default-src 'none'" in html
    assert not re.search(r"\b(src|href|url\()", html.split("</style>")[1])
    words = _words(" ".join(page.text))
    assert "Model card: fraud-v3 PendingReview" in words
    assert f"Model package ARN {PACKAGE_ARN}" in words
    assert "auc number 0.9312" in words


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_fields_stay_text_in_html(text: str) -> None:
    html = render_html(hostile_card(text))
    page = parse(html)
    assert set(page.tags) <= TEMPLATE_TAGS
    assert {name for name, _ in page.attributes} <= {
        "lang", "charset", "http-equiv", "content", "name", "class", "scope",
    }  # fmt: skip
    assert _words(text) in _words(" ".join(page.text))


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_fields_stay_text_in_markdown(text: str) -> None:
    rendered = markdown_html(render_markdown(hostile_card(text)))
    page = parse(rendered)
    assert set(page.tags) <= MARKDOWN_TAGS
    assert not any(name in ("href", "src") for name, _ in page.attributes)
    assert _words(text) in _words(" ".join(page.text))


_field_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x00")
    | st.sampled_from("\n<>&\"'`*_[]()#|!~-+=.1\\"),
    min_size=1,
    max_size=60,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_field_text)
def test_any_field_text_stays_text_in_both_formats(text: str) -> None:
    card = hostile_card(text)
    html_page = parse(render_html(card))
    assert set(html_page.tags) <= TEMPLATE_TAGS
    assert _words(text) in _words(" ".join(html_page.text))
    md_page = parse(markdown_html(render_markdown(card)))
    assert set(md_page.tags) <= MARKDOWN_TAGS
    assert not any(name in ("href", "src") for name, _ in md_page.attributes)
    assert _words(text) in _words(" ".join(md_page.text))


# ------------------------------------------------------------------------------ through the gate


def test_export_a_version_through_the_gate(cards: ModelCardsClient) -> None:
    cards.create_model_card("fraud", content={"intended_uses": {"purpose_of_model": "first"}})
    cards.update_model_card("fraud", content={"intended_uses": {"purpose_of_model": "second"}})
    latest = cards.export_model_card("fraud")
    assert latest.format is ExportFormat.HTML
    assert (latest.version, latest.filename) == (2, "fraud-v2.html")
    assert latest.media_type == "text/html; charset=utf-8"
    assert "second" in latest.text and "first" not in latest.text
    old = cards.export_model_card("fraud", version=1, format="markdown")
    assert (old.filename, old.media_type) == ("fraud-v1.md", "text/markdown; charset=utf-8")
    assert "| Purpose of model | first |" in old.text
    with pytest.raises(Invalid) as caught:
        cards.export_model_card("fraud", format="pdf")
    assert caught.value.field == "format"
