"""The process the kill -9 test kills: captures from four threads in a loop and appends each
acknowledged inference id to a file (``argv``: home, database URL, ack file, id prefix)."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

from capture_helpers import Spec

import bastion
from bastion.capture import capture_writer
from bastion.settings import Settings


def main(home: str, database_url: str, acks: str, tag: str) -> None:
    client = bastion.connect(settings=Settings(home=Path(home), database_url=database_url))
    writer = capture_writer(client.runtime)
    writer.start()
    out = os.open(acks, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    spec = Spec()

    def loop(worker: int) -> None:
        i = 0
        while True:
            inference_id = f"{tag}-{worker}-{i}"
            writer.capture(
                spec,
                endpoint="fraud",
                variant="AllTraffic",
                inference_id=inference_id,
                request_body=f"{i},{worker}\n".encode(),
                request_content_type="text/csv",
                response_body=b"0.5",
                response_content_type="text/csv",
            )
            os.write(out, f"{inference_id}\n".encode())  # acknowledged: durable in the log
            i += 1

    threads = [threading.Thread(target=loop, args=(w,), daemon=True) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


if __name__ == "__main__":
    main(*sys.argv[1:5])
