"""Streaming envelope encryption: round-trips, Tink interoperability, and hostile input."""

from __future__ import annotations

import hashlib
import io
import json
import os
import struct
import threading
import tracemalloc
from pathlib import Path
from typing import Any, BinaryIO, cast

import pytest
import tink
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tink import secret_key_access, streaming_aead
from tink.proto import aes_gcm_hkdf_streaming_pb2, common_pb2, tink_pb2

from bastion.errors import INVALID_TEMPLATE, Invalid, InvalidCiphertext
from bastion.keys._envelope import (
    ALGORITHM,
    BAD_HEADER_LENGTH,
    DATA_KEY_EXPECTED,
    MALFORMED_HEADER,
    MAX_HEADER_SIZE,
    NOT_AN_ENVELOPE,
    TRUNCATED_HEADER,
    TRUNCATED_PREAMBLE,
    UNSUPPORTED_VERSION,
    EnvelopeHeader,
    EnvelopeStats,
    algorithm_for,
    open_envelope_reader,
    read_envelope,
    read_header,
    serialize_header,
    write_envelope,
)
from bastion.keys._envelope_stream import (
    NOT_AUTHENTIC,
    TRUNCATED_SEGMENT,
    TRUNCATED_STREAM_HEADER,
)

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
SMALL = 64  # ciphertext segment: 8 plaintext bytes in the first segment, 48 in the others
STREAM_HEADER = 40
TAG = 16
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def make_header(segment_size: int = SMALL, **changes: Any) -> EnvelopeHeader:
    values: dict[str, Any] = {
        "key_arn": "arn:bastion:kms:local:123456789012:key/0b5c6d1e",
        "wrapped_key": b"\x01wrapped-data-key\xff",
        "encryption_context": {"bucket": "models", "key": "fraud/model.onnx"},
        "algorithm": algorithm_for(segment_size),
    }
    values.update(changes)
    return EnvelopeHeader(**values)


def seal(plaintext: bytes, segment_size: int = SMALL, key: bytes = KEY) -> bytes:
    out = io.BytesIO()
    write_envelope(
        io.BytesIO(plaintext),
        out,
        header=make_header(segment_size),
        data_key=key,
        segment_size=segment_size,
    )
    return out.getvalue()


def unseal(blob: bytes, key: bytes = KEY) -> tuple[bytes, EnvelopeStats]:
    src = io.BytesIO(blob)
    header = read_header(src)
    out = io.BytesIO()
    stats = read_envelope(src, out, header=header, data_key=key)
    return out.getvalue(), stats


def split(blob: bytes) -> tuple[bytes, bytes]:
    """(preamble + header, Tink stream) of an envelope."""
    (length,) = struct.unpack(">I", blob[8:12])
    return blob[: 12 + length], blob[12 + length :]


def segments(stream: bytes, segment_size: int = SMALL) -> list[bytes]:
    """The Tink stream header followed by its segments, as separate byte strings."""
    parts = [stream[:STREAM_HEADER]]
    rest = stream[STREAM_HEADER:]
    size = segment_size - STREAM_HEADER
    while rest:
        parts.append(rest[:size])
        rest = rest[size:]
        size = segment_size
    return parts


def tink_primitive(key: bytes, segment_size: int) -> Any:
    """Tink 1.16's own AES-GCM-HKDF streaming primitive keyed by the data key."""
    streaming_aead.register()
    params = aes_gcm_hkdf_streaming_pb2.AesGcmHkdfStreamingParams(
        ciphertext_segment_size=segment_size, derived_key_size=32, hkdf_hash_type=common_pb2.SHA256
    )
    proto_key = aes_gcm_hkdf_streaming_pb2.AesGcmHkdfStreamingKey(
        version=0, params=params, key_value=key
    )
    keyset = tink_pb2.Keyset(
        primary_key_id=7,
        key=[
            tink_pb2.Keyset.Key(
                key_data=tink_pb2.KeyData(
                    type_url="type.googleapis.com/google.crypto.tink.AesGcmHkdfStreamingKey",
                    value=proto_key.SerializeToString(),
                    key_material_type=tink_pb2.KeyData.SYMMETRIC,
                ),
                status=tink_pb2.ENABLED,
                key_id=7,
                output_prefix_type=tink_pb2.RAW,
            )
        ],
    )
    handle = tink.proto_keyset_format.parse(keyset.SerializeToString(), secret_key_access.TOKEN)
    return handle.primitive(streaming_aead.StreamingAead)


