"""The wire protocols' parsers on their own: aws-chunked framing, payload checks, S3 XML and byte
ranges (hypothesis round-trips and hostile input; no server, no database)."""

from __future__ import annotations

import base64
import hashlib
import io
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bastion.api._aws import BadDigest, ContentSha256Mismatch, IncompleteBody, WireError
from bastion.api._aws_body import AwsChunkedDecoder, PayloadRules, WireBody, verified_body
from bastion.api._aws_xml import parse_xml, xml_document
from bastion.api.routers.aws_s3 import _byte_range


def _crc32(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def _frame(data: bytes, sizes: list[int], trailer: str) -> bytes:
    out = bytearray()
    rest = data
    for size in sizes:
        if not rest:
            break
        piece, rest = rest[: max(size, 1)], rest[max(size, 1) :]
        out += f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    if rest:
        out += f"{len(rest):x}\r\n".encode() + rest + b"\r\n"
    return bytes(out) + f"0\r\nx-amz-checksum-crc32:{trailer}\r\n\r\n".encode()


CHUNKED = {
    "content-encoding": "aws-chunked",
    "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
    "x-amz-trailer": "x-amz-checksum-crc32",
}


@given(
    data=st.binary(max_size=3000),
    sizes=st.lists(st.integers(1, 700), max_size=8),
    splits=st.lists(st.integers(1, 97), min_size=1, max_size=6),
)
def test_aws_chunked_round_trip(data: bytes, sizes: list[int], splits: list[int]) -> None:
    framed = _frame(data, sizes, _crc32(data))
    decoder = AwsChunkedDecoder()
    out = bytearray()
    position = 0
    for index in range(10_000):
        step = splits[index % len(splits)]
        out += decoder.feed(framed[position : position + step])
        position += step
        if position >= len(framed):
            break
    decoder.finish()
    assert bytes(out) == data
    assert decoder.trailers == {"x-amz-checksum-crc32": _crc32(data)}
    rules = PayloadRules.of({**CHUNKED, "x-amz-decoded-content-length": str(len(data))})
    assert verified_body(framed, rules) == data
    body = WireBody(io.BytesIO(framed), rules, md5=True)
    assert body.read(7) + body.read() == data
    assert body.check.md5_hex == hashlib.md5(data, usedforsecurity=False).hexdigest()


@given(data=st.binary(min_size=1, max_size=500), flip=st.integers(0, 10_000))
def test_a_changed_byte_never_passes(data: bytes, flip: int) -> None:
    framed = bytearray(_frame(data, [64], _crc32(data)))
    framed[flip % len(framed)] ^= 0x01
    rules = PayloadRules.of({**CHUNKED, "x-amz-decoded-content-length": str(len(data))})
    with pytest.raises((BadDigest, IncompleteBody)):
        verified_body(bytes(framed), rules)


def test_declared_digests_are_checked() -> None:
    body = b"payload"
    sha = hashlib.sha256(body).hexdigest()
    md5 = base64.b64encode(hashlib.md5(body, usedforsecurity=False).digest()).decode()
    assert verified_body(body, PayloadRules.of({"x-amz-content-sha256": sha})) == body
    with pytest.raises(ContentSha256Mismatch):
        verified_body(b"other", PayloadRules.of({"x-amz-content-sha256": sha}))
    with pytest.raises(BadDigest):
        verified_body(b"other", PayloadRules.of({"content-md5": md5}))
    with pytest.raises(BadDigest):
        verified_body(b"other", PayloadRules.of({"x-amz-checksum-crc32": _crc32(body)}))
    sha1 = base64.b64encode(hashlib.sha1(body, usedforsecurity=False).digest()).decode()
    assert verified_body(body, PayloadRules.of({"x-amz-checksum-sha1": sha1})) == body
    for headers in (
        {"x-amz-checksum-crc32c": "AAAAAA=="},
        {"x-amz-checksum-crc32": "a", "x-amz-checksum-sha1": "b"},
        {"content-encoding": "aws-chunked"},
        {"x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER"},
        {"x-amz-content-sha256": "not-hex"},
        {**CHUNKED},
        {"x-amz-trailer": "x-amz-checksum-crc32"},
    ):
        with pytest.raises(WireError):
            PayloadRules.of(headers)


@given(st.binary(max_size=200))
def test_hostile_bytes_never_crash_the_decoder(raw: bytes) -> None:
    decoder = AwsChunkedDecoder()
    try:
        decoder.feed(raw)
        decoder.finish()
    except IncompleteBody:
        return


XML_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\t\n<>&'\""),
    max_size=40,
)


@given(keys=st.lists(XML_TEXT, max_size=5), quiet=st.booleans())
def test_xml_round_trip(keys: list[str], quiet: bool) -> None:
    document = xml_document(
        "Delete", [("Quiet", quiet), *[("Object", [("Key", key)]) for key in keys]]
    )
    parsed = parse_xml(document, root="Delete")
    assert [o.text_of("Key") for o in parsed.all("Object")] == [
        key.replace("\r", "\n") for key in keys
    ]
    assert parsed.text_of("Quiet") == ("true" if quiet else "false")


@given(st.binary(max_size=300))
def test_hostile_xml_is_malformed_xml(raw: bytes) -> None:
    try:
        parse_xml(raw, root="Delete")
    except WireError as exc:
        assert exc.code == "MalformedXML"


def test_entities_and_deep_nesting_are_refused() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b"<Delete>&lol2;</Delete>"
    )
    for hostile in (bomb, b"<Delete>" * 40 + b"</Delete>" * 40):
        with pytest.raises(WireError) as refused:
            parse_xml(hostile, root="Delete")
        assert refused.value.code == "MalformedXML"


@given(size=st.integers(0, 10_000), first=st.integers(0, 12_000), last=st.integers(0, 12_000))
def test_byte_ranges(size: int, first: int, last: int) -> None:
    for header in (f"bytes={first}-{last}", f"bytes={first}-", f"bytes=-{last}"):
        try:
            span = _byte_range(header, size)
        except WireError as exc:
            assert exc.status == 416
            continue
        if span is not None:
            start, end = span
            assert 0 <= start <= end < size
    assert _byte_range(None, size) is None
    for ignored in ("bytes=1-2,4-5", "bytes=a-5", "bytes=5-x", "bytes=-", "items=1-2", "bytes=9"):
        assert _byte_range(ignored, size) is None
    assert _byte_range("bytes=" + "9" * 5000 + "-", size) is None
