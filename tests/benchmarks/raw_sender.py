"""The SMTP sink's raw capacity: plain smtplib sending one message (read from stdin) over reused
connections, from a process of its own so the senders do not share the sink's interpreter.
Prints messages per second. Used by make bench; run alone as
`python tests/benchmarks/raw_sender.py PORT MESSAGES CONNECTIONS < message.eml`."""

import smtplib
import sys
import threading
import time


def main() -> None:
    port, messages, connections = (int(arg) for arg in sys.argv[1:4])
    message = sys.stdin.buffer.read()
    per_connection = messages // connections

    def send() -> None:
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            for _ in range(per_connection):
                smtp.sendmail("care@gemdesk.localhost", ["raw@example.test"], message)

    threads = [threading.Thread(target=send) for _ in range(connections)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(per_connection * connections / (time.monotonic() - started))


if __name__ == "__main__":
    main()