class _Keep(io.BytesIO):
    """A BytesIO that keeps its value after tink closes it."""

    value = b""

    def close(self) -> None:
        self.value = self.getvalue()
        super().close()


def boundary_sizes(segment_size: int) -> list[int]:
    first, later = segment_size - STREAM_HEADER - TAG, segment_size - TAG
    return sorted({0, 1, first - 1, first, first + 1, first + later, first + later + 1, 3 * later})


# --- names and layout --------------------------------------------------------------------------


def test_algorithm_names_follow_tink_templates() -> None:
    assert ALGORITHM == "tink/AES256_GCM_HKDF_1MB"
    assert algorithm_for(4096) == "tink/AES256_GCM_HKDF_4KB"
    assert algorithm_for(100) == "tink/AES256_GCM_HKDF_100B"


def test_layout_is_preamble_header_then_tink_stream() -> None:
    plaintext = os.urandom(200)
    blob = seal(plaintext)
    raw_header = serialize_header(make_header())
    assert blob[:12] == b"BSTNENV\x01" + struct.pack(">I", len(raw_header))
    assert blob[12 : 12 + len(raw_header)] == raw_header
    assert json.loads(raw_header)["wrapped_key"] == "AXdyYXBwZWQtZGF0YS1rZXn/"
    _, stream = split(blob)
    assert stream[0] == STREAM_HEADER
    # 200 bytes = 8 in the first segment + 4 x 48: five segments, each with a 16-byte tag
    assert len(stream) == STREAM_HEADER + 200 + 5 * TAG


# --- round-trips -------------------------------------------------------------------------------


@FAST
@given(
    plaintext=st.binary(max_size=400),
    segment_size=st.sampled_from([SMALL, 100, 4096]),
    chunk=st.integers(min_value=1, max_value=97),
)
def test_round_trip(plaintext: bytes, segment_size: int, chunk: int) -> None:
    header = make_header(segment_size)
    out = io.BytesIO()
    stats = write_envelope(
        io.BytesIO(plaintext), out, header=header, data_key=KEY, segment_size=segment_size
    )
    expected = EnvelopeStats(size=len(plaintext), sha256=hashlib.sha256(plaintext).hexdigest())
    assert stats == expected

    src = io.BytesIO(out.getvalue())
    assert read_header(src) == header
    body = src.tell()
    opened = io.BytesIO()
    assert read_envelope(src, opened, header=header, data_key=KEY) == expected
    assert opened.getvalue() == plaintext

    src.seek(body)
    reader = open_envelope_reader(src, header=header, data_key=KEY)
    pieces = []
    while piece := reader.read(chunk):
        pieces.append(piece)
    assert b"".join(pieces) == plaintext


def test_empty_input_round_trips() -> None:
    blob = seal(b"")
    _, stream = split(blob)
    assert len(stream) == STREAM_HEADER + TAG
    assert unseal(blob) == (b"", EnvelopeStats(size=0, sha256=hashlib.sha256(b"").hexdigest()))


def test_default_segment_size_round_trips_several_segments() -> None:
    plaintext = os.urandom(3 * (1 << 20) + 5)
    out = io.BytesIO()
    header = make_header(1 << 20)
    write_envelope(io.BytesIO(plaintext), out, header=header, data_key=KEY)
    assert header.algorithm == ALGORITHM
    assert unseal(out.getvalue())[0] == plaintext


