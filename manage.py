#!/usr/bin/env python
"""Django's command-line utility; the same as the `chorus` console script."""

from chorus.__main__ import main

if __name__ == "__main__":
    main()
