"""S3's XML, read safely and written with S3's namespace.

Request bodies (``Delete``, ``Tagging``, ``CompleteMultipartUpload``,
``CreateBucketConfiguration``) are parsed with expat into a small tree: a document type
declaration is refused (so no entity expansion and no external entity is ever read), as are
processing of more than :data:`MAX_ELEMENTS` elements or nesting deeper than :data:`MAX_DEPTH`.
Every failure is S3's ``MalformedXML`` (400).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from xml.parsers import expat

from bastion.api._aws import WireError

S3_NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/"
MAX_DEPTH = 16
MAX_ELEMENTS = 20_000
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass
class XmlNode:
    """One element: its local name, its text and its children, in order."""

    tag: str
    text: str = ""
    children: list[XmlNode] = field(default_factory=list)

    def all(self, tag: str) -> list[XmlNode]:
        """The children named ``tag``."""
        return [child for child in self.children if child.tag == tag]

    def one(self, tag: str) -> XmlNode | None:
        """The child named ``tag``; MalformedXML when there are several."""
        found = self.all(tag)
        if len(found) > 1:
            raise malformed(f"more than one <{tag}> in <{self.tag}>")
        return found[0] if found else None

    def text_of(self, tag: str) -> str | None:
        """The text of the child named ``tag`` (None when absent)."""
        child = self.one(tag)
        return None if child is None else child.text


def malformed(why: str) -> WireError:
    """S3's MalformedXML with the reason."""
    return WireError(
        "MalformedXML",
        f"The XML you provided was not well-formed or did not validate against our published "
        f"schema ({why})",
    )


class _Builder:
    def __init__(self) -> None:
        self.stack: list[XmlNode] = []
        self.root: XmlNode | None = None
        self.count = 0

    def start(self, name: str, _attributes: Any) -> None:
        self.count += 1
        if self.count > MAX_ELEMENTS or len(self.stack) >= MAX_DEPTH:
            raise malformed(f"more than {MAX_ELEMENTS} elements or {MAX_DEPTH} levels")
        node = XmlNode(tag=name.rpartition(":")[2])
        if self.stack:
            self.stack[-1].children.append(node)
        elif self.root is None:
            self.root = node
        self.stack.append(node)

    def end(self, _name: str) -> None:
        self.stack.pop()

    def data(self, text: str) -> None:
        if self.stack:
            self.stack[-1].text += text


def _refuse_doctype(*_args: Any) -> None:
    raise malformed("a document type declaration is not allowed")


def parse_xml(body: bytes, *, root: str) -> XmlNode:
    """The document in ``body`` whose root element must be ``root``."""
    if not body.strip():
        raise malformed(f"an empty body where <{root}> was expected")
    builder = _Builder()
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse_doctype
    parser.EntityDeclHandler = _refuse_doctype
    parser.StartElementHandler = builder.start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(body, True)
    except expat.ExpatError as exc:
        raise malformed(expat.ErrorString(exc.code)) from None
    if builder.root is None or builder.root.tag != root:
        got = builder.root.tag if builder.root is not None else "nothing"
        raise malformed(f"the root element must be <{root}>, got <{got[:40]}>")
    return builder.root


def clean(text: str) -> str:
    """``text`` with characters XML 1.0 cannot carry replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)


Content = str | int | bool | datetime | None | Iterable["tuple[str, Content]"]


def _fill(parent: ET.Element, content: Content) -> None:
    if content is None:
        return
    if isinstance(content, bool):
        parent.text = "true" if content else "false"
    elif isinstance(content, int):
        parent.text = str(content)
    elif isinstance(content, datetime):
        parent.text = iso_time(content)
    elif isinstance(content, str):
        parent.text = clean(content)
    else:
        for tag, value in content:
            _fill(ET.SubElement(parent, tag), value)


def xml_document(root: str, content: Content, *, namespace: bool = True) -> bytes:
    """``<root>`` holding ``content``: text, or (tag, content) pairs in order (repeat a tag for
    a list)."""
    element = ET.Element(root, {"xmlns": S3_NAMESPACE} if namespace else {})
    _fill(element, content)
    text = ET.tostring(element, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{text}'.encode()


def iso_time(moment: datetime) -> str:
    """S3's timestamp in XML: ``2026-01-01T12:00:00.000Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{moment.microsecond // 1000:03d}Z"
    )


__all__ = [
    "S3_NAMESPACE",
    "XmlNode",
    "clean",
    "iso_time",
    "malformed",
    "parse_xml",
    "xml_document",
]