class _Trickle(io.RawIOBase):
    """A raw stream that returns at most 7 bytes per read and accepts at most 5 per write."""

    def __init__(self, data: bytes = b"") -> None:
        super().__init__()
        self._data = data
        self.written = bytearray()

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = min(7, len(buffer), len(self._data))
        buffer[:n] = self._data[:n]
        self._data = self._data[n:]
        return n

    def write(self, data: Any) -> int:
        part = bytes(data[:5])
        self.written += part
        return len(part)


def test_short_reads_and_partial_writes_are_completed() -> None:
    plaintext = os.urandom(333)
    sink = _Trickle()
    write_envelope(
        cast(BinaryIO, _Trickle(plaintext)),
        cast(BinaryIO, sink),
        header=make_header(),
        data_key=KEY,
        segment_size=SMALL,
    )
    assert unseal(bytes(sink.written))[0] == plaintext
    src = cast(BinaryIO, _Trickle(bytes(sink.written)))
    header = read_header(src)
    out = _Trickle()
    read_envelope(src, cast(BinaryIO, out), header=header, data_key=KEY)
    assert bytes(out.written) == plaintext


def test_progress_reports_running_totals() -> None:
    plaintext = os.urandom(150)
    seen: list[int] = []
    out = io.BytesIO()
    write_envelope(
        io.BytesIO(plaintext),
        out,
        header=make_header(),
        data_key=KEY,
        segment_size=SMALL,
        on_progress=seen.append,
    )
    assert seen == [8, 56, 104, 150]
    seen.clear()
    src = io.BytesIO(out.getvalue())
    read_envelope(src, io.BytesIO(), header=read_header(src), data_key=KEY, on_progress=seen.append)
    assert seen == [8, 56, 104, 150]


# --- interoperability with tink 1.16 -----------------------------------------------------------


@pytest.mark.parametrize("segment_size", [SMALL, 4096])
def test_tink_decrypts_what_bastion_writes(segment_size: int) -> None:
    primitive = tink_primitive(KEY, segment_size)
    aad = serialize_header(make_header(segment_size))
    for size in boundary_sizes(segment_size):
        plaintext = os.urandom(size)
        _, stream = split(seal(plaintext, segment_size))
        decrypted = primitive.new_decrypting_stream(io.BytesIO(stream), aad).read()
        assert decrypted == plaintext, size


@pytest.mark.parametrize("segment_size", [SMALL, 4096])
def test_bastion_decrypts_what_tink_writes(segment_size: int) -> None:
    primitive = tink_primitive(KEY, segment_size)
    header = make_header(segment_size)
    aad = serialize_header(header)
    for size in boundary_sizes(segment_size):
        plaintext = os.urandom(size)
        sink = _Keep()
        with primitive.new_encrypting_stream(sink, aad) as encrypting:
            encrypting.write(plaintext)
        out = io.BytesIO()
        stats = read_envelope(io.BytesIO(sink.value), out, header=header, data_key=KEY)
        assert out.getvalue() == plaintext, size
        assert stats.sha256 == hashlib.sha256(plaintext).hexdigest()
        assert len(sink.value) == len(split(seal(plaintext, segment_size))[1])


# --- tampering ---------------------------------------------------------------------------------

PLAINTEXT = bytes(range(256)) * 2  # 512 bytes: 8 + 10 x 48 + 24, twelve segments
BLOB = seal(PLAINTEXT)


def _fails_authentication(blob: bytes, key: bytes = KEY) -> tuple[InvalidCiphertext, bytes]:
    src = io.BytesIO(blob)
    header = read_header(src)
    out = io.BytesIO()
    with pytest.raises(InvalidCiphertext) as caught:
        read_envelope(src, out, header=header, data_key=key)
    written = out.getvalue()
    # whatever was written before the failure is authenticated plaintext, whole segments only
    assert PLAINTEXT.startswith(written)
    assert len(written) == 0 or (len(written) - 8) % 48 == 0
    return caught.value, written


