"""The baseline for benchmarks/redirect: a WSGI app that only answers 302."""


def app(environ, start_response):  # type: ignore[no-untyped-def]
    start_response(
        "302 Found",
        [
            ("Location", "https://www.example.com/"),
            ("Content-Length", "0"),
            ("Cache-Control", "private, no-store"),
        ],
    )
    return [b""]
