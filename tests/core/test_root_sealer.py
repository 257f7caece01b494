"""The root sealer: AES-256-GCM bound to associated data; tampering is refused."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bastion.errors import Invalid, InvalidCiphertext
from bastion.keys._root import RootSealer

SEALER = RootSealer(os.urandom(32))


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=2048), st.binary(max_size=64))
def test_seal_open_roundtrip(data: bytes, aad: bytes) -> None:
    assert SEALER.open(SEALER.seal(data, aad=aad), aad=aad) == data


@settings(max_examples=50, deadline=None)
@given(st.binary(min_size=1, max_size=256), st.data())
def test_any_bit_flip_is_refused(data: bytes, draw: st.DataObject) -> None:
    sealed = bytearray(SEALER.seal(data, aad=b"k"))
    i = draw.draw(st.integers(0, len(sealed) - 1))
    sealed[i] ^= 1 << draw.draw(st.integers(0, 7))
    with pytest.raises(InvalidCiphertext):
        SEALER.open(bytes(sealed), aad=b"k")


def test_other_aad_is_refused() -> None:
    with pytest.raises(InvalidCiphertext, match="root key is wrong or the stored row was modified"):
        SEALER.open(SEALER.seal(b"m", aad=b"key/1"), aad=b"key/2")


def test_truncated_blob_is_refused() -> None:
    with pytest.raises(InvalidCiphertext, match="malformed"):
        SEALER.open(b"\x01short", aad=b"")


def test_root_key_must_be_32_bytes() -> None:
    with pytest.raises(Invalid, match="exactly 32 bytes"):
        RootSealer(b"x" * 16)