@FAST
@given(data=st.data())
def test_any_bit_flip_in_the_stream_is_detected(data: st.DataObject) -> None:
    prefix, stream = split(BLOB)
    position = data.draw(st.integers(min_value=0, max_value=len(stream) - 1))
    bit = data.draw(st.integers(min_value=0, max_value=7))
    tampered = bytearray(stream)
    tampered[position] ^= 1 << bit
    src = io.BytesIO(prefix + bytes(tampered))
    header = read_header(src)
    with pytest.raises(InvalidCiphertext):
        read_envelope(src, io.BytesIO(), header=header, data_key=KEY)


def test_bit_flip_in_a_later_segment_names_it_after_earlier_segments_were_written() -> None:
    prefix, stream = split(BLOB)
    tampered = bytearray(stream)
    tampered[STREAM_HEADER + 24 + 2 * SMALL + 5] ^= 0x10  # inside segment 3
    error, written = _fails_authentication(prefix + bytes(tampered))
    assert str(error) == NOT_AUTHENTIC.format(index=3)
    assert written == PLAINTEXT[: 8 + 2 * 48]


@FAST
@given(data=st.data())
def test_any_header_byte_flip_is_detected(data: st.DataObject) -> None:
    prefix, stream = split(BLOB)
    position = data.draw(st.integers(min_value=0, max_value=len(prefix) - 1))
    bit = data.draw(st.integers(min_value=0, max_value=7))
    tampered = bytearray(prefix)
    tampered[position] ^= 1 << bit
    src = io.BytesIO(bytes(tampered) + stream)
    with pytest.raises(InvalidCiphertext):
        header = read_header(src)
        read_envelope(src, io.BytesIO(), header=header, data_key=KEY)


def test_a_well_formed_header_edit_fails_authentication() -> None:
    _, stream = split(BLOB)
    edited = make_header(encryption_context={"bucket": "models", "key": "other/model.onnx"})
    raw = serialize_header(edited)
    blob = b"BSTNENV\x01" + struct.pack(">I", len(raw)) + raw + stream
    error, written = _fails_authentication(blob)
    assert str(error) == NOT_AUTHENTIC.format(index=0)
    assert written == b""


def test_reading_with_another_header_than_the_written_one_fails() -> None:
    _, stream = split(BLOB)
    for header in (
        make_header(key_arn="arn:bastion:kms:local:123456789012:key/other"),
        make_header(wrapped_key=b"another blob"),
        make_header(encryption_context={}),
    ):
        with pytest.raises(InvalidCiphertext, match="segment 0"):
            read_envelope(io.BytesIO(stream), io.BytesIO(), header=header, data_key=KEY)


def test_truncation_anywhere_is_detected() -> None:
    prefix, stream = split(BLOB)
    for cut in range(len(stream)):
        src = io.BytesIO(prefix + stream[:cut])
        header = read_header(src)
        with pytest.raises(InvalidCiphertext):
            read_envelope(src, io.BytesIO(), header=header, data_key=KEY)


def test_truncation_messages() -> None:
    prefix, stream = split(BLOB)
    parts = segments(stream)
    error, _ = _fails_authentication(prefix + stream[:30])
    assert str(error) == TRUNCATED_STREAM_HEADER
    error, _ = _fails_authentication(prefix + stream[:STREAM_HEADER])
    assert str(error) == TRUNCATED_SEGMENT.format(index=0, size=0)
    # cut exactly after segment 4: segment 4 was sealed as "not last"
    error, written = _fails_authentication(prefix + b"".join(parts[:6]))
    assert str(error) == NOT_AUTHENTIC.format(index=4)
    assert written == PLAINTEXT[: 8 + 3 * 48]


def test_reordered_dropped_or_duplicated_segments_are_detected() -> None:
    prefix, stream = split(BLOB)
    parts = segments(stream)
    header, first, body, last = parts[0], parts[1], parts[2:-1], parts[-1]
    variants = {
        "swap 2 and 3": [header, first, body[1], body[0], *body[2:], last],
        "drop 2": [header, first, *body[1:], last],
        "duplicate 2": [header, first, body[0], *body, last],
        "last moved first": [header, last, *body, first],
        "drop the last": [header, first, *body],
    }
    for name, order in variants.items():
        error, _ = _fails_authentication(prefix + b"".join(order))
        assert "failed authentication" in str(error), name


@pytest.mark.parametrize(
    "garbage", [b"\x00", os.urandom(TAG), os.urandom(SMALL), os.urandom(SMALL + 3)]
)
def test_appended_bytes_are_detected(garbage: bytes) -> None:
    error, _ = _fails_authentication(BLOB + garbage)
    assert "failed authentication" in str(error)


def test_appending_a_copy_of_the_last_segment_is_detected() -> None:
    _, stream = split(BLOB)
    error, _ = _fails_authentication(BLOB + segments(stream)[-1])
    assert "failed authentication" in str(error)


def test_wrong_data_key_is_detected_at_the_first_segment() -> None:
    error, written = _fails_authentication(BLOB, key=OTHER_KEY)
    assert str(error) == NOT_AUTHENTIC.format(index=0)
    assert written == b""


def test_envelope_of_another_object_does_not_open_with_this_objects_key() -> None:
    other = seal(PLAINTEXT, key=OTHER_KEY)
    _fails_authentication(other)


# --- the streaming reader ----------------------------------------------------------------------


def test_reader_fails_at_open_on_a_wrong_key() -> None:
    src = io.BytesIO(BLOB)
    header = read_header(src)
    with pytest.raises(InvalidCiphertext, match="segment 0"):
        open_envelope_reader(src, header=header, data_key=OTHER_KEY)


def test_reader_serves_authenticated_data_then_fails_on_truncation() -> None:
    prefix, stream = split(BLOB)
    src = io.BytesIO(prefix + stream[:-1])
    reader = open_envelope_reader(src, header=read_header(src), data_key=KEY)
    assert reader.read(8 + 48) == PLAINTEXT[:56]
    with pytest.raises(InvalidCiphertext) as first:
        reader.read()
    with pytest.raises(InvalidCiphertext) as again:  # never resumes after a failure
        reader.read(1)
    assert str(again.value) == str(first.value) == NOT_AUTHENTIC.format(index=11)


def test_closing_the_reader_closes_the_source() -> None:
    src = io.BytesIO(BLOB)
    with open_envelope_reader(src, header=read_header(src), data_key=KEY) as reader:
        assert reader.readable()
        assert reader.read() == PLAINTEXT
    assert src.closed
    with pytest.raises(ValueError):
        reader.read(1)


# --- malformed envelopes -----------------------------------------------------------------------


def _envelope_with(raw_header: bytes, *, magic: bytes = b"BSTNENV", version: int = 1) -> bytes:
    return magic + bytes([version]) + struct.pack(">I", len(raw_header)) + raw_header


def _document(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(serialize_header(make_header()))
    document.update(changes)
    return document


def _canonical(document: Any) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


@pytest.mark.parametrize(
    ("blob", "message"),
    [
        (b"", TRUNCATED_PREAMBLE.format(size=12)),
        (b"BSTN", TRUNCATED_PREAMBLE.format(size=12)),
        (b"PK\x03\x04 a zip file", NOT_AN_ENVELOPE.format(magic=b"BSTNENV")),
        (b"xx", NOT_AN_ENVELOPE.format(magic=b"BSTNENV")),
        (
            _envelope_with(b"{}", version=2),
            UNSUPPORTED_VERSION.format(version=2, supported=1),
        ),
        (
            b"BSTNENV\x01" + struct.pack(">I", 0),
            BAD_HEADER_LENGTH.format(length=0, limit=MAX_HEADER_SIZE),
        ),
        (
            b"BSTNENV\x01" + struct.pack(">I", 0xFFFFFFFF),
            BAD_HEADER_LENGTH.format(length=0xFFFFFFFF, limit=MAX_HEADER_SIZE),
        ),
        (
            b"BSTNENV\x01" + struct.pack(">I", 100) + b"{}",
            TRUNCATED_HEADER.format(length=100, got=2),
        ),
        (_envelope_with(b"\xff\xfe"), MALFORMED_HEADER.format(reason="not ASCII JSON")),
        (_envelope_with(b"{not json"), MALFORMED_HEADER.format(reason="not ASCII JSON")),
    ],
)
def test_malformed_preamble_is_refused_with_a_clear_message(blob: bytes, message: str) -> None:
    with pytest.raises(InvalidCiphertext) as caught:
        read_header(io.BytesIO(blob))
    assert str(caught.value) == message


FIELDS = "['algorithm', 'encryption_context', 'key_arn', 'wrapped_key']"


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ([1, 2], f"expected exactly the fields {FIELDS}"),
        (
            {k: v for k, v in _document().items() if k != "key_arn"},
            f"expected exactly the fields {FIELDS}",
        ),
        (_document(extra="x"), f"expected exactly the fields {FIELDS}"),
        (_document(key_arn=5), "a field has the wrong type"),
        (_document(key_arn=""), "a field has the wrong type"),
        (_document(encryption_context={"a": 1}), "a field has the wrong type"),
        (_document(encryption_context=["a"]), "a field has the wrong type"),
        (_document(wrapped_key=None), "a field has the wrong type"),
        (
            _document(algorithm="tink/AES128_GCM_HKDF_4KB"),
            "unsupported algorithm 'tink/AES128_GCM_HKDF_4KB'",
        ),
        (
            _document(algorithm="tink/AES256_GCM_HKDF_1024KB"),
            "unsupported algorithm 'tink/AES256_GCM_HKDF_1024KB'",
        ),
        (
            _document(algorithm="tink/AES256_GCM_HKDF_16B"),
            "unsupported algorithm 'tink/AES256_GCM_HKDF_16B'",
        ),
        (_document(wrapped_key="not base64!"), "wrapped_key is not base64"),
        (_document(wrapped_key=""), "not in canonical form"),
    ],
)
def test_malformed_header_json_is_refused(document: Any, reason: str) -> None:
    with pytest.raises(InvalidCiphertext) as caught:
        read_header(io.BytesIO(_envelope_with(_canonical(document))))
    assert str(caught.value) == MALFORMED_HEADER.format(reason=reason)


def test_non_canonical_header_is_refused() -> None:
    spaced = json.dumps(_document(), sort_keys=True).encode()
    with pytest.raises(InvalidCiphertext) as caught:
        read_header(io.BytesIO(_envelope_with(spaced)))
    assert str(caught.value) == MALFORMED_HEADER.format(reason="not in canonical form")


def test_read_header_leaves_the_source_at_the_stream() -> None:
    src = io.BytesIO(BLOB)
    read_header(src)
    assert src.read() == split(BLOB)[1]


# --- bad parameters ----------------------------------------------------------------------------


@pytest.mark.parametrize("key", [b"", bytes(16), bytes(33)])
def test_data_key_must_be_32_bytes_and_is_never_echoed(key: bytes) -> None:
    with pytest.raises(Invalid) as caught:
        write_envelope(io.BytesIO(b"x"), io.BytesIO(), header=make_header(), data_key=key)
    assert caught.value.field == "data_key"
    assert str(caught.value) == INVALID_TEMPLATE.format(
        field="data_key",
        operation="write_envelope",
        expected=DATA_KEY_EXPECTED,
        got=f"<{len(key)} bytes>",
    )
    assert caught.value.got == f"<{len(key)} bytes>"
    with pytest.raises(Invalid):
        read_envelope(io.BytesIO(BLOB), io.BytesIO(), header=make_header(), data_key=key)


def test_segment_size_must_match_the_header_algorithm() -> None:
    with pytest.raises(Invalid) as caught:
        write_envelope(
            io.BytesIO(b"x"),
            io.BytesIO(),
            header=make_header(1 << 20),
            data_key=KEY,
            segment_size=4096,
        )
    assert caught.value.field == "header.algorithm"
    assert "'tink/AES256_GCM_HKDF_4KB' to match segment_size=4096" in str(caught.value)


@pytest.mark.parametrize("segment_size", [0, 63, (8 << 20) + 1])
def test_segment_size_out_of_range_is_refused(segment_size: int) -> None:
    with pytest.raises(Invalid) as caught:
        write_envelope(
            io.BytesIO(b"x"),
            io.BytesIO(),
            header=make_header(segment_size),
            data_key=KEY,
            segment_size=segment_size,
        )
    assert caught.value.field == "segment_size"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"key_arn": ""}, "header.key_arn"),
        ({"wrapped_key": b""}, "header.wrapped_key"),
        ({"wrapped_key": "text"}, "header.wrapped_key"),
        ({"encryption_context": {"a": 1}}, "header.encryption_context"),
        ({"algorithm": "aws/AES_256_GCM"}, "header.algorithm"),
    ],
)
def test_bad_header_fields_are_refused_before_writing(changes: dict[str, Any], field: str) -> None:
    out = io.BytesIO()
    with pytest.raises(Invalid) as caught:
        write_envelope(io.BytesIO(b"x"), out, header=make_header(**changes), data_key=KEY)
    assert caught.value.field == field
    assert out.getvalue() == b""


def test_oversized_header_is_refused() -> None:
    header = make_header(1 << 20, encryption_context={"k": "v" * MAX_HEADER_SIZE})
    with pytest.raises(Invalid) as caught:
        write_envelope(io.BytesIO(b"x"), io.BytesIO(), header=header, data_key=KEY)
    assert caught.value.field == "header"


class _NonBlocking(io.RawIOBase):
    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> None:
        return None


def test_non_blocking_source_is_refused_rather_than_truncated() -> None:
    with pytest.raises(Invalid) as caught:
        write_envelope(
            cast(BinaryIO, _NonBlocking()),
            io.BytesIO(),
            header=make_header(),
            data_key=KEY,
            segment_size=SMALL,
        )
    assert caught.value.field == "src"


class _FailingSink(io.RawIOBase):
    def __init__(self, after: int) -> None:
        super().__init__()
        self.left = after

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        if self.left <= 0:
            raise OSError(28, "No space left on device")
        self.left -= 1
        return len(data)


def test_a_failing_destination_propagates_and_leaves_no_worker_thread() -> None:
    before = threading.active_count()
    with pytest.raises(OSError, match="No space left"):
        write_envelope(
            io.BytesIO(os.urandom(5000)),
            cast(BinaryIO, _FailingSink(after=20)),
            header=make_header(),
            data_key=KEY,
            segment_size=SMALL,
        )
    assert threading.active_count() == before


# --- constant memory ---------------------------------------------------------------------------


class _Zeros(io.RawIOBase):
    """``size`` bytes of zeros, produced on demand."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = min(len(buffer), self.left)
        memoryview(buffer)[:n] = bytes(n) if n < 4096 else memoryview(_ZERO_BLOCK)[:n]
        self.left -= n
        return n


_ZERO_BLOCK = bytes(8 << 20)


def test_memory_stays_constant_on_a_64_mib_stream(tmp_path: Path) -> None:
    size = 64 << 20
    sealed = tmp_path / "sealed"
    header = make_header(1 << 20)
    tracemalloc.start()
    try:
        with open(sealed, "wb", buffering=0) as out:
            stats = write_envelope(cast(BinaryIO, _Zeros(size)), out, header=header, data_key=KEY)
        _, encrypt_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        with open(sealed, "rb", buffering=0) as src, open(os.devnull, "wb") as sink:
            opened = read_envelope(src, sink, header=read_header(src), data_key=KEY)
        _, decrypt_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert stats == opened
    assert stats.size == size
    # three plaintext slots and one ciphertext buffer of 1 MiB each, whatever the size
    assert encrypt_peak < 8 << 20, encrypt_peak
    assert decrypt_peak < 8 << 20, decrypt_peak
